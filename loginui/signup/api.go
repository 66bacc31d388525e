package signup

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/internal/errcode"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
	"github.com/gatehouse/gatehouse/signing"
)

// Fixed answers of the enumeration-safe routes: identical whether or not
// the account exists.
var (
	answerRegistered = map[string]string{"detail": "if the address can be registered, a verification link has been sent to it"}
	answerMailSent   = map[string]string{"detail": "if an account uses this address, a message has been sent to it"}
)

// hashErr maps an error of the password hasher: ErrHashBusy is web.Busy,
// anything else is fallback.
func hashErr(err error, fallback *web.Error) *web.Error {
	if errors.Is(err, signing.ErrHashBusy) {
		return web.Busy
	}
	return fallback
}

type registerRequest struct {
	Email       string `json:"email"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
}

// apiRegister: POST /api/auth/register {email,password[,display_name]}.
// 202 with the same body whether or not the address was free.
func (f *Feature) apiRegister(w http.ResponseWriter, r *http.Request) error {
	if !f.h.RegistrationOpen() {
		return web.New(http.StatusForbidden, errcode.RegisterFailed, "registration is disabled")
	}
	var req registerRequest
	if err := web.DecodeJSON(r, &req, false); err != nil {
		return web.BadBody
	}
	if err := f.h.Rate(r, SlotRegister, []string{"ip", f.h.ClientIP(r)}); err != nil {
		return err
	}
	if e := f.register(r, req); e != nil {
		return e
	}
	web.WriteJSON(w, http.StatusAccepted, answerRegistered)
	return nil
}

// register creates an unverified account and mails a verify link. Its
// answer does not depend on whether the address was taken.
func (f *Feature) register(r *http.Request, req registerRequest) *web.Error {
	svc := f.h.Accounts()
	nu := accounts.NewUser{Email: req.Email, DisplayName: req.DisplayName, Password: req.Password}
	switch err := svc.CheckNewUser(nu); {
	case errors.Is(err, accounts.ErrInvalidEmail):
		return web.New(http.StatusBadRequest, errcode.RegisterFailed, "the email address is not valid")
	case errors.Is(err, accounts.ErrInvalidDisplayName):
		return web.New(http.StatusBadRequest, errcode.RegisterFailed, "the display name is not valid")
	case err != nil:
		return web.New(http.StatusBadRequest, errcode.RegisterFailed, passwordPolicyDetail(f.c.PasswordMinLen, f.c.PasswordMaxLen))
	}
	hash, err := svc.HashPassword(r.Context(), req.Password)
	if err != nil {
		return hashErr(err, web.New(http.StatusServiceUnavailable, errcode.TokenProcessingFailed, "registration failed; it may not have been saved, try again shortly"))
	}
	nu.Password, nu.PasswordHash = "", hash
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	u, err := svc.AddUser(ctx, nu)
	switch {
	case errors.Is(err, accounts.ErrEmailTaken):
		// Same answer as a fresh registration; the owner is not told.
		return nil
	case err != nil:
		return web.New(http.StatusServiceUnavailable, errcode.TokenProcessingFailed, "registration failed; it may not have been saved, try again shortly")
	}
	f.h.Audit("user_created", u.ID)
	if err := f.SendVerify(u); err != nil {
		f.h.Log().Warn().Str("component", "loginui").Str("user_id", u.ID).Msg("verify mail not queued")
	}
	return nil
}

type tokenRequest struct {
	Token string `json:"token"`
}

// apiVerify: POST /api/auth/verify {token}.
func (f *Feature) apiVerify(w http.ResponseWriter, r *http.Request) error {
	var req tokenRequest
	if err := web.DecodeJSON(r, &req, false); err != nil {
		return web.BadBody
	}
	if err := f.h.Rate(r, SlotVerifyToken, []string{"ip", f.h.ClientIP(r)}); err != nil {
		return err
	}
	if e := f.verifyEmail(r, req.Token); e != nil {
		return e
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"detail": "the email address is verified"})
	return nil
}

// verifyEmail marks the token's user verified and revokes every session,
// API key and OAuth link created before (Host.RevokeUnverifiedCredentials).
// A valid token of an account already verified with that address re-runs
// the revocation, so a retry finishes one that failed half-way.
func (f *Feature) verifyEmail(r *http.Request, tok string) *web.Error {
	bad := func() *web.Error {
		return web.New(http.StatusBadRequest, errcode.VerifyBadToken, "the verification token is invalid or expired")
	}
	storeFail := func() *web.Error {
		return web.New(http.StatusServiceUnavailable, errcode.TokenProcessingFailed, "verification failed; it may not have been saved, try again shortly")
	}
	cl, err := f.c.VerifyTokens.Verify(tok, f.h.Now())
	if err != nil {
		return bad()
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	errBadToken, errAlready := errors.New("bad token"), errors.New("already verified")
	var already *keystore.User
	now := f.h.Now()
	u, err := f.h.Accounts().UpdateUser(ctx, cl.Subject, func(u *keystore.User) error {
		if !constEq(cl.SFP, f.verifyFingerprint(u)) || !u.Active {
			return errBadToken
		}
		if u.Verified {
			already = u
			return errAlready
		}
		u.Verified, u.EmailVerifiedAt = true, now
		return nil
	})
	switch {
	case errors.Is(err, keystore.ErrNotFound), errors.Is(err, errBadToken):
		return bad()
	case errors.Is(err, errAlready):
		if !already.EmailVerifiedAt.IsZero() {
			if err := f.h.RevokeUnverifiedCredentials(ctx, already, already.EmailVerifiedAt, nil); err != nil {
				return storeFail()
			}
		}
		return web.New(http.StatusBadRequest, errcode.VerifyAlreadyVerified, "the email address is already verified")
	case err != nil:
		return storeFail()
	}
	f.h.Audit("user_verified", u.ID)
	if err := f.h.RevokeUnverifiedCredentials(ctx, u, now, nil); err != nil {
		f.h.Log().Warn().Str("component", "loginui").Str("user_id", u.ID).Msg("credentials created before verification not all revoked")
		return web.New(http.StatusServiceUnavailable, errcode.TokenProcessingFailed, "the email address is verified, but earlier sessions, API keys and linked accounts could not all be revoked; open the link again")
	}
	return nil
}

type emailRequest struct {
	Email string `json:"email"`
}

// apiRequestVerify: POST /api/auth/request-verify-token {email}; always 202.
func (f *Feature) apiRequestVerify(w http.ResponseWriter, r *http.Request) error {
	var req emailRequest
	if err := web.DecodeJSON(r, &req, false); err != nil {
		return web.BadBody
	}
	if err := f.h.Rate(r, SlotVerifyToken, []string{"ip", f.h.ClientIP(r)}, []string{"email", keystore.FoldEmail(req.Email)}); err != nil {
		return err
	}
	if keystore.ValidEmail(req.Email) {
		ctx, cancel := feature.StoreCtx(r)
		defer cancel()
		if u, err := f.c.Users.GetUserByEmail(ctx, req.Email); err == nil && u.Active && !u.Verified {
			if err := f.SendVerify(u); err != nil {
				f.h.Log().Warn().Str("component", "loginui").Str("user_id", u.ID).Msg("verify mail not queued")
			}
		}
	}
	web.WriteJSON(w, http.StatusAccepted, answerMailSent)
	return nil
}

// apiForgotPassword: POST /api/auth/forgot-password {email}; always 202.
func (f *Feature) apiForgotPassword(w http.ResponseWriter, r *http.Request) error {
	var req emailRequest
	if err := web.DecodeJSON(r, &req, false); err != nil {
		return web.BadBody
	}
	if err := f.h.Rate(r, SlotForgotPassword, []string{"ip", f.h.ClientIP(r)}, []string{"email", keystore.FoldEmail(req.Email)}); err != nil {
		return err
	}
	f.forgotPassword(r, req.Email)
	web.WriteJSON(w, http.StatusAccepted, answerMailSent)
	return nil
}

// forgotPassword mails a reset link when an active account uses email.
// Store errors are logged, not shown: the answer is always the same.
func (f *Feature) forgotPassword(r *http.Request, email string) {
	if !keystore.ValidEmail(email) {
		return
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	u, err := f.c.Users.GetUserByEmail(ctx, email)
	if err != nil {
		if !errors.Is(err, keystore.ErrNotFound) {
			f.h.Log().Warn().Str("component", "loginui").Msg("forgot-password lookup failed")
		}
		return
	}
	if !u.Active {
		return
	}
	if err := f.sendReset(u); err != nil {
		f.h.Log().Warn().Str("component", "loginui").Str("user_id", u.ID).Msg("reset mail not queued")
	}
}

type resetRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// apiResetPassword: POST /api/auth/reset-password {token,password}.
func (f *Feature) apiResetPassword(w http.ResponseWriter, r *http.Request) error {
	var req resetRequest
	if err := web.DecodeJSON(r, &req, false); err != nil {
		return web.BadBody
	}
	if err := f.h.Rate(r, SlotResetPassword, []string{"ip", f.h.ClientIP(r)}); err != nil {
		return err
	}
	if e := f.resetPassword(r, req.Token, req.Password); e != nil {
		return e
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"detail": "the password has been reset"})
	return nil
}

// errResetMoved refuses a reset whose token no longer matches the record
// as stored.
var errResetMoved = errors.New("loginui/signup: reset token no longer matches")

// resetPassword spends a reset token: it must verify (audience, expiry,
// size), its jti must be unused, and its password fingerprint must match
// the current password hash. Every session of the user is revoked, and
// every API key and OAuth link unless it was created while the account
// was verified with its current address.
func (f *Feature) resetPassword(r *http.Request, tok, password string) *web.Error {
	bad := func() *web.Error {
		return web.New(http.StatusBadRequest, errcode.ResetBadToken, "the reset token is invalid or expired")
	}
	storeFail := func() *web.Error {
		return web.New(http.StatusServiceUnavailable, errcode.TokenProcessingFailed, "reset failed; it may not have been saved, try again shortly")
	}
	now := f.h.Now()
	cl, err := f.c.ResetTokens.Verify(tok, now)
	if err != nil {
		return bad()
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	denied, err := f.c.Denylist.IsDenied(ctx, []byte(cl.JTI))
	if err != nil {
		return storeFail()
	}
	if denied {
		return bad()
	}
	u, err := f.c.Users.GetUser(ctx, cl.Subject)
	if errors.Is(err, keystore.ErrNotFound) {
		return bad()
	}
	if err != nil {
		return storeFail()
	}
	if !u.Active || !constEq(cl.SFP, f.resetFingerprint(u)) {
		return bad()
	}
	svc := f.h.Accounts()
	if err := svc.CheckPassword(password); err != nil {
		return web.New(http.StatusBadRequest, errcode.ResetInvalidPassword, passwordPolicyDetail(f.c.PasswordMinLen, f.c.PasswordMaxLen))
	}
	// Hash before the token is claimed: a busy hasher must not spend it.
	hash, err := svc.HashPassword(ctx, password)
	if err != nil {
		return hashErr(err, storeFail())
	}
	won, err := f.c.Markers.SetIfAbsent(ctx, "reset:"+cl.JTI, cl.ExpiresAt.Sub(now)+time.Minute)
	if err != nil {
		return storeFail()
	}
	if !won {
		return bad()
	}
	if err := f.c.Denylist.Deny(ctx, cl.JTI, cl.ExpiresAt.Add(time.Minute)); err != nil {
		return storeFail()
	}
	// The token binds the password it replaces: checked again on the
	// record as stored, so a reset racing another password change loses.
	err = f.h.ReplacePassword(ctx, u, hash, func(x *keystore.User) error {
		if !x.Active || !constEq(cl.SFP, f.resetFingerprint(x)) {
			return errResetMoved
		}
		return nil
	})
	if errors.Is(err, errResetMoved) || errors.Is(err, keystore.ErrNotFound) {
		return bad()
	}
	if err != nil {
		return storeFail()
	}
	f.h.Audit("password_reset", u.ID)
	// Whoever held the account before the reset keeps nothing it made
	// while the address was not verified (ReplacePassword took the
	// sessions).
	if err := f.h.RevokeUnverifiedCredentials(ctx, u, now, nil); err != nil {
		f.h.Log().Warn().Str("component", "loginui").Str("user_id", u.ID).Msg("credentials created before the reset not all revoked")
		return web.New(http.StatusServiceUnavailable, errcode.TokenProcessingFailed, "the password has been reset, but earlier API keys and linked accounts could not all be revoked; review them on your account page")
	}
	return nil
}

// constEq compares two strings in constant time (for equal lengths).
func constEq(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
