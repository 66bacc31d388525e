package loginui

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

func itoa(n int) string { return strconv.Itoa(n) }

// constEq compares two strings in constant time (for equal lengths).
func constEq(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// apiMe: GET /api/users/me.
func (p *Portal) apiMe(w http.ResponseWriter, r *http.Request) error {
	c, e := p.apiCaller(r)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, viewUser(c.user))
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
// session, API key and OAuth link (revokeUnverifiedCredentials) and,
// through the fingerprint, kills every access JWT.
func (p *Portal) apiPatchMe(w http.ResponseWriter, r *http.Request) error {
	c, e := p.apiCaller(r)
	if e != nil {
		return e
	}
	var req patchMeRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return opBody
	}
	if e := p.updateProfile(r, c, req); e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, viewUser(c.user))
	return nil
}

// updateProfile applies a profile change for the caller; on success the
// caller's user record is updated in place.
func (p *Portal) updateProfile(r *http.Request, c *caller, req patchMeRequest) *opErr {
	if req.DisplayName != nil && !validDisplayName(*req.DisplayName) {
		return newOpErr(http.StatusUnprocessableEntity, CodeRequestBodyInvalid, "the display name is not valid")
	}
	emailChanged, newEmail := false, ""
	if req.Email != nil && strings.TrimSpace(*req.Email) != c.user.Email {
		if !validEmail(*req.Email) {
			return newOpErr(http.StatusUnprocessableEntity, CodeRequestBodyInvalid, "the email address is not valid")
		}
		if e := p.rate(r, SlotChangePassword, []string{"user", c.user.ID}); e != nil {
			return e
		}
		if e := p.stepUpErr(c); e != nil {
			return e
		}
		if e := p.checkCurrentPassword(r.Context(), c.user, req.CurrentPassword,
			newOpErr(http.StatusBadRequest, CodeUpdateInvalidPassword, "the current password is wrong")); e != nil {
			return e
		}
		newEmail, emailChanged = strings.TrimSpace(*req.Email), true
	}
	verified := c.user.PasswordHash
	ctx, cancel := storeCtx(r)
	defer cancel()
	nu, err := p.updateUser(ctx, c.user.ID, func(u *keystore.User) error {
		if req.DisplayName != nil {
			u.DisplayName = *req.DisplayName
		}
		if emailChanged {
			if err := passwordStill(u, verified); err != nil {
				return err
			}
			u.Email, u.Verified, u.EmailVerifiedAt = newEmail, false, time.Time{}
		}
		return nil
	})
	if e, ok := refused(err); ok {
		return e
	}
	switch {
	case errors.Is(err, keystore.ErrDuplicate):
		return newOpErr(http.StatusBadRequest, CodeUpdateEmailExists, "another account uses this email address")
	case err != nil:
		return newOpErr(http.StatusServiceUnavailable, CodeTokenProcessingFailed, "update failed; nothing was changed")
	}
	*c.user = *nu
	p.audit("user_updated", nu.ID)
	if emailChanged {
		// Nothing made under the old address carries over to the new one;
		// the session that proved the password stays.
		if err := p.revokeUnverifiedCredentials(ctx, nu, nu.UpdatedAt, func(s *keystore.Session) bool { return p.isCurrent(c, s) }); err != nil {
			p.log.Warn().Str("component", "loginui").Str("user_id", nu.ID).Msg("credentials of the old address not all revoked")
			return newOpErr(http.StatusServiceUnavailable, CodeTokenProcessingFailed, "the email address has been changed, but earlier sessions, API keys and linked accounts could not all be revoked; review them on your account page")
		}
		if err := p.signup.SendVerify(nu); err != nil {
			p.log.Warn().Str("component", "loginui").Str("user_id", nu.ID).Msg("verify mail not queued")
		}
	}
	return nil
}

// checkCurrentPassword verifies u's password, spending a dummy hash when
// there is none. It returns nil on a match, opBusy when the hasher had no
// free slot in time, and wrong otherwise. A malformed stored hash fails
// closed.
func (p *Portal) checkCurrentPassword(ctx context.Context, u *keystore.User, pw string, wrong *opErr) *opErr {
	if u.PasswordHash == "" || pw == "" || len(pw) > 4*p.o.PasswordMaxLen {
		return hashErr(p.hasher.VerifyDummyContext(ctx, pw), wrong)
	}
	ok, _, err := p.hasher.VerifyContext(ctx, u.PasswordHash, pw)
	if err != nil || !ok {
		return hashErr(err, wrong)
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
func (p *Portal) apiChangePassword(w http.ResponseWriter, r *http.Request) error {
	c, e := p.apiCaller(r)
	if e != nil {
		return e
	}
	var req changePasswordRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return opBody
	}
	if e := p.rate(r, SlotChangePassword, []string{"user", c.user.ID}); e != nil {
		return e
	}
	if e := p.changePassword(r.Context(), c, req); e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, map[string]string{"detail": "the password has been changed; other sessions were signed out"})
	return nil
}

func (p *Portal) changePassword(ctx context.Context, c *caller, req changePasswordRequest) *opErr {
	if e := p.checkCurrentPassword(ctx, c.user, req.CurrentPassword,
		newOpErr(http.StatusBadRequest, CodeUpdateInvalidPassword, "the current password is wrong")); e != nil {
		return e
	}
	if err := p.accounts.CheckPassword(req.NewPassword); err != nil {
		return newOpErr(http.StatusBadRequest, CodeUpdateInvalidPassword, passwordPolicyDetail(p.o.PasswordMinLen, p.o.PasswordMaxLen))
	}
	var keep []byte
	if c.viaCookie {
		keep = c.digest
	}
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	verified := c.user.PasswordHash
	err := p.setPassword(sctx, c.user, req.NewPassword, keep, func(x *keystore.User) error { return passwordStill(x, verified) })
	if e, ok := refused(err); ok {
		return e
	}
	if err != nil {
		return hashErr(err, newOpErr(http.StatusServiceUnavailable, CodeTokenProcessingFailed, "the password change did not complete"))
	}
	if !c.viaCookie {
		// The caller's own token dies with the fingerprint; deny it and its
		// chain explicitly too.
		_ = p.o.Denylist.Deny(sctx, c.claims.JTI, c.claims.ExpiresAt)
	}
	p.audit("password_changed", c.user.ID)
	return nil
}

func passwordPolicyDetail(min, max int) string {
	return "the password must be " + itoa(min) + " to " + itoa(max) + " characters long"
}
