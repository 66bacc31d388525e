package loginui

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// caller is the authenticated principal of a request.
type caller struct {
	user      *keystore.User
	viaCookie bool
	session   *keystore.Session // cookie sessions
	digest    []byte            // cookie sessions: digest of the cookie token
	claims    tokenClaims       // bearer JWTs
}

// passwordSession reports whether the caller holds a browser session that
// was opened with a password (alone or followed by a TOTP or recovery
// code). An OAuth first factor never counts, with or without a TOTP code
// after it, nor does the ambiguous "totp" of earlier versions. Bearer
// access tokens never count: any refresh of a long chain mints one without
// a password, and they cannot carry a step-up proof.
func (c *caller) passwordSession() bool {
	return c.viaCookie && c.session != nil && c.session.Kind == kindSession && passwordFirstFactor(c.session.AuthMethod)
}

// errAuthStore marks a store failure while authenticating (503, not 401).
var errAuthStore = errors.New("loginui: store failure while authenticating")

// errAuthInvalid marks a credential that is present but invalid (401).
var errAuthInvalid = errors.New("loginui: credential invalid")

const storeTimeout = 5 * time.Second

func storeCtx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), storeTimeout)
}

// authenticate resolves the caller. (nil, nil): no credential at all.
// A present but invalid bearer token is errAuthInvalid; an invalid or
// expired cookie counts as no credential (the browser is sent to log in).
func (p *Portal) authenticate(r *http.Request) (*caller, error) {
	ctx, cancel := storeCtx(r)
	defer cancel()
	if ah := r.Header.Values("Authorization"); len(ah) > 0 {
		if len(ah) != 1 {
			return nil, errAuthInvalid
		}
		tok, ok := strings.CutPrefix(ah[0], "Bearer ")
		if !ok {
			return nil, errAuthInvalid
		}
		return p.authBearer(ctx, strings.TrimSpace(tok))
	}
	tok := cookieValue(r, p.o.CookieName)
	if tok == "" {
		return nil, nil
	}
	c, err := p.authCookie(ctx, tok)
	if errors.Is(err, errAuthInvalid) {
		return nil, nil
	}
	return c, err
}

func (p *Portal) authBearer(ctx context.Context, tok string) (*caller, error) {
	now := p.o.Now()
	cl, err := p.access.verify(tok, now)
	if err != nil {
		return nil, errAuthInvalid
	}
	denied, err := p.o.Denylist.IsDenied(ctx, []byte(cl.JTI))
	if err != nil {
		return nil, errAuthStore
	}
	if denied {
		return nil, errAuthInvalid
	}
	if cl.SID != "" {
		denied, err = p.o.Denylist.IsDenied(ctx, []byte(chainDenyKey(cl.SID)))
		if err != nil {
			return nil, errAuthStore
		}
		if denied {
			return nil, errAuthInvalid
		}
	}
	u, err := p.o.Users.GetUser(ctx, cl.Subject)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, errAuthInvalid
	}
	if err != nil {
		return nil, errAuthStore
	}
	if !u.Active || subtle.ConstantTimeCompare([]byte(cl.SFP), []byte(p.accessFingerprint(u))) != 1 {
		return nil, errAuthInvalid
	}
	return &caller{user: u, claims: cl}, nil
}

func (p *Portal) authCookie(ctx context.Context, tok string) (*caller, error) {
	if len(tok) > 128 {
		return nil, errAuthInvalid
	}
	d := p.tokenDigest(tok)
	s, err := p.o.Sessions.GetSession(ctx, d)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, errAuthInvalid
	}
	if err != nil {
		return nil, errAuthStore
	}
	now := p.o.Now()
	if s.Kind != "session" || !now.Before(s.ExpiresAt) {
		return nil, errAuthInvalid
	}
	u, err := p.o.Users.GetUser(ctx, s.UserID)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, errAuthInvalid
	}
	if err != nil {
		return nil, errAuthStore
	}
	if !u.Active {
		return nil, errAuthInvalid
	}
	if now.Sub(s.LastSeenAt) >= p.o.SessionTouch {
		if err := p.o.Sessions.TouchSession(ctx, d, now); err != nil {
			p.log.Warn().Str("component", "loginui").Msg("session last-seen update failed")
		}
	}
	return &caller{user: u, viaCookie: true, session: s, digest: d}, nil
}

// apiCaller authenticates an API request and, for unsafe methods of
// cookie-authenticated requests, checks CSRF. It returns the error to
// answer when the request may not proceed.
func (p *Portal) apiCaller(r *http.Request) (*caller, *opErr) {
	// API keys and signed requests are machine credentials for the
	// verifier; they never reach account or key management.
	if p.presentsAPIKey(r) {
		return nil, opForbidden("API keys cannot use account routes")
	}
	c, err := p.authenticate(r)
	switch {
	case errors.Is(err, errAuthStore):
		return nil, opStore
	case err != nil, c == nil:
		return nil, opUnauthenticated
	}
	if c.viaCookie && !isSafeMethod(r.Method) && !p.csrf.Check(r, c.digest, "") {
		return nil, opCSRF
	}
	return c, nil
}

// superuserErr demands a superuser with a password session.
func (p *Portal) superuserErr(c *caller) *opErr {
	if !c.user.Superuser {
		return newOpErr(http.StatusForbidden, CodeAuthorizationDenied, "superuser required")
	}
	if !c.passwordSession() {
		return newOpErr(http.StatusForbidden, CodeAuthorizationDenied, "a password session is required")
	}
	return p.stepUpErr(c)
}

// stepUpErr applies to sensitive changes: users with TOTP on need a
// step-up proof on their session (docs/design.md "Two-factor").
func (p *Portal) stepUpErr(c *caller) *opErr {
	if !c.user.TOTPEnabled {
		return nil
	}
	if c.viaCookie && p.o.Now().Before(c.session.StepUpUntil) {
		return nil
	}
	return newOpErr(http.StatusForbidden, CodeTOTPStepUpRequired, "a recent second-factor proof is required")
}

// requireStepUp passes when the session holds a step-up proof; a code
// given with the request is used to obtain one first (loginui/totp).
func (p *Portal) requireStepUp(r *http.Request, c *caller, code string) *opErr {
	if code != "" {
		if _, err := p.stepUpper.StepUp(r, c.asFeatureCaller(), code); err != nil {
			return web.As(err)
		}
	}
	return p.stepUpErr(c)
}

// adminCaller is apiCaller plus superuserErr.
func (p *Portal) adminCaller(r *http.Request) (*caller, *opErr) {
	c, e := p.apiCaller(r)
	if e != nil {
		return nil, e
	}
	if e := p.superuserErr(c); e != nil {
		return nil, e
	}
	return c, nil
}

// opNoUser answers an {id} that names no user.
var opNoUser = newOpErr(http.StatusNotFound, CodeUserNotFound, "no such user")

// adminTarget loads the {id} user: 404 USER_NOT_FOUND or 503 otherwise.
func (p *Portal) adminTarget(r *http.Request) (*keystore.User, *opErr) {
	id := r.PathValue("id")
	if len(id) != 32 {
		return nil, opNoUser
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	u, err := p.o.Users.GetUser(ctx, id)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, opNoUser
	}
	if err != nil {
		return nil, opStore.WithCause(err)
	}
	return u, nil
}
