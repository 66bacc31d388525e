package redis

import (
	"fmt"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/internal/record"
)

// errCorrupt is returned when a stored value cannot be decoded. The
// message never carries the bytes that failed.
var errCorrupt = fmt.Errorf("keystore/redis: %w", record.ErrCorrupt)

// The record layouts are record's, with the format bytes in
// record.Redis ('V' and the legacy 'U' for users, 'S', 'K', 'O'). A new
// layout gets a new byte; decoders refuse formats they do not know
// rather than guess. Values read from Redis are immutable strings: the
// decoded records' strings share them.
func encodeUser(u *keystore.User) string { return string(record.Redis.EncodeUser(u)) }

func decodeUser(v string) (*keystore.User, error) {
	return corruptAs(record.Redis.DecodeUser(v))
}

func encodeSession(s *keystore.Session) string { return string(record.Redis.EncodeSession(s)) }

func decodeSession(v string) (*keystore.Session, error) {
	return corruptAs(record.Redis.DecodeSession(v))
}

func encodeAPIKey(k *keystore.APIKey) string { return string(record.Redis.EncodeAPIKey(k)) }

func decodeAPIKey(v string) (*keystore.APIKey, error) {
	return corruptAs(record.Redis.DecodeAPIKey(v))
}

func encodeOAuthLink(l *keystore.OAuthLink) string { return string(record.Redis.EncodeOAuthLink(l)) }

func decodeOAuthLink(v string) (*keystore.OAuthLink, error) {
	return corruptAs(record.Redis.DecodeOAuthLink(v))
}

func encodePasskey(p *keystore.Passkey) string { return string(record.Redis.EncodePasskey(p)) }

func decodePasskey(v string) (*keystore.Passkey, error) {
	return corruptAs(record.Redis.DecodePasskey(v))
}

// corruptAs gives a decoder's failure this package's errCorrupt.
func corruptAs[T any](v *T, err error) (*T, error) {
	if err != nil {
		return nil, errCorrupt
	}
	return v, nil
}
