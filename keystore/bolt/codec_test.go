package bolt

import (
	"context"
	"encoding/hex"
	"errors"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/internal/record"
)

// TestExpiryRecordsKeepStoredBytes: the denylist's expiry records are
// bbolt's own; their bytes are stored data, as written before the record
// package, and decode back.
func TestExpiryRecordsKeepStoredBytes(t *testing.T) {
	for _, c := range []struct {
		at  time.Time
		hex string
	}{
		{time.Date(2200, 1, 1, 0, 0, 0, 1, time.UTC), "010180e4f0893601"},
		{time.Time{}, "0100"},
		{time.Unix(-1, 0).UTC(), "01010100"},
	} {
		if got := hex.EncodeToString(encodeExpiry(c.at)); got != c.hex {
			t.Errorf("encodeExpiry(%v) = %s, want %s", c.at, got, c.hex)
		}
		b, _ := hex.DecodeString(c.hex)
		if got, err := decodeExpiry(b); err != nil || !got.Equal(c.at) || got.Location() != time.UTC {
			t.Errorf("decodeExpiry(%s) = %v, %v; want %v", c.hex, got, err, c.at)
		}
	}
}

// TestCorruptExpiryRecordsAreRejected feeds truncated, extended and
// wrong-format expiry records to decodeExpiry: each must answer
// errCorrupt, never a time.
func TestCorruptExpiryRecordsAreRejected(t *testing.T) {
	rec := encodeExpiry(time.Date(2200, 1, 1, 0, 0, 0, 1, time.UTC))
	bad := map[string][]byte{
		"empty":           nil,
		"unknown format":  append([]byte{99}, rec[1:]...),
		"trailing byte":   append(append([]byte(nil), rec...), 0),
		"bad tag":         {expiryFormat1, 2},
		"nanoseconds 1e9": {expiryFormat1, 1, 0, 0x80, 0x94, 0xeb, 0xdc, 0x03},
	}
	for i := 1; i < len(rec); i++ {
		bad["cut at "+strconv.Itoa(i)] = rec[:i]
	}
	for what, b := range bad {
		if got, err := decodeExpiry(b); !errors.Is(err, errCorrupt) || !got.IsZero() {
			t.Errorf("%s: %v, %v; want errCorrupt", what, got, err)
		}
	}
}

// TestDecodeErrorsAreThisPackages: a record that does not decode is
// errCorrupt (its message without data), which is also record.ErrCorrupt.
func TestDecodeErrorsAreThisPackages(t *testing.T) {
	secret := []byte("\x02\x40hunter2")
	for name, decode := range map[string]func([]byte) error{
		"user":    func(b []byte) error { _, err := decodeUser(b); return err },
		"session": func(b []byte) error { _, err := decodeSession(b); return err },
		"apikey":  func(b []byte) error { _, err := decodeAPIKey(b); return err },
		"oauth":   func(b []byte) error { _, err := decodeOAuthLink(b); return err },
		"expiry":  func(b []byte) error { _, err := decodeExpiry(b); return err },
	} {
		err := decode(secret)
		if !errors.Is(err, errCorrupt) || !errors.Is(err, record.ErrCorrupt) || err.Error() != "keystore/bolt: corrupt record" {
			t.Errorf("%s: err = %v, want errCorrupt", name, err)
		}
	}
}

// TestDecodedRecordsOutliveTheTransaction: bbolt's values die with their
// transaction (the memory is reused or unmapped), so nothing a decoder
// returns may alias its input.
func TestDecodedRecordsOutliveTheTransaction(t *testing.T) {
	at := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	u := &keystore.User{ID: "u", Email: "e@x.test", Roles: []string{"admin"}, TOTPSecret: "s", CreatedAt: at}
	s := &keystore.Session{Digest: []byte{1, 2, 3}, UserID: "u", Kind: "session", ExpiresAt: at}
	k := &keystore.APIKey{KeyID: "k", UserID: "u", Digest: []byte{9}, Scopes: []string{"x"}}
	l := &keystore.OAuthLink{Provider: "p", Subject: "s", UserID: "u", AccessToken: "a"}
	scribble := func(b []byte) {
		for i := range b {
			b[i] = 0xee
		}
	}
	for name, c := range map[string]struct {
		rec    []byte
		decode func([]byte) (any, error)
		want   any
	}{
		"user":    {encodeUser(u), func(b []byte) (any, error) { return decodeUser(b) }, u},
		"session": {encodeSession(s), func(b []byte) (any, error) { return decodeSession(b) }, s},
		"apikey":  {encodeAPIKey(k), func(b []byte) (any, error) { return decodeAPIKey(b) }, k},
		"oauth":   {encodeOAuthLink(l), func(b []byte) (any, error) { return decodeOAuthLink(b) }, l},
	} {
		got, err := c.decode(c.rec)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		scribble(c.rec)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s changed with the buffer it was read from: %+v", name, got)
		}
	}
}

// TestCorruptDenylistEntryFailsClosed: a denylist row that cannot be read
// is an error for IsDenied (callers deny), and PurgeExpired leaves it.
func TestCorruptDenylistEntryFailsClosed(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketDenylist).Put([]byte("jti-bad"), []byte{expiryFormat1, 7})
	}); err != nil {
		t.Fatal(err)
	}
	denied, err := s.IsDenied(context.Background(), []byte("jti-bad"))
	if err == nil {
		t.Fatalf("IsDenied on a corrupt entry = %v without error", denied)
	}
	if n, err := s.PurgeExpired(context.Background(), time.Now().Add(24*time.Hour)); err != nil || n != 0 {
		t.Errorf("PurgeExpired = %d, %v; want the corrupt entry left alone", n, err)
	}
	// A fresh Deny overwrites the unreadable row with a readable one.
	if err := s.Deny(context.Background(), "jti-bad", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if denied, err := s.IsDenied(context.Background(), []byte("jti-bad")); err != nil || !denied {
		t.Errorf("after re-deny: %v, %v", denied, err)
	}
}

func TestCorruptUserRecordIsAnError(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.db.Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketUsers).Put([]byte("u1"), []byte{userFormat1, 200}); err != nil {
			return err
		}
		return tx.Bucket(bucketUsersByEmail).Put([]byte("x@example.test"), []byte("u1"))
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetUser(context.Background(), "u1"); !errors.Is(err, errCorrupt) {
		t.Errorf("GetUser: err = %v, want errCorrupt", err)
	}
	if _, err := s.GetUserByEmail(context.Background(), "x@example.test"); !errors.Is(err, errCorrupt) {
		t.Errorf("GetUserByEmail: err = %v, want errCorrupt", err)
	}
	if _, err := s.ListUsers(context.Background(), 0, 0); !errors.Is(err, errCorrupt) {
		t.Errorf("ListUsers: err = %v, want errCorrupt", err)
	}
}

// FuzzDecodeExpiry: no input may panic decodeExpiry, and whatever
// decodes re-encodes to bytes that decode to the same time and re-encode
// identically. The shared record kinds are fuzzed in keystore/internal/record.
func FuzzDecodeExpiry(f *testing.F) {
	for _, seed := range [][]byte{encodeExpiry(time.Unix(1, 2)), encodeExpiry(time.Time{}), {1}, {}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		at, err := decodeExpiry(b)
		if err != nil {
			return
		}
		once := encodeExpiry(at)
		again, err := decodeExpiry(once)
		if err != nil || !again.Equal(at) || string(encodeExpiry(again)) != string(once) {
			t.Fatalf("expiry round trip: %v, %v", again, err)
		}
	})
}

// legacyUserRecord is u in userFormat1, as builds before EmailVerifiedAt
// wrote it: the same fields without the trailing time.
func legacyUserRecord(t *testing.T, u *keystore.User) []byte {
	t.Helper()
	cp := *u
	cp.EmailVerifiedAt = time.Time{}
	rec := encodeUser(&cp)
	if rec[0] != userFormat2 || rec[len(rec)-1] != 0 {
		t.Fatalf("unexpected layout of the current user record")
	}
	rec = append([]byte{userFormat1}, rec[1:len(rec)-1]...)
	return rec
}

// TestLegacyUserRecordsStayReadable: a user record written before
// EmailVerifiedAt existed decodes with a zero EmailVerifiedAt (verified
// accounts keep their credentials), and the current format keeps the
// field at full precision.
func TestLegacyUserRecordsStayReadable(t *testing.T) {
	at := time.Date(2031, 5, 6, 7, 8, 9, 123456789, time.UTC)
	u := &keystore.User{ID: "u", Email: "e@x.test", Active: true, Verified: true, CreatedAt: at, EmailVerifiedAt: at.Add(time.Second)}
	got, err := decodeUser(legacyUserRecord(t, u))
	if err != nil || got.ID != "u" || !got.Verified || !got.EmailVerifiedAt.IsZero() || !got.CreatedAt.Equal(at) {
		t.Fatalf("legacy record: %+v, %v", got, err)
	}
	got, err = decodeUser(encodeUser(u))
	if err != nil || !got.EmailVerifiedAt.Equal(u.EmailVerifiedAt) {
		t.Fatalf("current record: %+v, %v", got, err)
	}
}

// TestSchemaV2MigrationRewritesLegacyUsers opens a version-1 file holding
// a userFormat1 record: Open migrates it to version 2, the user reads
// back unchanged and is stored in the current format.
func TestSchemaV2MigrationRewritesLegacyUsers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	at := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	u := &keystore.User{ID: "0123456789abcdef0123456789abcdef", Email: "old@x.test", Active: true, Verified: true, CreatedAt: at}
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		if err := createV1(tx); err != nil {
			return err
		}
		if err := tx.Bucket(bucketUsers).Put([]byte(u.ID), legacyUserRecord(t, u)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketUsersByEmail).Put([]byte(keystore.FoldEmail(u.Email)), []byte(u.ID)); err != nil {
			return err
		}
		return writeVersion(tx, 1)
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetUserByEmail(context.Background(), "old@x.test")
	if err != nil || got.ID != u.ID || !got.Verified || !got.EmailVerifiedAt.IsZero() {
		t.Fatalf("migrated user: %+v, %v", got, err)
	}
	s.Close()
	if v := storedVersion(t, path); v != schemaVersion {
		t.Fatalf("schema version %d, want %d", v, schemaVersion)
	}
	db, err = bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.View(func(tx *bbolt.Tx) error {
		if rec := tx.Bucket(bucketUsers).Get([]byte(u.ID)); len(rec) == 0 || rec[0] != userFormat2 {
			t.Errorf("user record not rewritten in the current format")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
