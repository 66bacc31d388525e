package bolt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/gatehouse/gatehouse/keystore"
)

func storedVersion(t *testing.T, path string) int {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.View(func(tx *bbolt.Tx) error {
		var err error
		v, err = readVersion(tx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpenNewFileWritesCurrentSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if v := storedVersion(t, path); v != schemaVersion {
		t.Errorf("schema version = %d, want %d", v, schemaVersion)
	}
	// Reopening a current file runs no migration and keeps the data.
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		if err := createV1(tx); err != nil {
			return err
		}
		return writeVersion(tx, schemaVersion+1)
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(path, Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open accepted a file from a newer build")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("error %q does not say the file is newer", err)
	}
}

func TestOpenRefusesCorruptSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		return meta.Put(keySchema, []byte("v1"))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if s, err := Open(path, Options{}); err == nil {
		s.Close()
		t.Fatal("Open accepted a malformed schema version")
	}
}

func TestMigrationsRunInOrderInOneTransaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := &keystore.User{ID: "u1", Email: "m@example.test"}
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	s.Close()

	var order []int
	step := func(to int) func(*bbolt.Tx) error {
		return func(tx *bbolt.Tx) error {
			order = append(order, to)
			b, err := tx.CreateBucketIfNotExists([]byte("migrated"))
			if err != nil {
				return err
			}
			return b.Put([]byte{byte(to)}, nil)
		}
	}
	cur := schemaVersion
	list := append(append([]migration(nil), migrations...),
		migration{from: cur, to: cur + 1, fn: step(cur + 1)},
		migration{from: cur + 1, to: cur + 2, fn: step(cur + 2)},
	)

	// A failing last step rolls every step back.
	failing := append(append([]migration(nil), list...), migration{from: cur + 2, to: cur + 3, fn: func(*bbolt.Tx) error {
		return errors.New("boom")
	}})
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error { return migrate(tx, failing, cur+3) })
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d→%d", cur+2, cur+3)) {
		t.Fatalf("failing migration: err = %v", err)
	}
	if err := db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket([]byte("migrated")) != nil {
			t.Error("a failed migration run left earlier steps behind")
		}
		v, err := readVersion(tx)
		if v != cur {
			t.Errorf("version after failed migration = %d, want %d", v, cur)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}

	order = nil
	if err := db.Update(func(tx *bbolt.Tx) error { return migrate(tx, list, cur+2) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if len(order) != 2 || order[0] != cur+1 || order[1] != cur+2 {
		t.Errorf("migrations ran as %v, want [%d %d]", order, cur+1, cur+2)
	}
	if v := storedVersion(t, path); v != cur+2 {
		t.Errorf("version = %d, want %d", v, cur+2)
	}

	// A gap in the list is an error, not a silent stop.
	db, err = bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error { return migrate(tx, list, cur+4) })
	if err == nil || !strings.Contains(err.Error(), "no migration path") {
		t.Errorf("gap: err = %v", err)
	}
}

func TestOpenSetsFileMode0600(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "fresh.db")
	s, err := Open(fresh, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	loose := filepath.Join(dir, "loose.db")
	s, err = Open(loose, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Chmod(loose, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Open(loose, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	for _, p := range []string{fresh, loose} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %o, want 600", filepath.Base(p), fi.Mode().Perm())
		}
	}
}

// TestSchemaV3MigrationAddsPasskeyBuckets: a version-2 file (before
// passkeys) opens, keeps its users, and stores, lists and cascades
// passkeys afterwards.
func TestSchemaV3MigrationAddsPasskeyBuckets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	u := &keystore.User{ID: "0123456789abcdef0123456789abcdef", Email: "v2@x.test", Active: true}
	if err := db.Update(func(tx *bbolt.Tx) error {
		if err := migrate(tx, migrations[:2], 2); err != nil {
			return err
		}
		return insertUser(tx, u.ID, keystore.FoldEmail(u.Email), encodeUser(u))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if v := storedVersion(t, path); v != 2 {
		t.Fatalf("fixture at version %d, want 2", v)
	}
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	p := &keystore.Passkey{CredentialID: []byte{1, 2, 3}, UserID: u.ID, PublicKey: []byte{4}}
	if err := s.CreatePasskey(ctx, p); err != nil {
		t.Fatalf("CreatePasskey after migration: %v", err)
	}
	if list, err := s.ListUserPasskeys(ctx, u.ID); err != nil || len(list) != 1 {
		t.Fatalf("ListUserPasskeys: %d, %v", len(list), err)
	}
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetPasskey(ctx, p.CredentialID); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("passkey after DeleteUser: %v", err)
	}
	s.Close()
	if v := storedVersion(t, path); v != schemaVersion {
		t.Fatalf("schema version %d, want %d", v, schemaVersion)
	}
}
