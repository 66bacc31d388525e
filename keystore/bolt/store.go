package bolt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/gatehouse/gatehouse/keystore"
)

// Options tune Open. The zero value is ready for production use.
type Options struct {
	// Timeout bounds the wait for the file lock held by another process;
	// 0 means 2 s. It is never infinite.
	Timeout time.Duration
	// Clock returns the current time for Denylist lookups; nil means
	// time.Now.
	Clock func() time.Time
	// NoSync skips fsync on commit. Tests only: a crash may lose writes
	// that were reported as done.
	NoSync bool
}

const defaultTimeout = 2 * time.Second

// Store is the bbolt back-end of keystore.Store. It is safe for
// concurrent use; bbolt serialises writers and lets readers run in
// parallel.
type Store struct {
	db     *bbolt.DB
	path   string
	now    func() time.Time
	closed atomic.Bool
}

var _ keystore.Store = (*Store)(nil)

// Open opens or creates the bbolt file at path with mode 0600, waits at
// most opts.Timeout for another process to release it, and brings its
// schema up to date in one transaction.
func Open(path string, opts Options) (*Store, error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:      timeout,
		NoSync:       opts.NoSync,
		FreelistType: bbolt.FreelistMapType,
	})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("keystore/bolt: %s is held by another process (gave up after %s): %w", path, timeout, err)
		}
		return nil, fmt.Errorf("keystore/bolt: open %s: %w", path, err)
	}
	// bbolt only applies the mode when it creates the file; an existing
	// file that others can read is tightened here.
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm() != 0o600 {
		if err := os.Chmod(path, 0o600); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("keystore/bolt: chmod %s: %w", path, err)
		}
	}
	// The lock is exclusive, so the version read here is still the
	// version when the migration transaction starts.
	current := false
	if err := db.View(func(tx *bbolt.Tx) error {
		v, err := readVersion(tx)
		current = err == nil && v == schemaVersion
		return nil
	}); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("keystore/bolt: open %s: %w", path, err)
	}
	if !current {
		if err := db.Update(func(tx *bbolt.Tx) error {
			return migrate(tx, migrations, schemaVersion)
		}); err != nil {
			_ = db.Close()
			return nil, err
		}
	}
	now := opts.Clock
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, path: path, now: now}, nil
}

// Path returns the file the store was opened on.
func (s *Store) Path() string { return s.path }

// Ping reports whether the store can serve a read transaction.
func (s *Store) Ping(ctx context.Context) error {
	return s.view(ctx, func(*bbolt.Tx) error { return nil })
}

// Close releases the file. Later calls on the store return
// keystore.ErrClosed.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("keystore/bolt: close: %w", err)
	}
	return nil
}

func (s *Store) begin(ctx context.Context) error {
	if s.closed.Load() {
		return keystore.ErrClosed
	}
	return ctx.Err()
}

// view runs fn in a read transaction. Data read inside fn is valid only
// until fn returns: every record handed out is decoded into fresh memory.
func (s *Store) view(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	return mapClosed(s.db.View(fn))
}

// update runs fn in a write transaction that is committed (and, unless
// NoSync, fsynced) before update returns.
func (s *Store) update(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	return mapClosed(s.db.Update(fn))
}

func mapClosed(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return keystore.ErrClosed
	}
	return err
}

// userPrefix is the start of every per-user index key: a two-byte
// length and the user id, so one user's keys never run into another's.
func userPrefix(userID string) []byte {
	b := make([]byte, 2, 2+len(userID)+64)
	binary.BigEndian.PutUint16(b, uint16(len(userID)))
	return append(b, userID...)
}

// indexKey is userPrefix(userID) followed by suffix.
func indexKey(userID string, suffix []byte) []byte {
	return append(userPrefix(userID), suffix...)
}

func checkID(kind, id string) error {
	if !keystore.ValidID(id) {
		return fmt.Errorf("keystore/bolt: %s id must be 1..%d bytes", kind, keystore.MaxIDLen)
	}
	return nil
}

// eachPrefix collects the suffixes of keys in b that start with prefix.
// The suffixes are copies.
func eachPrefix(b *bbolt.Bucket, prefix []byte) [][]byte {
	var out [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		out = append(out, append([]byte(nil), k[len(prefix):]...))
	}
	return out
}

func hasPrefix(b, prefix []byte) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == string(prefix)
}

func userExists(tx *bbolt.Tx, id string) bool {
	return tx.Bucket(bucketUsers).Get([]byte(id)) != nil
}
