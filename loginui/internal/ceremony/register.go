package ceremony

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehouse/gatehouse/keystore"
)

// BeginRegistration starts adding a passkey for u (logged in; binding
// names the session). It returns the options for
// navigator.credentials.create ({"publicKey": ...}) and the state.
func (rp *RP) BeginRegistration(ctx context.Context, u *keystore.User, binding string) (options []byte, st string, err error) {
	pks, err := rp.c.Passkeys.ListUserPasskeys(ctx, u.ID)
	if err != nil {
		return nil, "", err
	}
	if len(pks) >= MaxPerUser {
		return nil, "", ErrLimit
	}
	wu := rp.user(u, pks)
	creation, sd, err := rp.wa.BeginRegistration(wu, webauthn.WithExclusions(webauthn.Credentials(wu.creds).CredentialDescriptors()))
	if err != nil {
		return nil, "", err
	}
	if st, err = rp.seal(KindRegister, u.ID, binding, sd); err != nil {
		return nil, "", err
	}
	options, err = json.Marshal(creation)
	return options, st, err
}

// FinishRegistration verifies the authenticator's answer to a
// registration begun for u and binding, and stores the passkey under
// name. Nothing is stored when any check fails.
func (rp *RP) FinishRegistration(ctx context.Context, u *keystore.User, binding, st string, answer []byte, name string) (*keystore.Passkey, error) {
	s, err := rp.accept(ctx, st, KindRegister, u.ID, binding, answer)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(answer)
	if err != nil {
		return nil, ErrVerify
	}
	pks, err := rp.c.Passkeys.ListUserPasskeys(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if len(pks) >= MaxPerUser {
		return nil, ErrLimit
	}
	cred, err := rp.wa.CreateCredential(rp.user(u, pks), s.Session, parsed)
	if err != nil {
		return nil, ErrVerify
	}
	if !keystore.ValidCredentialID(cred.ID) {
		return nil, ErrVerify
	}
	p := &keystore.Passkey{
		CredentialID:    cred.ID,
		UserID:          u.ID,
		UserHandle:      rp.UserHandle(u.ID),
		PublicKey:       cred.PublicKey,
		AttestationType: cred.AttestationType,
		AAGUID:          cred.Authenticator.AAGUID,
		SignCount:       cred.Authenticator.SignCount,
		BackupEligible:  cred.Flags.BackupEligible,
		BackupState:     cred.Flags.BackupState,
		UserVerified:    cred.Flags.UserVerified,
		Name:            cleanName(name),
		CreatedAt:       rp.c.Now().UTC(),
	}
	for _, t := range cred.Transport {
		if len(p.Transports) < keystore.MaxPasskeyTransports && len(t) <= keystore.MaxPasskeyTransportLen {
			p.Transports = append(p.Transports, string(t))
		}
	}
	if !keystore.ValidPasskey(p) {
		return nil, ErrVerify
	}
	switch err := rp.c.Passkeys.CreatePasskey(ctx, p); {
	case errors.Is(err, keystore.ErrDuplicate):
		return nil, ErrExists
	case err != nil:
		return nil, err
	}
	return p, nil
}

// cleanName keeps a passkey's name printable and within bounds; empty
// becomes "Passkey".
func cleanName(s string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			continue
		}
		if b.Len()+len(string(r)) > keystore.MaxPasskeyNameLen {
			break
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "Passkey"
	}
	return b.String()
}
