package accounts

import (
	"context"
	"encoding/base64"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

// ErrPasskeyNotFound: no passkey of that credential id belongs to the
// user named (also for an id that cannot name a passkey).
var ErrPasskeyNotFound = errors.New("accounts: no such passkey")

// PasskeyView is a passkey as an operator sees it, in the portal's admin
// API and the admin commands alike: never the public key or the user
// handle. ID is the credential id as unpadded base64url (EncodeCredentialID).
type PasskeyView struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	CreatedAt      time.Time `json:"created_at"`
	LastUsedAt     time.Time `json:"last_used_at,omitzero"`
	BackupEligible bool      `json:"backup_eligible"`
	BackupState    bool      `json:"backup_state"`
	Transports     []string  `json:"transports"`
	SignCount      uint32    `json:"sign_count"`
}

// ViewPasskey describes p.
func ViewPasskey(p *keystore.Passkey) PasskeyView {
	tr := p.Transports
	if tr == nil {
		tr = []string{}
	}
	return PasskeyView{ID: EncodeCredentialID(p.CredentialID), Name: p.Name, CreatedAt: p.CreatedAt,
		LastUsedAt: p.LastUsedAt, BackupEligible: p.BackupEligible, BackupState: p.BackupState,
		Transports: tr, SignCount: p.SignCount}
}

// EncodeCredentialID is the text form of a credential id in URLs and
// commands: unpadded base64url, as WebAuthn itself writes it.
func EncodeCredentialID(id []byte) string { return base64.RawURLEncoding.EncodeToString(id) }

// maxCredentialIDText bounds the text form before it is decoded.
var maxCredentialIDText = base64.RawURLEncoding.EncodedLen(keystore.MaxCredentialIDLen)

// ParseCredentialID decodes EncodeCredentialID's form; anything that
// cannot name a passkey is ErrPasskeyNotFound.
func ParseCredentialID(s string) ([]byte, error) {
	if s == "" || len(s) > maxCredentialIDText {
		return nil, ErrPasskeyNotFound
	}
	id, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !keystore.ValidCredentialID(id) {
		return nil, ErrPasskeyNotFound
	}
	return id, nil
}

// ListUserPasskeys describes userID's passkeys, oldest first; never nil.
func ListUserPasskeys(ctx context.Context, store keystore.Passkeys, userID string) ([]PasskeyView, error) {
	ps, err := store.ListUserPasskeys(ctx, userID)
	if err != nil && !errors.Is(err, keystore.ErrNotFound) {
		return nil, err
	}
	out := make([]PasskeyView, 0, len(ps))
	for _, p := range ps {
		out = append(out, ViewPasskey(p))
	}
	return out, nil
}

// RemoveUserPasskey deletes the passkey named by credentialID (text form)
// when it belongs to userID: ErrPasskeyNotFound when it does not, or is
// gone. It is the one ownership check of a passkey removal.
func RemoveUserPasskey(ctx context.Context, store keystore.Passkeys, userID, credentialID string) error {
	id, err := ParseCredentialID(credentialID)
	if err != nil {
		return err
	}
	p, err := store.GetPasskey(ctx, id)
	switch {
	case errors.Is(err, keystore.ErrNotFound):
		return ErrPasskeyNotFound
	case err != nil:
		return err
	case p.UserID != userID:
		return ErrPasskeyNotFound
	}
	if err := store.DeletePasskey(ctx, id); errors.Is(err, keystore.ErrNotFound) {
		return ErrPasskeyNotFound
	} else if err != nil {
		return err
	}
	return nil
}
