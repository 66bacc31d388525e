package bolt

import (
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

// Record format bytes. A new field means a new format byte and a
// migration that rewrites old records (see schema.go); decoders reject
// formats they do not know rather than guess.
const (
	userFormat1    byte = 1 // before EmailVerifiedAt; read, never written
	userFormat2    byte = 2 // userFormat1 + EmailVerifiedAt
	sessionFormat1 byte = 1
	apiKeyFormat1  byte = 1
	oauthFormat1   byte = 1
	expiryFormat1  byte = 1
)

func encodeUser(u *keystore.User) []byte {
	e := enc{b: make([]byte, 0, 256)}
	e.byte(userFormat2)
	e.string(u.ID)
	e.string(u.Email)
	e.string(u.DisplayName)
	e.string(u.PasswordHash)
	e.strings(u.Roles)
	e.bool(u.Superuser)
	e.bool(u.Active)
	e.bool(u.Verified)
	e.bool(u.TOTPEnabled)
	e.string(u.TOTPSecret)
	e.string(u.TOTPPending)
	e.time(u.CreatedAt)
	e.time(u.UpdatedAt)
	e.time(u.EmailVerifiedAt)
	return e.b
}

func decodeUser(b []byte) (*keystore.User, error) {
	d := dec{b: b}
	format := d.byte()
	if format != userFormat1 && format != userFormat2 {
		return nil, errCorrupt
	}
	u := &keystore.User{
		ID:           d.string(),
		Email:        d.string(),
		DisplayName:  d.string(),
		PasswordHash: d.string(),
		Roles:        d.strings(),
		Superuser:    d.bool(),
		Active:       d.bool(),
		Verified:     d.bool(),
		TOTPEnabled:  d.bool(),
		TOTPSecret:   d.string(),
		TOTPPending:  d.string(),
		CreatedAt:    d.time(),
		UpdatedAt:    d.time(),
	}
	if format == userFormat2 {
		u.EmailVerifiedAt = d.time()
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	return u, nil
}

func encodeSession(s *keystore.Session) []byte {
	e := enc{b: make([]byte, 0, 160)}
	e.byte(sessionFormat1)
	e.bytes(s.Digest)
	e.string(s.UserID)
	e.string(s.Kind)
	e.string(s.AuthMethod)
	e.string(s.ChainID)
	e.time(s.CreatedAt)
	e.time(s.ExpiresAt)
	e.time(s.LastSeenAt)
	e.string(s.UserAgent)
	e.time(s.StepUpUntil)
	return e.b
}

func decodeSession(b []byte) (*keystore.Session, error) {
	d := dec{b: b}
	if d.byte() != sessionFormat1 {
		return nil, errCorrupt
	}
	s := &keystore.Session{
		Digest:      d.bytes(),
		UserID:      d.string(),
		Kind:        d.string(),
		AuthMethod:  d.string(),
		ChainID:     d.string(),
		CreatedAt:   d.time(),
		ExpiresAt:   d.time(),
		LastSeenAt:  d.time(),
		UserAgent:   d.string(),
		StepUpUntil: d.time(),
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	return s, nil
}

func encodeAPIKey(k *keystore.APIKey) []byte {
	e := enc{b: make([]byte, 0, 256)}
	e.byte(apiKeyFormat1)
	e.string(k.KeyID)
	e.string(k.UserID)
	e.string(k.Name)
	e.string(k.Env)
	e.bytes(k.Digest)
	e.strings(k.Scopes)
	e.bool(k.SigningRequired)
	e.string(k.SigningSecret)
	e.time(k.CreatedAt)
	e.time(k.ExpiresAt)
	e.time(k.RevokedAt)
	e.time(k.LastUsedAt)
	return e.b
}

func decodeAPIKey(b []byte) (*keystore.APIKey, error) {
	d := dec{b: b}
	if d.byte() != apiKeyFormat1 {
		return nil, errCorrupt
	}
	k := &keystore.APIKey{
		KeyID:           d.string(),
		UserID:          d.string(),
		Name:            d.string(),
		Env:             d.string(),
		Digest:          d.bytes(),
		Scopes:          d.strings(),
		SigningRequired: d.bool(),
		SigningSecret:   d.string(),
		CreatedAt:       d.time(),
		ExpiresAt:       d.time(),
		RevokedAt:       d.time(),
		LastUsedAt:      d.time(),
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	return k, nil
}

func encodeOAuthLink(l *keystore.OAuthLink) []byte {
	e := enc{b: make([]byte, 0, 256)}
	e.byte(oauthFormat1)
	e.string(l.Provider)
	e.string(l.Subject)
	e.string(l.UserID)
	e.string(l.Email)
	e.string(l.AccessToken)
	e.string(l.RefreshToken)
	e.time(l.CreatedAt)
	return e.b
}

func decodeOAuthLink(b []byte) (*keystore.OAuthLink, error) {
	d := dec{b: b}
	if d.byte() != oauthFormat1 {
		return nil, errCorrupt
	}
	l := &keystore.OAuthLink{
		Provider:     d.string(),
		Subject:      d.string(),
		UserID:       d.string(),
		Email:        d.string(),
		AccessToken:  d.string(),
		RefreshToken: d.string(),
		CreatedAt:    d.time(),
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	return l, nil
}

func encodeExpiry(t time.Time) []byte {
	e := enc{b: make([]byte, 0, 16)}
	e.byte(expiryFormat1)
	e.time(t)
	return e.b
}

func decodeExpiry(b []byte) (time.Time, error) {
	d := dec{b: b}
	if d.byte() != expiryFormat1 {
		return time.Time{}, errCorrupt
	}
	t := d.time()
	if err := d.done(); err != nil {
		return time.Time{}, err
	}
	return t, nil
}
