package login

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/internal/errcode"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/session"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// Flow is the JSON login API (POST /api/auth/login, /logout, /refresh,
// /2fa/verify) and the steps the core's login pages share with it: the
// second step's begin and completion, and opening a browser session with
// its cookies. Its fields are set once by the core (Second after the
// features registered) and never changed while serving.
type Flow struct {
	Check    *Checker
	Sessions *session.Service
	Cookies  *web.Cookies
	CSRF     *web.CSRF
	Limiter  *web.Limiter
	ClientIP func(*http.Request) string
	// Caller admits the caller of a logout (feature.Host.APICaller).
	Caller func(*http.Request) (*feature.Caller, error)
	// Second is the second login step (loginui/totp); Pending checks and
	// spends its pending tokens for a passkey second step.
	Second  feature.SecondFactor
	Pending feature.PendingLogins
	// Passkeys, when set, are the users' passkeys (loginui/passkey): a
	// second factor, and the passwordless login of passkey.go.
	Passkeys feature.Passkeys
	// SecondStep is Options.SecondStep: after a correct password (and
	// after the built-in second step); handled=true means it answered.
	SecondStep      func(w http.ResponseWriter, r *http.Request, u *keystore.User) (handled bool)
	RefreshLifetime time.Duration
	Now             func() time.Time
	Log             zerolog.Logger
}

// Rate-limit slots of the login API (the core's names, loginui.SlotLogin
// and SlotRefresh).
const (
	SlotLogin   = feature.SlotLogin
	SlotRefresh = "refresh"
)

type loginRequest struct {
	Identifier *string `json:"identifier"`
	Password   *string `json:"password"`
}

// Login: POST /api/auth/login {identifier,password}.
func (f *Flow) Login(w http.ResponseWriter, r *http.Request) error {
	transport := r.URL.Query().Get("transport")
	if transport != "" && transport != "cookie" && transport != "bearer" {
		return web.New(http.StatusUnprocessableEntity, errcode.LoginPayloadInvalid, "transport must be cookie or bearer")
	}
	var req loginRequest
	if err := web.DecodeJSON(r, &req, false); err != nil || req.Identifier == nil || req.Password == nil {
		return web.New(http.StatusUnprocessableEntity, errcode.LoginPayloadInvalid, "the body must be {identifier, password}")
	}
	if e := f.Limiter.Allow(r, SlotLogin, []string{"ip", f.ClientIP(r)}, []string{"id", keystore.FoldEmail(*req.Identifier)}); e != nil {
		return e
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	u, err := f.Check.Check(ctx, *req.Identifier, *req.Password)
	if err != nil {
		return Answer(err)
	}
	tok, passkeys, err := f.SecondStepFor(ctx, r, u, feature.MethodPassword)
	if err != nil {
		return err
	}
	if tok != "" {
		f.writePending(w, tok, passkeys)
		return nil
	}
	if f.SecondStep != nil && f.SecondStep(w, r, u) {
		return nil
	}
	return f.finish(ctx, w, r, u, transport, feature.MethodPassword)
}

// writePending answers a login that needs its second step: 202 with the
// pending token; passkey says a passkey may complete it
// (/api/auth/webauthn/login/begin).
func (f *Flow) writePending(w http.ResponseWriter, tok string, passkey bool) {
	body := map[string]any{"totp_required": true, "pending_token": tok}
	if passkey {
		body["passkey"] = true
	}
	web.WriteJSON(w, http.StatusAccepted, body)
}

// finish issues the credentials of a completed login: bearer tokens or a
// cookie session, recording method (feature/methods.go).
func (f *Flow) finish(ctx context.Context, w http.ResponseWriter, r *http.Request, u *keystore.User, transport, method string) error {
	if transport != "bearer" {
		csrf, err := f.OpenSession(ctx, w, r, u, method)
		if err != nil {
			return web.Unavailable
		}
		f.audit("login_ok", u.ID)
		web.WriteJSON(w, http.StatusOK, map[string]string{"csrf_token": csrf})
		return nil
	}
	out, err := f.Sessions.OpenChain(ctx, u, method, r.UserAgent())
	if err != nil {
		return web.Unavailable
	}
	f.audit("login_ok", u.ID)
	if r.URL.Query().Get("refresh") == "cookie" {
		f.Cookies.SetRefresh(w, out.RefreshToken, f.Now().Add(f.RefreshLifetime))
		out.RefreshToken = ""
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

// OpenSession stores a new browser session and sets its cookie and a
// CSRF cookie bound to it; the session the browser carried before, if
// any, is revoked. It returns the CSRF token.
func (f *Flow) OpenSession(ctx context.Context, w http.ResponseWriter, r *http.Request, u *keystore.User, method string) (string, error) {
	tok, s, err := f.Sessions.Open(ctx, u, method, r.UserAgent())
	if err != nil {
		return "", err
	}
	csrf, err := f.CSRF.NewToken(s.Digest)
	if err != nil {
		return "", err
	}
	f.Cookies.SetSession(w, tok, s.ExpiresAt)
	f.Cookies.SetCSRF(w, csrf)
	f.Sessions.Drop(ctx, web.CookieValue(r, f.Cookies.Name))
	return csrf, nil
}

// SecondStepFor is the core's one decision whether u's login after
// method (its first step's AuthMethod) goes through the second step
// (feature.NeedsSecondStep on u's TOTP and passkeys). When it does, it
// issues the pending token (tok != "") and reports whether a passkey may
// complete it. A store failure is web.Unavailable: never a login without
// the second step.
func (f *Flow) SecondStepFor(ctx context.Context, r *http.Request, u *keystore.User, method string) (tok string, passkey bool, err error) {
	has := false
	if f.Passkeys != nil && method != feature.MethodPasskeyUV {
		if has, err = f.Passkeys.HasPasskeys(ctx, u.ID); err != nil {
			return "", false, web.Unavailable
		}
	}
	if !feature.NeedsSecondStep(method, u.TOTPEnabled, has) {
		return "", false, nil
	}
	passkey = has && feature.MethodAfterPasskey(method) != ""
	tok, err = f.BeginSecond(r, u, method, passkey)
	return tok, passkey, err
}

// BeginSecond issues the pending token of u's login after firstFactor
// (its AuthMethod). Without a second step u can complete (TOTP not
// configured and no passkey) the login cannot finish (503), never a login
// without it.
func (f *Flow) BeginSecond(r *http.Request, u *keystore.User, firstFactor string, passkey bool) (string, error) {
	if !passkey && !f.Second.Ready() {
		f.Log.Error().Str("component", "loginui").Str("user_id", u.ID).Msg("user has TOTP on but TOTP is not configured")
		return "", web.Unavailable
	}
	tok, err := f.Second.Begin(r, u, firstFactor)
	if err != nil {
		return "", web.Unavailable
	}
	event := "login_oauth_ok_totp_pending"
	switch firstFactor {
	case feature.MethodPassword:
		event = "login_password_ok_totp_pending"
	case feature.MethodPasskey:
		event = "login_passkey_ok_totp_pending"
	}
	f.audit(event, u.ID)
	return tok, nil
}

// CompleteSecond checks a pending token and code with the second-factor
// feature and returns the user and the AuthMethod of the session to open
// ("<first factor>+totp").
func (f *Flow) CompleteSecond(r *http.Request, tok, code string) (*keystore.User, string, *web.Error) {
	u, first, err := f.Second.Complete(r, tok, code)
	if err != nil {
		return nil, "", web.As(err)
	}
	return u, feature.MethodAfterTOTP(first), nil
}

type totpVerifyRequest struct {
	PendingToken string `json:"pending_token"`
	Code         string `json:"code"`
}

// VerifySecond: POST /api/auth/2fa/verify {pending_token, code}, the
// second login step. ?transport= and ?refresh= work as on login.
func (f *Flow) VerifySecond(w http.ResponseWriter, r *http.Request) error {
	transport := r.URL.Query().Get("transport")
	if transport != "" && transport != "cookie" && transport != "bearer" {
		return web.BadBody
	}
	var req totpVerifyRequest
	if err := web.DecodeJSON(r, &req, false); err != nil {
		return web.BadBody
	}
	u, method, e := f.CompleteSecond(r, req.PendingToken, req.Code)
	if e != nil {
		return e
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	return f.finish(ctx, w, r, u, transport, method)
}

// Logout: POST /api/auth/logout. Cookie sessions are deleted; a bearer
// token's jti is denylisted and its refresh chain revoked. A store
// failure is 503 and nothing is claimed.
func (f *Flow) Logout(w http.ResponseWriter, r *http.Request) error {
	c, err := f.Caller(r)
	if err != nil {
		return err
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	if err := f.Sessions.Logout(ctx, c); err != nil {
		return web.Unavailable
	}
	if c.ViaCookie {
		f.Cookies.ClearSession(w)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// RefreshInvalid answers a refresh token that is invalid, expired or
// spent.
var RefreshInvalid = web.New(http.StatusUnauthorized, errcode.RefreshTokenInvalid, "refresh token invalid, expired or already used")

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// Refresh: POST /api/auth/refresh {refresh_token} or the refresh cookie.
// Tokens rotate; presenting a spent token revokes its chain.
func (f *Flow) Refresh(w http.ResponseWriter, r *http.Request) error {
	var req refreshRequest
	if err := web.DecodeJSON(r, &req, true); err != nil {
		return web.BadBody
	}
	fromCookie := false
	if req.RefreshToken == "" {
		req.RefreshToken = web.CookieValue(r, f.Cookies.Name+web.RefreshCookieSuffix)
		fromCookie = true
		// A cookie-borne refresh must come from a client that can set
		// headers a cross-site form cannot.
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			req.RefreshToken = ""
		}
	}
	if e := f.Limiter.Allow(r, SlotRefresh, []string{"ip", f.ClientIP(r)}); e != nil {
		return e
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	toks, err := f.Sessions.Rotate(ctx, req.RefreshToken, r.UserAgent())
	switch {
	case err == nil:
	case errors.Is(err, session.ErrRefreshInvalid):
		if fromCookie {
			f.Cookies.ClearRefresh(w)
		}
		return RefreshInvalid
	default:
		return web.Unavailable
	}
	if fromCookie {
		f.Cookies.SetRefresh(w, toks.RefreshToken, f.Now().Add(f.RefreshLifetime))
		toks.RefreshToken = ""
	}
	web.WriteJSON(w, http.StatusOK, toks)
	return nil
}

func (f *Flow) audit(event, userID string) {
	f.Log.Info().Str("audit", event).Str("user_id", userID).Msg("audit")
}
