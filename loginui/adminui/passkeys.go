package adminui

import (
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/errcode"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// A user's passkeys for the admin (README "Two-factor and passkeys"): the
// JSON routes GET /api/users/{id}/passkeys and DELETE
// /api/users/{id}/passkeys/{credential_id}, and the list and remove form
// of the user's admin page. Credential ids travel as unpadded base64url.

// passkeyView is one passkey as the admin sees it; never the public key
// or the user handle.
type passkeyView struct {
	ID             string    `json:"id"` // base64url credential id
	Name           string    `json:"name"`
	CreatedAt      time.Time `json:"created_at"`
	LastUsedAt     time.Time `json:"last_used_at,omitzero"`
	BackupEligible bool      `json:"backup_eligible"`
	BackupState    bool      `json:"backup_state"`
	Transports     []string  `json:"transports"`
	SignCount      uint32    `json:"sign_count"`
}

func viewPasskey(p *keystore.Passkey) passkeyView {
	tr := p.Transports
	if tr == nil {
		tr = []string{}
	}
	return passkeyView{ID: base64.RawURLEncoding.EncodeToString(p.CredentialID), Name: p.Name,
		CreatedAt: p.CreatedAt, LastUsedAt: p.LastUsedAt, BackupEligible: p.BackupEligible,
		BackupState: p.BackupState, Transports: tr, SignCount: p.SignCount}
}

var opPasskeyNotFound = web.New(http.StatusNotFound, errcode.PasskeyNotFound, "the user has no passkey with that id")

// maxCredentialIDParam bounds the path segment before decoding: the
// unpadded base64url of keystore.MaxCredentialIDLen bytes.
var maxCredentialIDParam = base64.RawURLEncoding.EncodedLen(keystore.MaxCredentialIDLen)

// parseCredentialID decodes a {credential_id} path segment; anything that
// cannot name a passkey is opPasskeyNotFound.
func parseCredentialID(s string) ([]byte, error) {
	if s == "" || len(s) > maxCredentialIDParam {
		return nil, opPasskeyNotFound
	}
	id, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !keystore.ValidCredentialID(id) {
		return nil, opPasskeyNotFound
	}
	return id, nil
}

// listPasskeys returns u's passkeys in the store's order (oldest first).
func (f *Feature) listPasskeys(r *http.Request, u *keystore.User) ([]passkeyView, error) {
	out := []passkeyView{}
	if f.passkeys == nil {
		return out, nil
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	ps, err := f.passkeys.ListUserPasskeys(ctx, u.ID)
	if err != nil && !errors.Is(err, keystore.ErrNotFound) {
		return nil, web.Unavailable.WithCause(err)
	}
	for _, p := range ps {
		out = append(out, viewPasskey(p))
	}
	return out, nil
}

// removePasskey deletes u's passkey named by the credential id segment for
// admin c, after c's current password as every admin change: 404
// PASSKEY_NOT_FOUND unless it is u's. The audit event names the users
// only, never the credential id.
func (f *Feature) removePasskey(r *http.Request, c *feature.Caller, u *keystore.User, credentialID, currentPassword string) error {
	id, err := parseCredentialID(credentialID)
	if err != nil {
		return err
	}
	if f.passkeys == nil {
		return opPasskeyNotFound
	}
	if err := f.h.Rate(r, feature.SlotChangePassword, []string{"user", c.User.ID}); err != nil {
		return err
	}
	if err := f.h.CheckPassword(r.Context(), c.User, currentPassword, errWrongPassword); err != nil {
		return err
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	p, err := f.passkeys.GetPasskey(ctx, id)
	switch {
	case errors.Is(err, keystore.ErrNotFound):
		return opPasskeyNotFound
	case err != nil:
		return web.Unavailable.WithCause(err)
	case p.UserID != u.ID:
		return opPasskeyNotFound
	}
	switch err := f.passkeys.DeletePasskey(ctx, id); {
	case errors.Is(err, keystore.ErrNotFound):
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
	d, c, ok, err := f.adminPage(w, r, "/admin")
	if !ok {
		return err
	}
	u, ok := f.load(w, r)
	if !ok {
		return nil
	}
	if err := f.removePasskey(r, c, u, r.PathValue("credential_id"), r.PostForm.Get("current_password")); err != nil {
		f.renderFailure(w, r, d, c, u, err)
		return nil
	}
	redirect(w, r, "/admin/users/"+u.ID+"?done=admin_passkey_removed")
	return nil
}
