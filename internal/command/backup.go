package command

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gatehouse/gatehouse/admin"
)

// Backup runs `gatehouse backup FILE`: an online snapshot of the bbolt
// store, never over an existing file.
func Backup(env *Env, args []string) error {
	fs := newFlags("backup")
	var sf stateFlags
	sf.register(fs)
	pos, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	dst, err := filepath.Abs(pos[0])
	if err != nil {
		return err
	}
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("backup: %s exists; refusing to overwrite it", dst)
	}
	c, _, err := openCaller(env, sf)
	if err != nil {
		return err
	}
	defer c.close()
	var res admin.BackupResult
	if err := c.call(context.Background(), admin.OpBackup, admin.BackupRequest{Path: dst}, &res); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "snapshot written to %s\n", res.Path)
	return nil
}
