package profile

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/internal/errcode"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/view"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
	"github.com/gatehouse/gatehouse/signing"
)

// Config is what the profile feature needs besides Host.
type Config struct {
	PasswordMinLen, PasswordMaxLen int
	// SendVerify mails a verification link to u after an email change.
	SendVerify func(u *keystore.User) error
}

// Feature is the profile feature.
type Feature struct {
	c Config
	h feature.Host
}

// New returns the profile feature.
func New(c Config) *Feature { return &Feature{c: c} }

var _ feature.Feature = (*Feature)(nil)

// Register adds the profile routes.
func (f *Feature) Register(r feature.Router, h feature.Host) {
	f.h = h
	r.JSON("GET /api/users/me", f.apiMe)
	r.JSON("PATCH /api/users/me", f.apiPatchMe)
	r.JSON("POST /api/users/me/change-password", f.apiChangePassword)
	r.Page("POST /account/profile", f.pageProfile)
	r.Page("POST /account/password", f.pagePassword)
}

var errWrongPassword = web.New(http.StatusBadRequest, errcode.UpdateInvalidPassword, "the current password is wrong")

// apiMe: GET /api/users/me.
func (f *Feature) apiMe(w http.ResponseWriter, r *http.Request) error {
	c, err := f.h.APICaller(r)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, view.Of(c.User))
	return nil
}

type patchMeRequest struct {
	DisplayName     *string `json:"display_name"`
	Email           *string `json:"email"`
	CurrentPassword string  `json:"current_password"`
}

// apiPatchMe: PATCH /api/users/me {display_name?, email?, current_password}.
// An email change needs the current password (and step-up with TOTP on);
// it clears the verified flag, mails a verify link, revokes every other
// session, API key and OAuth link (Host.RevokeUnverifiedCredentials) and,
// through the fingerprint, kills every access JWT.
func (f *Feature) apiPatchMe(w http.ResponseWriter, r *http.Request) error {
	c, err := f.h.APICaller(r)
	if err != nil {
		return err
	}
	var req patchMeRequest
	if err := web.DecodeJSON(r, &req, false); err != nil {
		return web.BadBody
	}
	if err := f.updateProfile(r, c, req); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, view.Of(c.User))
	return nil
}

// updateProfile applies a profile change for the caller; on success the
// caller's user record is updated in place.
func (f *Feature) updateProfile(r *http.Request, c *feature.Caller, req patchMeRequest) error {
	if req.DisplayName != nil && !accounts.ValidDisplayName(*req.DisplayName) {
		return web.New(http.StatusUnprocessableEntity, errcode.RequestBodyInvalid, "the display name is not valid")
	}
	emailChanged, newEmail := false, ""
	if req.Email != nil && strings.TrimSpace(*req.Email) != c.User.Email {
		if !keystore.ValidEmail(*req.Email) {
			return web.New(http.StatusUnprocessableEntity, errcode.RequestBodyInvalid, "the email address is not valid")
		}
		if err := f.h.Rate(r, feature.SlotChangePassword, []string{"user", c.User.ID}); err != nil {
			return err
		}
		if err := f.h.StepUp(c); err != nil {
			return err
		}
		if err := f.h.CheckPassword(r.Context(), c.User, req.CurrentPassword, errWrongPassword); err != nil {
			return err
		}
		newEmail, emailChanged = strings.TrimSpace(*req.Email), true
	}
	verified := c.User.PasswordHash
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	nu, err := f.h.Accounts().UpdateUser(ctx, c.User.ID, func(u *keystore.User) error {
		if req.DisplayName != nil {
			u.DisplayName = *req.DisplayName
		}
		if emailChanged {
			if err := feature.PasswordStill(u, verified); err != nil {
				return err
			}
			u.Email, u.Verified, u.EmailVerifiedAt = newEmail, false, time.Time{}
		}
		return nil
	})
	if op, ok := feature.Refused(err); ok {
		return op
	}
	switch {
	case errors.Is(err, keystore.ErrDuplicate):
		return web.New(http.StatusBadRequest, errcode.UpdateEmailExists, "another account uses this email address")
	case err != nil:
		return web.New(http.StatusServiceUnavailable, errcode.TokenProcessingFailed, "update failed; it may not have been saved, try again shortly")
	}
	*c.User = *nu
	f.h.Audit("user_updated", nu.ID)
	if emailChanged {
		// Nothing made under the old address carries over to the new one;
		// the session that proved the password stays.
		if err := f.h.RevokeUnverifiedCredentials(ctx, nu, nu.UpdatedAt, c); err != nil {
			f.h.Log().Warn().Str("component", "loginui").Str("user_id", nu.ID).Msg("credentials of the old address not all revoked")
			return web.New(http.StatusServiceUnavailable, errcode.TokenProcessingFailed, "the email address has been changed, but earlier sessions, API keys and linked accounts could not all be revoked; review them on your account page")
		}
		if err := f.c.SendVerify(nu); err != nil {
			f.h.Log().Warn().Str("component", "loginui").Str("user_id", nu.ID).Msg("verify mail not queued")
		}
	}
	return nil
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// apiChangePassword: POST /api/users/me/change-password
// {current_password,new_password}. Revokes every other session (a bearer
// caller keeps none) and every earlier access JWT.
func (f *Feature) apiChangePassword(w http.ResponseWriter, r *http.Request) error {
	c, err := f.h.APICaller(r)
	if err != nil {
		return err
	}
	var req changePasswordRequest
	if err := web.DecodeJSON(r, &req, false); err != nil {
		return web.BadBody
	}
	if err := f.h.Rate(r, feature.SlotChangePassword, []string{"user", c.User.ID}); err != nil {
		return err
	}
	if err := f.changePassword(r, c, req); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"detail": "the password has been changed; other sessions were signed out"})
	return nil
}

func (f *Feature) changePassword(r *http.Request, c *feature.Caller, req changePasswordRequest) error {
	if err := f.h.CheckPassword(r.Context(), c.User, req.CurrentPassword, errWrongPassword); err != nil {
		return err
	}
	if err := f.h.Accounts().CheckPassword(req.NewPassword); err != nil {
		return web.New(http.StatusBadRequest, errcode.UpdateInvalidPassword,
			"the password must be "+strconv.Itoa(f.c.PasswordMinLen)+" to "+strconv.Itoa(f.c.PasswordMaxLen)+" characters long")
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	verified := c.User.PasswordHash
	err := f.h.SetPassword(ctx, c, req.NewPassword, func(x *keystore.User) error { return feature.PasswordStill(x, verified) })
	if op, ok := feature.Refused(err); ok {
		return op
	}
	switch {
	case errors.Is(err, signing.ErrHashBusy):
		return web.Busy
	case err != nil:
		return web.New(http.StatusServiceUnavailable, errcode.TokenProcessingFailed, "the password change did not complete")
	}
	f.h.Audit("password_changed", c.User.ID)
	return nil
}

// pageProfile: POST /account/profile.
func (f *Feature) pageProfile(w http.ResponseWriter, r *http.Request) error {
	c, csrf, ok := f.h.PageCaller(w, r, "/account")
	if !ok {
		return nil
	}
	fv := r.PostForm
	name, email := fv.Get("display_name"), fv.Get("email")
	req := patchMeRequest{DisplayName: &name, CurrentPassword: fv.Get("current_password")}
	if email != "" {
		req.Email = &email
	}
	if err := f.updateProfile(r, c, req); err != nil {
		e := web.As(err)
		if e.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
		}
		return f.h.RenderAccount(w, r, c, feature.AccountView{CSRF: csrf, Status: e.Status, Error: e.Detail})
	}
	redirect(w, r, "/account?done=profile")
	return nil
}

// pagePassword: POST /account/password.
func (f *Feature) pagePassword(w http.ResponseWriter, r *http.Request) error {
	c, csrf, ok := f.h.PageCaller(w, r, "/account")
	if !ok {
		return nil
	}
	if err := f.h.Rate(r, feature.SlotChangePassword, []string{"user", c.User.ID}); err != nil {
		e := web.As(err)
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
		return f.h.RenderAccount(w, r, c, feature.AccountView{CSRF: csrf, Status: e.Status, Error: e.Detail})
	}
	req := changePasswordRequest{CurrentPassword: r.PostForm.Get("current_password"), NewPassword: r.PostForm.Get("new_password")}
	if err := f.changePassword(r, c, req); err != nil {
		e := web.As(err)
		if e.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
		}
		return f.h.RenderAccount(w, r, c, feature.AccountView{CSRF: csrf, Status: e.Status, Error: e.Detail})
	}
	redirect(w, r, "/account?done=password")
	return nil
}

func redirect(w http.ResponseWriter, r *http.Request, to string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}
