package bolt_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/bolt"
)

var bg = context.Background()

func user(i int, email string) *keystore.User {
	return &keystore.User{
		ID:         fmt.Sprintf("%032x", i),
		Email:      email,
		Active:     true,
		TOTPSecret: fmt.Sprintf("fernet:v1:old:%d", i),
		CreatedAt:  time.Unix(1_900_000_000, 0),
	}
}

func TestOpenWhileHeldFailsWithinTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	start := time.Now()
	s2, err := bolt.Open(path, bolt.Options{Timeout: 150 * time.Millisecond})
	if err == nil {
		s2.Close()
		t.Fatal("a second Open of a held file succeeded")
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("second Open waited %v, want about the 150ms timeout", el)
	}
	if !strings.Contains(err.Error(), "held by another process") {
		t.Errorf("error %q does not say another process holds the file", err)
	}
}

func TestPathReportsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s, err := bolt.Open(path, bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
}

func TestErrorsNeverCarryEmails(t *testing.T) {
	s := openTemp(t, bolt.Options{NoSync: true})
	const email = "Secret.Person@Example.test"
	a := user(1, email)
	if err := s.CreateUser(bg, a); err != nil {
		t.Fatal(err)
	}
	b := user(2, "other@example.test")
	if err := s.CreateUser(bg, b); err != nil {
		t.Fatal(err)
	}
	var errs []error
	errs = append(errs, s.CreateUser(bg, user(3, strings.ToUpper(email))))
	_, err := s.UpdateUser(bg, b.ID, func(u *keystore.User) error { u.Email = email; return nil })
	errs = append(errs, err)
	_, err = s.GetUserByEmail(bg, "missing."+email)
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		msg := strings.ToLower(err.Error())
		if strings.Contains(msg, "secret.person") || strings.Contains(msg, "example.test") {
			t.Errorf("case %d: error %q carries the email", i, err)
		}
	}
}

func TestDenylistPurgeExpired(t *testing.T) {
	clock := newFakeClock()
	s := openTemp(t, bolt.Options{NoSync: true, Clock: clock.Now})
	now := clock.Now()
	for i, d := range []time.Duration{time.Second, 2 * time.Second, time.Hour} {
		if err := s.Deny(bg, fmt.Sprintf("jti-%d", i), now.Add(d)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PurgeExpired(bg, now)
	if err != nil || n != 0 {
		t.Fatalf("PurgeExpired before any expiry = %d, %v; want 0", n, err)
	}
	n, err = s.PurgeExpired(bg, now.Add(2*time.Second))
	if err != nil || n != 2 {
		t.Fatalf("PurgeExpired = %d, %v; want 2", n, err)
	}
	for i, want := range []bool{false, false, true} {
		got, err := s.IsDenied(bg, []byte(fmt.Sprintf("jti-%d", i)))
		if err != nil || got != want {
			t.Errorf("IsDenied(jti-%d) = %v, %v; want %v", i, got, err, want)
		}
	}
}

func TestBackupIsConsistentWhileWriting(t *testing.T) {
	s := openTemp(t, bolt.Options{NoSync: true})
	for i := 0; i < 200; i++ {
		if err := s.CreateUser(bg, user(i, fmt.Sprintf("pre%d@example.test", i))); err != nil {
			t.Fatal(err)
		}
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1000; !stop.Load(); i++ {
			if err := s.CreateUser(bg, user(i, fmt.Sprintf("during%d@example.test", i))); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var buf bytes.Buffer
	n, err := s.Backup(&buf)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Errorf("Backup reported %d bytes, wrote %d", n, buf.Len())
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := bolt.Open(path, bolt.Options{NoSync: true})
	if err != nil {
		t.Fatalf("open backup: %v", err)
	}
	defer c.Close()
	count, err := c.CountUsers(bg)
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.ListUsers(bg, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if count < 200 || len(list) != count {
		t.Errorf("backup holds %d users and lists %d; want the same number, at least 200", count, len(list))
	}
	for _, u := range list {
		got, err := c.GetUserByEmail(bg, u.Email)
		if err != nil || got.ID != u.ID {
			t.Fatalf("backup index and records disagree for user %s: %v", u.ID, err)
		}
	}
}

func TestBackupFileIsPrivateAndComplete(t *testing.T) {
	s := openTemp(t, bolt.Options{NoSync: true})
	if err := s.CreateUser(bg, user(1, "b@example.test")); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "backup.db")
	if err := os.WriteFile(path, []byte("old backup"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.BackupFile(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode = %o, want 600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("backup left %d files in its directory, want 1", len(entries))
	}
	c, err := bolt.Open(path, bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.GetUserByEmail(bg, "B@example.test"); err != nil {
		t.Errorf("backup lacks the user: %v", err)
	}

	if err := s.BackupFile(filepath.Join(dir, "no-such-dir", "x.db")); err == nil {
		t.Error("BackupFile into a missing directory succeeded")
	}
	s.Close()
	if _, err := s.Backup(&bytes.Buffer{}); !errors.Is(err, keystore.ErrClosed) {
		t.Errorf("Backup after Close: err = %v, want ErrClosed", err)
	}
}

// TestEachSealedAcrossBatchesAllowsWritesFromCallback walks more records
// than one read batch and rewrites each envelope from inside the
// callback, which would deadlock if the walk held a transaction.
func TestEachSealedAcrossBatchesAllowsWritesFromCallback(t *testing.T) {
	s := openTemp(t, bolt.Options{NoSync: true})
	const n = 700
	for i := 0; i < n; i++ {
		if err := s.CreateUser(bg, user(i, fmt.Sprintf("s%d@example.test", i))); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	done := make(chan error, 1)
	go func() {
		done <- s.EachSealed(bg, keystore.RingTOTPSecrets, func(ref keystore.SealedRef, env string) error {
			if seen[ref.Record] {
				return fmt.Errorf("record %s reported twice", ref.Record)
			}
			seen[ref.Record] = true
			if ref.Field != "TOTPSecret" {
				return fmt.Errorf("field %q", ref.Field)
			}
			return s.SwapSealed(bg, ref, env, strings.Replace(env, ":old:", ":new:", 1))
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("EachSealed with a writing callback did not finish")
	}
	if len(seen) != n {
		t.Errorf("walked %d records, want %d", len(seen), n)
	}
	left := 0
	if err := s.EachSealed(bg, keystore.RingTOTPSecrets, func(_ keystore.SealedRef, env string) error {
		if strings.Contains(env, ":old:") {
			left++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d envelopes still under the old key", left)
	}
}
