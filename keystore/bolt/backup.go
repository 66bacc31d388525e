package bolt

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	bbolt "go.etcd.io/bbolt"

	"github.com/gatehouse/gatehouse/keystore"
)

// Backup writes a consistent copy of the whole file to w from one read
// transaction, so the store keeps serving reads and writes meanwhile. It
// returns the number of bytes written.
func (s *Store) Backup(w io.Writer) (int64, error) {
	if s.closed.Load() {
		return 0, fmt.Errorf("keystore/bolt: backup: %w", keystore.ErrClosed)
	}
	var n int64
	err := mapClosed(s.db.View(func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	}))
	if err != nil {
		return n, fmt.Errorf("keystore/bolt: backup: %w", err)
	}
	return n, nil
}

// BackupFile writes a consistent copy to path: into a 0600 temporary file
// in the same directory, fsynced, then renamed over path, so path holds
// either the old content or a complete backup.
func (s *Store) BackupFile(path string) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("keystore/bolt: backup: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return fmt.Errorf("keystore/bolt: backup: %w", err)
	}
	if _, err = s.Backup(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("keystore/bolt: backup: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("keystore/bolt: backup: %w", err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("keystore/bolt: backup: %w", err)
	}
	// Make the rename itself durable.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
