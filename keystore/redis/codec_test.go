package redis

import (
	"errors"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/internal/record"
)

// The layouts and their golden bytes are tested in keystore/internal/record;
// these tests cover what this package adds: its error and the legacy user
// records already stored in Redis.

var when = time.Date(2030, 1, 2, 3, 4, 5, 600_000_007, time.UTC)

// TestDecodeErrorsAreThisPackages: a value that does not decode is
// errCorrupt (its message without data), which is also record.ErrCorrupt.
func TestDecodeErrorsAreThisPackages(t *testing.T) {
	secret := "V\x40hunter2"
	for name, decode := range map[string]func(string) error{
		"user":    func(v string) error { _, err := decodeUser(v); return err },
		"session": func(v string) error { _, err := decodeSession(v); return err },
		"apikey":  func(v string) error { _, err := decodeAPIKey(v); return err },
		"oauth":   func(v string) error { _, err := decodeOAuthLink(v); return err },
	} {
		err := decode(secret)
		if !errors.Is(err, errCorrupt) || !errors.Is(err, record.ErrCorrupt) || err.Error() != "keystore/redis: corrupt record" {
			t.Errorf("%s: err = %v, want errCorrupt", name, err)
		}
	}
}

// TestLegacyUserRecordsStayReadable: a user record written before
// EmailVerifiedAt existed ('U', no trailing time) still decodes, with a
// zero EmailVerifiedAt; the current format ('V') keeps the field. The
// store's path is TestLegacyUserRecordsReadThroughTheStore.
func TestLegacyUserRecordsStayReadable(t *testing.T) {
	u := &keystore.User{ID: "0123456789abcdef0123456789abcdef", Email: "a@x.test", Active: true, Verified: true, CreatedAt: when}
	rec := encodeUser(u)
	if rec[0] != 'V' || rec[len(rec)-1] != 0 {
		t.Fatal("unexpected layout of the current user record")
	}
	legacy := "U" + rec[1:len(rec)-1]
	got, err := decodeUser(legacy)
	if err != nil || got.ID != u.ID || !got.Verified || !got.EmailVerifiedAt.IsZero() || !got.CreatedAt.Equal(when) {
		t.Fatalf("legacy record: %+v, %v", got, err)
	}
	withVerifiedAt := *u
	withVerifiedAt.EmailVerifiedAt = when.Add(time.Second)
	got, err = decodeUser(encodeUser(&withVerifiedAt))
	if err != nil || !got.EmailVerifiedAt.Equal(withVerifiedAt.EmailVerifiedAt) {
		t.Fatalf("current record: %+v, %v", got, err)
	}

}
