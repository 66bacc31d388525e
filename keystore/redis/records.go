package redis

import (
	"github.com/gatehouse/gatehouse/keystore"
)

// Record format bytes. A new layout gets a new byte; decoders refuse
// formats they do not know rather than guess.
const (
	userFormat1    byte = 'U' // before EmailVerifiedAt; read, never written
	userFormat2    byte = 'V' // userFormat1 + EmailVerifiedAt
	sessionFormat1 byte = 'S'
	apiKeyFormat1  byte = 'K'
	oauthFormat1   byte = 'O'
)

func encodeUser(u *keystore.User) string {
	w := writer{b: make([]byte, 0, 256)}
	w.byte(userFormat2)
	w.str(u.ID)
	w.str(u.Email)
	w.str(u.DisplayName)
	w.str(u.PasswordHash)
	w.strs(u.Roles)
	w.bool(u.Superuser)
	w.bool(u.Active)
	w.bool(u.Verified)
	w.bool(u.TOTPEnabled)
	w.str(u.TOTPSecret)
	w.str(u.TOTPPending)
	w.time(u.CreatedAt)
	w.time(u.UpdatedAt)
	w.time(u.EmailVerifiedAt)
	return string(w.b)
}

func decodeUser(v string) (*keystore.User, error) {
	r := reader{s: v}
	format := r.byte()
	if format != userFormat1 && format != userFormat2 {
		return nil, errCorrupt
	}
	u := &keystore.User{
		ID:           r.str(),
		Email:        r.str(),
		DisplayName:  r.str(),
		PasswordHash: r.str(),
		Roles:        r.strs(),
		Superuser:    r.bool(),
		Active:       r.bool(),
		Verified:     r.bool(),
		TOTPEnabled:  r.bool(),
		TOTPSecret:   r.str(),
		TOTPPending:  r.str(),
		CreatedAt:    r.time(),
		UpdatedAt:    r.time(),
	}
	if format == userFormat2 {
		u.EmailVerifiedAt = r.time()
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return u, nil
}

func encodeSession(s *keystore.Session) string {
	w := writer{b: make([]byte, 0, 192)}
	w.byte(sessionFormat1)
	w.bytes(s.Digest)
	w.str(s.UserID)
	w.str(s.Kind)
	w.str(s.AuthMethod)
	w.str(s.ChainID)
	w.time(s.CreatedAt)
	w.time(s.ExpiresAt)
	w.time(s.LastSeenAt)
	w.str(s.UserAgent)
	w.time(s.StepUpUntil)
	return string(w.b)
}

func decodeSession(v string) (*keystore.Session, error) {
	r := reader{s: v}
	if r.byte() != sessionFormat1 {
		return nil, errCorrupt
	}
	s := &keystore.Session{
		Digest:      r.bytes(),
		UserID:      r.str(),
		Kind:        r.str(),
		AuthMethod:  r.str(),
		ChainID:     r.str(),
		CreatedAt:   r.time(),
		ExpiresAt:   r.time(),
		LastSeenAt:  r.time(),
		UserAgent:   r.str(),
		StepUpUntil: r.time(),
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return s, nil
}

func encodeAPIKey(k *keystore.APIKey) string {
	w := writer{b: make([]byte, 0, 256)}
	w.byte(apiKeyFormat1)
	w.str(k.KeyID)
	w.str(k.UserID)
	w.str(k.Name)
	w.str(k.Env)
	w.bytes(k.Digest)
	w.strs(k.Scopes)
	w.bool(k.SigningRequired)
	w.str(k.SigningSecret)
	w.time(k.CreatedAt)
	w.time(k.ExpiresAt)
	w.time(k.RevokedAt)
	w.time(k.LastUsedAt)
	return string(w.b)
}

func decodeAPIKey(v string) (*keystore.APIKey, error) {
	r := reader{s: v}
	if r.byte() != apiKeyFormat1 {
		return nil, errCorrupt
	}
	k := &keystore.APIKey{
		KeyID:           r.str(),
		UserID:          r.str(),
		Name:            r.str(),
		Env:             r.str(),
		Digest:          r.bytes(),
		Scopes:          r.strs(),
		SigningRequired: r.bool(),
		SigningSecret:   r.str(),
		CreatedAt:       r.time(),
		ExpiresAt:       r.time(),
		RevokedAt:       r.time(),
		LastUsedAt:      r.time(),
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return k, nil
}

func encodeOAuthLink(l *keystore.OAuthLink) string {
	w := writer{b: make([]byte, 0, 256)}
	w.byte(oauthFormat1)
	w.str(l.Provider)
	w.str(l.Subject)
	w.str(l.UserID)
	w.str(l.Email)
	w.str(l.AccessToken)
	w.str(l.RefreshToken)
	w.time(l.CreatedAt)
	return string(w.b)
}

func decodeOAuthLink(v string) (*keystore.OAuthLink, error) {
	r := reader{s: v}
	if r.byte() != oauthFormat1 {
		return nil, errCorrupt
	}
	l := &keystore.OAuthLink{
		Provider:     r.str(),
		Subject:      r.str(),
		UserID:       r.str(),
		Email:        r.str(),
		AccessToken:  r.str(),
		RefreshToken: r.str(),
		CreatedAt:    r.time(),
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return l, nil
}
