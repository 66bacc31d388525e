package record

import "github.com/gatehouse/gatehouse/keystore"

// Formats are one back-end's format bytes, the first byte of each record.
// Kinds may share a byte where the back-end keeps them apart (bbolt's
// buckets); no byte is 0, and a zero Formats decodes nothing.
type Formats struct {
	User       byte // the current user layout, the only one written
	UserLegacy byte // User without EmailVerifiedAt: read, never written
	Session    byte
	APIKey     byte
	OAuthLink  byte
	Passkey    byte
}

// The format bytes each back-end has always written. They are part of
// the stored data: never change them (see doc.go).
var (
	Bolt  = Formats{User: 2, UserLegacy: 1, Session: 1, APIKey: 1, OAuthLink: 1, Passkey: 1}
	Redis = Formats{User: 'V', UserLegacy: 'U', Session: 'S', APIKey: 'K', OAuthLink: 'O', Passkey: 'P'}
)

// is reports whether the format byte got is want; 0 is never a format.
func is(got, want byte) bool { return want != 0 && got == want }

// EncodeUser writes u in the current user layout (f.User).
func (f Formats) EncodeUser(u *keystore.User) []byte {
	w := NewWriter(f.User, 256)
	w.String(u.ID)
	w.String(u.Email)
	w.String(u.DisplayName)
	w.String(u.PasswordHash)
	w.Strings(u.Roles)
	w.Bool(u.Superuser)
	w.Bool(u.Active)
	w.Bool(u.Verified)
	w.Bool(u.TOTPEnabled)
	w.String(u.TOTPSecret)
	w.String(u.TOTPPending)
	w.Time(u.CreatedAt)
	w.Time(u.UpdatedAt)
	w.Time(u.EmailVerifiedAt)
	return w.Encoded()
}

// DecodeUser reads a user in either layout; the legacy one has no
// EmailVerifiedAt, which stays zero.
func (f Formats) DecodeUser(v string) (*keystore.User, error) {
	r := NewReader(v)
	format := r.Byte()
	if !is(format, f.User) && !is(format, f.UserLegacy) {
		return nil, ErrCorrupt
	}
	u := &keystore.User{
		ID:           r.String(),
		Email:        r.String(),
		DisplayName:  r.String(),
		PasswordHash: r.String(),
		Roles:        r.Strings(),
		Superuser:    r.Bool(),
		Active:       r.Bool(),
		Verified:     r.Bool(),
		TOTPEnabled:  r.Bool(),
		TOTPSecret:   r.String(),
		TOTPPending:  r.String(),
		CreatedAt:    r.Time(),
		UpdatedAt:    r.Time(),
	}
	if format == f.User {
		u.EmailVerifiedAt = r.Time()
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	return u, nil
}

// EncodeSession writes s.
func (f Formats) EncodeSession(s *keystore.Session) []byte {
	w := NewWriter(f.Session, 192)
	w.Bytes(s.Digest)
	w.String(s.UserID)
	w.String(s.Kind)
	w.String(s.AuthMethod)
	w.String(s.ChainID)
	w.Time(s.CreatedAt)
	w.Time(s.ExpiresAt)
	w.Time(s.LastSeenAt)
	w.String(s.UserAgent)
	w.Time(s.StepUpUntil)
	return w.Encoded()
}

// DecodeSession reads a session.
func (f Formats) DecodeSession(v string) (*keystore.Session, error) {
	r := NewReader(v)
	if !is(r.Byte(), f.Session) {
		return nil, ErrCorrupt
	}
	s := &keystore.Session{
		Digest:      r.Bytes(),
		UserID:      r.String(),
		Kind:        r.String(),
		AuthMethod:  r.String(),
		ChainID:     r.String(),
		CreatedAt:   r.Time(),
		ExpiresAt:   r.Time(),
		LastSeenAt:  r.Time(),
		UserAgent:   r.String(),
		StepUpUntil: r.Time(),
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	return s, nil
}

// EncodeAPIKey writes k.
func (f Formats) EncodeAPIKey(k *keystore.APIKey) []byte {
	w := NewWriter(f.APIKey, 256)
	w.String(k.KeyID)
	w.String(k.UserID)
	w.String(k.Name)
	w.String(k.Env)
	w.Bytes(k.Digest)
	w.Strings(k.Scopes)
	w.Bool(k.SigningRequired)
	w.String(k.SigningSecret)
	w.Time(k.CreatedAt)
	w.Time(k.ExpiresAt)
	w.Time(k.RevokedAt)
	w.Time(k.LastUsedAt)
	return w.Encoded()
}

// DecodeAPIKey reads an API key.
func (f Formats) DecodeAPIKey(v string) (*keystore.APIKey, error) {
	r := NewReader(v)
	if !is(r.Byte(), f.APIKey) {
		return nil, ErrCorrupt
	}
	k := &keystore.APIKey{
		KeyID:           r.String(),
		UserID:          r.String(),
		Name:            r.String(),
		Env:             r.String(),
		Digest:          r.Bytes(),
		Scopes:          r.Strings(),
		SigningRequired: r.Bool(),
		SigningSecret:   r.String(),
		CreatedAt:       r.Time(),
		ExpiresAt:       r.Time(),
		RevokedAt:       r.Time(),
		LastUsedAt:      r.Time(),
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	return k, nil
}

// EncodeOAuthLink writes l.
func (f Formats) EncodeOAuthLink(l *keystore.OAuthLink) []byte {
	w := NewWriter(f.OAuthLink, 256)
	w.String(l.Provider)
	w.String(l.Subject)
	w.String(l.UserID)
	w.String(l.Email)
	w.String(l.AccessToken)
	w.String(l.RefreshToken)
	w.Time(l.CreatedAt)
	return w.Encoded()
}

// DecodeOAuthLink reads an OAuth link.
func (f Formats) DecodeOAuthLink(v string) (*keystore.OAuthLink, error) {
	r := NewReader(v)
	if !is(r.Byte(), f.OAuthLink) {
		return nil, ErrCorrupt
	}
	l := &keystore.OAuthLink{
		Provider:     r.String(),
		Subject:      r.String(),
		UserID:       r.String(),
		Email:        r.String(),
		AccessToken:  r.String(),
		RefreshToken: r.String(),
		CreatedAt:    r.Time(),
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	return l, nil
}

// EncodePasskey writes p.
func (f Formats) EncodePasskey(p *keystore.Passkey) []byte {
	w := NewWriter(f.Passkey, 192+len(p.CredentialID)+len(p.PublicKey))
	w.Bytes(p.CredentialID)
	w.String(p.UserID)
	w.Bytes(p.UserHandle)
	w.Bytes(p.PublicKey)
	w.String(p.AttestationType)
	w.Bytes(p.AAGUID)
	w.Uint(uint64(p.SignCount))
	w.Strings(p.Transports)
	w.Bool(p.BackupEligible)
	w.Bool(p.BackupState)
	w.Bool(p.UserVerified)
	w.String(p.Name)
	w.Time(p.CreatedAt)
	w.Time(p.LastUsedAt)
	return w.Encoded()
}

// DecodePasskey reads a passkey.
func (f Formats) DecodePasskey(v string) (*keystore.Passkey, error) {
	r := NewReader(v)
	if !is(r.Byte(), f.Passkey) {
		return nil, ErrCorrupt
	}
	p := &keystore.Passkey{
		CredentialID:    r.Bytes(),
		UserID:          r.String(),
		UserHandle:      r.Bytes(),
		PublicKey:       r.Bytes(),
		AttestationType: r.String(),
		AAGUID:          r.Bytes(),
	}
	n := r.Uint()
	p.Transports = r.Strings()
	p.BackupEligible = r.Bool()
	p.BackupState = r.Bool()
	p.UserVerified = r.Bool()
	p.Name = r.String()
	p.CreatedAt = r.Time()
	p.LastUsedAt = r.Time()
	if err := r.Done(); err != nil {
		return nil, err
	}
	if n > 1<<32-1 {
		return nil, ErrCorrupt
	}
	p.SignCount = uint32(n)
	return p, nil
}
