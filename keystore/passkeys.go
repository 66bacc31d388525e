package keystore

import (
	"context"
	"errors"
	"time"
)

// ErrSignCount: an assertion's signature counter is not above the stored
// one (WebAuthn §6.1.1, "signCount"): the authenticator may be a clone.
// The store refuses the use inside its transaction and changes nothing;
// the caller audits it.
var ErrSignCount = errors.New("keystore: passkey signature counter did not increase")

// MaxCredentialIDLen is the WebAuthn limit on a credential id (Level 3,
// §5.1 "credential ID": at most 1023 bytes).
const MaxCredentialIDLen = 1023

// Limits on the other passkey fields, so a record stays small whatever an
// authenticator sends.
const (
	MaxPasskeyPublicKeyLen  = 2048 // a COSE key; RSA-4096 fits
	MaxPasskeyNameLen       = 64
	MaxPasskeyTransports    = 8
	MaxPasskeyTransportLen  = 32
	MaxPasskeyUserHandleLen = 64 // WebAuthn caps user.id at 64 bytes
)

// ValidCredentialID reports whether id can name a passkey: 1 to
// MaxCredentialIDLen bytes.
func ValidCredentialID(id []byte) bool { return len(id) > 0 && len(id) <= MaxCredentialIDLen }

// Passkey is a WebAuthn credential registered by a user. The credential id
// is unique across all users.
type Passkey struct {
	CredentialID    []byte // raw credential id, 1..MaxCredentialIDLen bytes
	UserID          string
	UserHandle      []byte // the WebAuthn user.id the credential was made for
	PublicKey       []byte // COSE_Key
	AttestationType string // "none" for the attestation gatehouse asks for
	AAGUID          []byte // 16 bytes, zero for attestation none
	SignCount       uint32
	Transports      []string
	BackupEligible  bool
	BackupState     bool
	// UserVerified is whether the authenticator verified the user at
	// registration (the UV flag); a login records its own UV flag in the
	// session's AuthMethod, not here.
	UserVerified bool
	Name         string
	CreatedAt    time.Time
	LastUsedAt   time.Time
}

// PasskeyUse is what one verified assertion changes on its credential.
type PasskeyUse struct {
	SignCount   uint32
	BackupState bool
	At          time.Time
}

// Passkeys stores WebAuthn credentials with a per-user index.
// DeleteUser cascades to them.
type Passkeys interface {
	// CreatePasskey stores p: ErrDuplicate when the credential id is taken
	// (by any user), ErrNotFound when the user is missing.
	CreatePasskey(ctx context.Context, p *Passkey) error
	GetPasskey(ctx context.Context, credentialID []byte) (*Passkey, error)
	// ListUserPasskeys returns the user's passkeys ordered by CreatedAt,
	// then credential id.
	ListUserPasskeys(ctx context.Context, userID string) ([]*Passkey, error)
	// UsePasskey records a verified assertion inside the back-end's
	// transaction: the new counter must be above the stored one unless
	// both are zero (an authenticator without a counter), else
	// ErrSignCount and nothing is written. It sets SignCount, BackupState
	// and LastUsedAt and returns the record written.
	UsePasskey(ctx context.Context, credentialID []byte, use PasskeyUse) (*Passkey, error)
	DeletePasskey(ctx context.Context, credentialID []byte) error
}

// SignCountOK is the counter rule UsePasskey applies: a counter that is
// not above the stored one is refused, unless both are zero.
func SignCountOK(stored, got uint32) bool {
	if stored == 0 && got == 0 {
		return true
	}
	return got > stored
}

// ApplyPasskeyUse checks use against p's counter and applies it; the
// back-ends call it inside their transaction.
func ApplyPasskeyUse(p *Passkey, use PasskeyUse) error {
	if !SignCountOK(p.SignCount, use.SignCount) {
		return ErrSignCount
	}
	p.SignCount = use.SignCount
	p.BackupState = use.BackupState
	p.LastUsedAt = use.At
	return nil
}

// ValidPasskey reports whether p's fields are within the limits above.
func ValidPasskey(p *Passkey) bool {
	if !ValidCredentialID(p.CredentialID) || !ValidID(p.UserID) ||
		len(p.PublicKey) == 0 || len(p.PublicKey) > MaxPasskeyPublicKeyLen ||
		len(p.UserHandle) > MaxPasskeyUserHandleLen || len(p.AAGUID) > 16 ||
		len(p.Name) > MaxPasskeyNameLen || len(p.AttestationType) > MaxPasskeyTransportLen ||
		len(p.Transports) > MaxPasskeyTransports {
		return false
	}
	for _, t := range p.Transports {
		if len(t) > MaxPasskeyTransportLen {
			return false
		}
	}
	return true
}
