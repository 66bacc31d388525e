package bolt

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/gatehouse/gatehouse/keystore"
)

func sampleRecords() (*keystore.User, *keystore.Session, *keystore.APIKey, *keystore.OAuthLink) {
	at := time.Date(2031, 5, 6, 7, 8, 9, 123456789, time.UTC)
	u := &keystore.User{ID: "u", Email: "e@x.test", Roles: []string{"a", ""}, Active: true, TOTPSecret: "s", CreatedAt: at}
	s := &keystore.Session{Digest: []byte{1, 2, 3}, UserID: "u", Kind: "session", ExpiresAt: at.Add(time.Hour), StepUpUntil: time.Unix(-5, 7)}
	k := &keystore.APIKey{KeyID: "k", UserID: "u", Digest: []byte{9}, Scopes: []string{"x"}, SigningRequired: true, RevokedAt: at}
	l := &keystore.OAuthLink{Provider: "p", Subject: "s", UserID: "u", AccessToken: "a", CreatedAt: at}
	return u, s, k, l
}

func TestRecordsRoundTrip(t *testing.T) {
	u, s, k, l := sampleRecords()
	gu, err := decodeUser(encodeUser(u))
	if err != nil || gu.ID != u.ID || gu.Email != u.Email || len(gu.Roles) != 2 || gu.Roles[1] != "" || !gu.Active || !gu.CreatedAt.Equal(u.CreatedAt) || !gu.UpdatedAt.IsZero() {
		t.Errorf("user round trip: %+v, %v", gu, err)
	}
	gs, err := decodeSession(encodeSession(s))
	if err != nil || string(gs.Digest) != string(s.Digest) || !gs.ExpiresAt.Equal(s.ExpiresAt) || !gs.StepUpUntil.Equal(s.StepUpUntil) || !gs.LastSeenAt.IsZero() {
		t.Errorf("session round trip: %+v, %v", gs, err)
	}
	gk, err := decodeAPIKey(encodeAPIKey(k))
	if err != nil || gk.KeyID != k.KeyID || !gk.SigningRequired || !gk.RevokedAt.Equal(k.RevokedAt) || gk.Scopes[0] != "x" {
		t.Errorf("api key round trip: %+v, %v", gk, err)
	}
	gl, err := decodeOAuthLink(encodeOAuthLink(l))
	if err != nil || gl.Provider != "p" || gl.AccessToken != "a" || !gl.CreatedAt.Equal(l.CreatedAt) {
		t.Errorf("oauth round trip: %+v, %v", gl, err)
	}
	at := time.Date(2200, 1, 1, 0, 0, 0, 1, time.UTC)
	if got, err := decodeExpiry(encodeExpiry(at)); err != nil || !got.Equal(at) {
		t.Errorf("expiry round trip: %v, %v", got, err)
	}
}

// TestCorruptRecordsAreRejected feeds truncated, extended and wrong-format
// records to every decoder: each must answer errCorrupt, never a record.
func TestCorruptRecordsAreRejected(t *testing.T) {
	u, s, k, l := sampleRecords()
	decoders := map[string]struct {
		rec    []byte
		decode func([]byte) error
	}{
		"user":    {encodeUser(u), func(b []byte) error { _, err := decodeUser(b); return err }},
		"session": {encodeSession(s), func(b []byte) error { _, err := decodeSession(b); return err }},
		"apikey":  {encodeAPIKey(k), func(b []byte) error { _, err := decodeAPIKey(b); return err }},
		"oauth":   {encodeOAuthLink(l), func(b []byte) error { _, err := decodeOAuthLink(b); return err }},
		"expiry":  {encodeExpiry(time.Unix(100, 0)), func(b []byte) error { _, err := decodeExpiry(b); return err }},
	}
	for name, d := range decoders {
		t.Run(name, func(t *testing.T) {
			bad := map[string][]byte{
				"empty":           nil,
				"unknown format":  append([]byte{99}, d.rec[1:]...),
				"trailing byte":   append(append([]byte(nil), d.rec...), 0),
				"huge length":     {d.rec[0], 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
				"bad bool or tag": append([]byte{d.rec[0]}, 0x00, 0x02, 0x02, 0x02),
			}
			for i := 1; i < len(d.rec); i++ {
				bad["truncated at "+string(rune('0'+i%10))+"/"+time.Duration(i).String()] = d.rec[:i]
			}
			for what, b := range bad {
				if err := d.decode(b); !errors.Is(err, errCorrupt) {
					t.Errorf("%s: err = %v, want errCorrupt", what, err)
				}
			}
		})
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

// FuzzDecode: no input may panic a decoder or make it allocate beyond
// the input's size, and whatever decodes must re-encode to bytes that
// decode again and re-encode identically (the encoding is stable; inputs
// with over-long varints need not come back byte for byte).
func FuzzDecode(f *testing.F) {
	u, s, k, l := sampleRecords()
	for _, seed := range [][]byte{encodeUser(u), encodeSession(s), encodeAPIKey(k), encodeOAuthLink(l), encodeExpiry(time.Unix(1, 2)), {1}, {}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		stable(t, "user", b, decodeUser, encodeUser)
		stable(t, "session", b, decodeSession, encodeSession)
		stable(t, "api key", b, decodeAPIKey, encodeAPIKey)
		stable(t, "oauth link", b, decodeOAuthLink, encodeOAuthLink)
		stable(t, "expiry", b, decodeExpiry, encodeExpiry)
	})
}

func stable[T any](t *testing.T, what string, b []byte, decode func([]byte) (T, error), encode func(T) []byte) {
	v, err := decode(b)
	if err != nil {
		return
	}
	once := encode(v)
	v2, err := decode(once)
	if err != nil {
		t.Fatalf("%s: re-encoded record does not decode: %v", what, err)
	}
	if string(encode(v2)) != string(once) {
		t.Fatalf("%s: encoding is not stable", what)
	}
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
	if v := storedVersion(t, path); v != 2 {
		t.Fatalf("schema version %d, want 2", v)
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
