package privfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Write stores data at path with mode 0600. With replace false the file
// must not exist yet (create-only, via link): then os.ErrExist is
// returned when it does, so two racing writers agree on one content.
func Write(path string, data []byte, replace bool) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return fmt.Errorf("privfile: %w", err)
	}
	tmpName := tmp.Name()
	defer func() {
		if tmp != nil {
			_ = tmp.Close()
		}
		_ = os.Remove(tmpName) // gone after a rename; the link's source otherwise
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("privfile: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("privfile: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("privfile: %w", err)
	}
	err = tmp.Close()
	tmp = nil
	if err != nil {
		return fmt.Errorf("privfile: %w", err)
	}
	if replace {
		err = os.Rename(tmpName, path)
	} else {
		err = os.Link(tmpName, path)
	}
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return os.ErrExist
		}
		return fmt.Errorf("privfile: %w", err)
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a directory so a rename or link in it is durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("privfile: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("privfile: sync %s: %w", dir, err)
	}
	return nil
}
