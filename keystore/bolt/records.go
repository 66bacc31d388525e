package bolt

import (
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/internal/record"
)

// errCorrupt is returned when a stored record cannot be decoded. The
// message never carries the bytes that failed to decode.
var errCorrupt = fmt.Errorf("keystore/bolt: %w", record.ErrCorrupt)

// The user, session, API key and OAuth link layouts are record's, with
// the format bytes in record.Bolt. A new field means a new format byte
// and a migration that rewrites old records (see schema.go); decoders
// reject formats they do not know rather than guess.
//
// Decoders take bbolt's []byte, valid only inside the transaction, and
// convert it to a string once: that copy is what the record's strings
// share, so nothing returned aliases the memory-mapped file.
var (
	userFormat1    = record.Bolt.UserLegacy // before EmailVerifiedAt; read, never written
	userFormat2    = record.Bolt.User       // userFormat1 + EmailVerifiedAt
	sessionFormat1 = record.Bolt.Session
)

const expiryFormat1 byte = 1

func encodeUser(u *keystore.User) []byte { return record.Bolt.EncodeUser(u) }

func decodeUser(b []byte) (*keystore.User, error) {
	return corruptAs(record.Bolt.DecodeUser(string(b)))
}

func encodeSession(s *keystore.Session) []byte { return record.Bolt.EncodeSession(s) }

func decodeSession(b []byte) (*keystore.Session, error) {
	return corruptAs(record.Bolt.DecodeSession(string(b)))
}

func encodeAPIKey(k *keystore.APIKey) []byte { return record.Bolt.EncodeAPIKey(k) }

func decodeAPIKey(b []byte) (*keystore.APIKey, error) {
	return corruptAs(record.Bolt.DecodeAPIKey(string(b)))
}

func encodeOAuthLink(l *keystore.OAuthLink) []byte { return record.Bolt.EncodeOAuthLink(l) }

func decodeOAuthLink(b []byte) (*keystore.OAuthLink, error) {
	return corruptAs(record.Bolt.DecodeOAuthLink(string(b)))
}

func encodePasskey(p *keystore.Passkey) []byte { return record.Bolt.EncodePasskey(p) }

func decodePasskey(b []byte) (*keystore.Passkey, error) {
	return corruptAs(record.Bolt.DecodePasskey(string(b)))
}

// corruptAs gives a decoder's failure this package's errCorrupt.
func corruptAs[T any](v *T, err error) (*T, error) {
	if err != nil {
		return nil, errCorrupt
	}
	return v, nil
}

// An expiry record (the denylist's value) is bbolt's own: the format
// byte and one time.

func encodeExpiry(t time.Time) []byte {
	w := record.NewWriter(expiryFormat1, 16)
	w.Time(t)
	return w.Encoded()
}

func decodeExpiry(b []byte) (time.Time, error) {
	r := record.NewReader(string(b))
	if r.Byte() != expiryFormat1 {
		return time.Time{}, errCorrupt
	}
	t := r.Time()
	if r.Done() != nil {
		return time.Time{}, errCorrupt
	}
	return t, nil
}
