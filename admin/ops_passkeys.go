package admin

import (
	"context"
	"errors"

	"github.com/gatehouse/gatehouse/internal/accounts"
)

// PasskeyListRequest is `gatehouse passkey list`.
type PasskeyListRequest struct {
	Email string `json:"email"`
}

// PasskeyList describes a user's passkeys, oldest first.
func (o *Ops) PasskeyList(ctx context.Context, r PasskeyListRequest) ([]accounts.PasskeyView, error) {
	u, err := o.userByEmail(ctx, r.Email)
	if err != nil {
		return nil, err
	}
	return accounts.ListUserPasskeys(ctx, o.Store, u.ID)
}

// PasskeyRemoveRequest is `gatehouse passkey remove`: the user's email and
// the credential id as `passkey list` shows it (unpadded base64url).
type PasskeyRemoveRequest struct {
	Email        string `json:"email"`
	CredentialID string `json:"credential_id"`
}

// PasskeyRemoved names what was removed.
type PasskeyRemoved struct {
	UserID string `json:"user_id"`
	ID     string `json:"id"`
}

// PasskeyRemove deletes one of a user's passkeys. The audit event names
// the user only, never the credential.
func (o *Ops) PasskeyRemove(ctx context.Context, r PasskeyRemoveRequest) (PasskeyRemoved, error) {
	u, err := o.userByEmail(ctx, r.Email)
	if err != nil {
		return PasskeyRemoved{}, err
	}
	switch err := accounts.RemoveUserPasskey(ctx, o.Store, u.ID, r.CredentialID); {
	case errors.Is(err, accounts.ErrPasskeyNotFound):
		return PasskeyRemoved{}, opErr("PASSKEY_NOT_FOUND", "the user has no passkey with that id")
	case err != nil:
		return PasskeyRemoved{}, err
	}
	o.audit("admin_passkey_removed", u.ID, "")
	return PasskeyRemoved{UserID: u.ID, ID: r.CredentialID}, nil
}
