package adminui

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/internal/errcode"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// A user's passkeys for the admin (docs/design.md "Answer shapes"): the
// JSON routes GET /api/users/{id}/passkeys and DELETE
// /api/users/{id}/passkeys/{credential_id}, and the list and remove form
// of the user's admin page. Credential ids travel as unpadded base64url;
// the view and the ownership check of a removal are internal/accounts'.

var opPasskeyNotFound = web.New(http.StatusNotFound, errcode.PasskeyNotFound, "the user has no passkey with that id")

// listPasskeys returns u's passkeys in the store's order (oldest first).
func (f *Feature) listPasskeys(r *http.Request, u *keystore.User) ([]accounts.PasskeyView, error) {
	if f.passkeys == nil {
		return []accounts.PasskeyView{}, nil
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	ps, err := accounts.ListUserPasskeys(ctx, f.passkeys, u.ID)
	if err != nil {
		return nil, web.Unavailable.WithCause(err)
	}
	return ps, nil
}

// removePasskey deletes u's passkey named by the credential id segment for
// admin c, after c's current password as every admin change: 404
// PASSKEY_NOT_FOUND unless it is u's. The audit event names the users
// only, never the credential id.
func (f *Feature) removePasskey(r *http.Request, c *feature.Caller, u *keystore.User, credentialID, currentPassword string) error {
	if _, err := accounts.ParseCredentialID(credentialID); err != nil || f.passkeys == nil {
		return opPasskeyNotFound
	}
	if err := f.confirm(r, c, currentPassword); err != nil {
		return err
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	switch err := accounts.RemoveUserPasskey(ctx, f.passkeys, u.ID, credentialID); {
	case errors.Is(err, accounts.ErrPasskeyNotFound):
		return opPasskeyNotFound
	case err != nil:
		return web.Unavailable.WithCause(err)
	}
	f.h.Log().Info().Str("audit", "admin_passkey_removed").Str("user_id", u.ID).Str("by_user_id", c.User.ID).Msg("audit")
	return nil
}

// apiPasskeys: GET /api/users/{id}/passkeys.
func (f *Feature) apiPasskeys(w http.ResponseWriter, r *http.Request) error {
	if _, err := f.h.AdminCaller(r); err != nil {
		return err
	}
	u, err := f.h.AdminTarget(r)
	if err != nil {
		return err
	}
	ps, err := f.listPasskeys(r, u)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, map[string]any{"passkeys": ps})
	return nil
}

// apiPasskeyDelete: DELETE /api/users/{id}/passkeys/{credential_id}
// {current_password}.
func (f *Feature) apiPasskeyDelete(w http.ResponseWriter, r *http.Request) error {
	c, err := f.h.AdminCaller(r)
	if err != nil {
		return err
	}
	var req deleteBody
	if err := web.DecodeJSON(r, &req, false); err != nil {
		return web.BadBody
	}
	u, err := f.h.AdminTarget(r)
	if err != nil {
		return err
	}
	if err := f.removePasskey(r, c, u, r.PathValue("credential_id"), req.CurrentPassword); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// pagePasskeyRemove: POST /admin/users/{id}/passkeys/{credential_id}/remove
// (the remove form of the user's page; CSRF, the admin gate and the
// current password as the page's other forms).
func (f *Feature) pagePasskeyRemove(w http.ResponseWriter, r *http.Request) error {
	return f.pageUserForm(w, r, func(c *feature.Caller, u *keystore.User) (string, error) {
		err := f.removePasskey(r, c, u, r.PathValue("credential_id"), r.PostForm.Get("current_password"))
		return "/admin/users/" + u.ID + "?done=admin_passkey_removed", err
	})
}
