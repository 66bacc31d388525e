package loginui

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/session"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// Who is calling: the core resolves a request's credential into a
// feature.Caller (loginui/internal/session checks the credential itself)
// and admits it to a route. The callers and gates are host methods, so
// the core's own handlers and the features use the same ones.

// authenticate resolves the caller. (nil, nil): no credential at all.
// A present but invalid bearer token is session.ErrInvalid; an invalid
// or expired cookie counts as no credential (the browser is sent to log
// in).
func (p *Portal) authenticate(r *http.Request) (*feature.Caller, error) {
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	if ah := r.Header.Values("Authorization"); len(ah) > 0 {
		if len(ah) != 1 {
			return nil, session.ErrInvalid
		}
		tok, ok := strings.CutPrefix(ah[0], "Bearer ")
		if !ok {
			return nil, session.ErrInvalid
		}
		return p.sessions.AuthBearer(ctx, strings.TrimSpace(tok))
	}
	tok := web.CookieValue(r, p.o.CookieName)
	if tok == "" {
		return nil, nil
	}
	c, err := p.sessions.AuthCookie(ctx, tok)
	if errors.Is(err, session.ErrInvalid) {
		return nil, nil
	}
	return c, err
}

// Authenticate resolves the caller without any CSRF check: 401 without a
// valid credential, 503 when a store failed.
func (h host) Authenticate(r *http.Request) (*feature.Caller, error) {
	c, err := h.p.authenticate(r)
	switch {
	case errors.Is(err, session.ErrStore):
		return nil, web.Unavailable
	case err != nil, c == nil:
		return nil, opUnauthenticated
	}
	return c, nil
}

// CookieCaller authenticates a page request by its session cookie only:
// (nil, nil) without a valid session, web.Unavailable when a store
// failed.
func (h host) CookieCaller(r *http.Request) (*feature.Caller, error) {
	tok := web.CookieValue(r, h.p.o.CookieName)
	if tok == "" {
		return nil, nil
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	c, err := h.p.sessions.AuthCookie(ctx, tok)
	switch {
	case err == nil:
		return c, nil
	case errors.Is(err, session.ErrStore):
		return nil, web.Unavailable
	default:
		return nil, nil
	}
}

// APICaller authenticates an API request and, for unsafe methods of
// cookie-authenticated requests, checks CSRF. It returns the error to
// answer when the request may not proceed.
func (h host) APICaller(r *http.Request) (*feature.Caller, error) {
	// API keys and signed requests are machine credentials for the
	// verifier; they never reach account or key management.
	if h.PresentsAPIKey(r) {
		return nil, web.Forbidden("API keys cannot use account routes")
	}
	c, err := h.Authenticate(r)
	if err != nil {
		return nil, err
	}
	if c.ViaCookie && !web.IsSafeMethod(r.Method) && !h.p.csrf.Check(r, c.Digest, "") {
		return nil, opCSRF
	}
	return c, nil
}

// AdminCaller is APICaller plus AdminGate.
func (h host) AdminCaller(r *http.Request) (*feature.Caller, error) {
	c, err := h.APICaller(r)
	if err != nil {
		return nil, err
	}
	if err := h.AdminGate(c); err != nil {
		return nil, err
	}
	return c, nil
}

// AdminGate demands a superuser with a password session (and a step-up
// proof with TOTP on).
func (h host) AdminGate(c *feature.Caller) error {
	switch {
	case c == nil:
		return opUnauthenticated
	case !c.User.Superuser:
		return web.New(http.StatusForbidden, CodeAuthorizationDenied, "superuser required")
	case !c.PasswordSession:
		return web.New(http.StatusForbidden, CodeAuthorizationDenied, "a password session is required")
	}
	return h.StepUp(c)
}

// StepUp applies to sensitive changes: users with a second factor (TOTP
// on, or a passkey: feature.HasSecondFactor) need a step-up proof on
// their session (docs/design.md "Two-factor", "Passkeys"). A store
// failure while looking for passkeys refuses (503).
func (h host) StepUp(c *feature.Caller) error {
	has := false
	if !c.User.TOTPEnabled && h.p.passkeys != nil {
		ctx, cancel := context.WithTimeout(context.Background(), feature.StoreTimeout)
		defer cancel()
		var err error
		if has, err = h.p.passkeys.HasPasskeys(ctx, c.User.ID); err != nil {
			return web.Unavailable
		}
	}
	if !feature.HasSecondFactor(c.User.TOTPEnabled, has) {
		return nil
	}
	if c.ViaCookie && h.p.o.Now().Before(c.Session.StepUpUntil) {
		return nil
	}
	return web.New(http.StatusForbidden, CodeTOTPStepUpRequired, "a recent second-factor proof is required")
}

// RequireStepUp passes when the session holds a step-up proof; a code
// given with the request is used to obtain one first (loginui/totp).
func (h host) RequireStepUp(r *http.Request, c *feature.Caller, code string) error {
	if code != "" {
		if _, err := h.p.stepUpper.StepUp(r, c, code); err != nil {
			return web.As(err)
		}
	}
	return h.StepUp(c)
}

// opNoUser answers an {id} that names no user.
var opNoUser = web.New(http.StatusNotFound, CodeUserNotFound, "no such user")

// AdminTarget loads the {id} user: 404 USER_NOT_FOUND or 503 otherwise.
func (h host) AdminTarget(r *http.Request) (*keystore.User, error) {
	id := r.PathValue("id")
	if len(id) != 32 {
		return nil, opNoUser
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	u, err := h.p.o.Users.GetUser(ctx, id)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, opNoUser
	}
	if err != nil {
		return nil, web.Unavailable.WithCause(err)
	}
	return u, nil
}
