package ceremony

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehouse/gatehouse/keystore"
)

// Result is a verified assertion.
type Result struct {
	UserID  string
	Passkey *keystore.Passkey // as stored after the use
	// UserVerified is the UV flag of this assertion: the authenticator
	// verified the person (PIN, biometrics), not only their presence.
	UserVerified bool
}

// BeginAssertion starts a second login step or a step-up (kind KindSecond
// or KindStepUp) for u, limited to u's passkeys. ErrUnknownCredential: u
// has none.
func (rp *RP) BeginAssertion(ctx context.Context, kind string, u *keystore.User, binding string) (options []byte, st string, err error) {
	if kind != KindSecond && kind != KindStepUp {
		return nil, "", errors.New("ceremony: BeginAssertion kind must be second or stepup")
	}
	pks, err := rp.c.Passkeys.ListUserPasskeys(ctx, u.ID)
	if err != nil {
		return nil, "", err
	}
	if len(pks) == 0 {
		return nil, "", ErrUnknownCredential
	}
	assertion, sd, err := rp.wa.BeginLogin(rp.user(u, pks))
	if err != nil {
		return nil, "", err
	}
	return rp.began(kind, u.ID, binding, assertion, sd)
}

// BeginLogin starts a passwordless login with a discoverable credential
// (binding names the login page's client, e.g. its CSRF cookie).
func (rp *RP) BeginLogin(binding string) (options []byte, st string, err error) {
	assertion, sd, err := rp.wa.BeginDiscoverableLogin()
	if err != nil {
		return nil, "", err
	}
	return rp.began(KindLogin, "", binding, assertion, sd)
}

func (rp *RP) began(kind, userID, binding string, a *protocol.CredentialAssertion, sd *webauthn.SessionData) ([]byte, string, error) {
	st, err := rp.seal(kind, userID, binding, sd)
	if err != nil {
		return nil, "", err
	}
	options, err := json.Marshal(a)
	return options, st, err
}

// FinishAssertion verifies the answer to a ceremony begun with
// BeginAssertion (userID set) or BeginLogin (userID empty, kind
// KindLogin), and records the use of the passkey. The caller checks that
// the user may log in. ErrCloned comes with a Result naming only the
// credential's owner (for the audit log).
func (rp *RP) FinishAssertion(ctx context.Context, kind, userID, binding, st string, answer []byte) (*Result, error) {
	s, err := rp.accept(ctx, st, kind, userID, binding, answer)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
	if err != nil {
		return nil, ErrVerify
	}
	if !keystore.ValidCredentialID(parsed.RawID) {
		return nil, ErrUnknownCredential
	}
	pk, err := rp.c.Passkeys.GetPasskey(ctx, parsed.RawID)
	switch {
	case errors.Is(err, keystore.ErrNotFound):
		return nil, ErrUnknownCredential
	case err != nil:
		return nil, err
	}
	if kind == KindLogin {
		// A discoverable credential names its user by the handle it was
		// made for; it must be the one stored with the credential.
		if h := parsed.Response.UserHandle; len(h) == 0 || subtle.ConstantTimeCompare(h, pk.UserHandle) != 1 {
			return nil, ErrUnknownCredential
		}
	} else if subtle.ConstantTimeCompare([]byte(pk.UserID), []byte(userID)) != 1 {
		return nil, ErrUnknownCredential
	}
	owner := pk.UserID
	pks, err := rp.c.Passkeys.ListUserPasskeys(ctx, owner)
	if err != nil {
		return nil, err
	}
	// go-webauthn compares the answer's user handle with the user's; the
	// handle is the one stored with the credential.
	wu := &waUser{handle: pk.UserHandle}
	for _, p := range pks {
		if bytes.Equal(p.UserHandle, pk.UserHandle) {
			wu.creds = append(wu.creds, credential(p))
		}
	}
	var cred *webauthn.Credential
	if kind == KindLogin {
		cred, err = rp.wa.ValidateDiscoverableLogin(func(_, _ []byte) (webauthn.User, error) { return wu, nil }, s.Session, parsed)
	} else {
		cred, err = rp.wa.ValidateLogin(wu, s.Session, parsed)
	}
	if err != nil {
		return nil, ErrVerify
	}
	used, err := rp.c.Passkeys.UsePasskey(ctx, pk.CredentialID, keystore.PasskeyUse{
		SignCount:   parsed.Response.AuthenticatorData.Counter,
		BackupState: cred.Flags.BackupState,
		At:          rp.c.Now().UTC(),
	})
	switch {
	case errors.Is(err, keystore.ErrSignCount):
		// The owner is named so the caller can audit the refusal.
		return &Result{UserID: owner}, ErrCloned
	case errors.Is(err, keystore.ErrNotFound):
		return nil, ErrUnknownCredential
	case err != nil:
		return nil, err
	}
	return &Result{UserID: owner, Passkey: used, UserVerified: parsed.Response.AuthenticatorData.Flags.HasUserVerified()}, nil
}
