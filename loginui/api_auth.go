package loginui

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

type loginRequest struct {
	Identifier *string `json:"identifier"`
	Password   *string `json:"password"`
}

// apiLogin: POST /api/auth/login {identifier,password}.
func (p *Portal) apiLogin(w http.ResponseWriter, r *http.Request) error {
	transport := r.URL.Query().Get("transport")
	if transport != "" && transport != "cookie" && transport != "bearer" {
		return newOpErr(http.StatusUnprocessableEntity, CodeLoginPayloadInvalid, "transport must be cookie or bearer")
	}
	var req loginRequest
	if err := decodeJSON(r, &req, false); err != nil || req.Identifier == nil || req.Password == nil {
		return newOpErr(http.StatusUnprocessableEntity, CodeLoginPayloadInvalid, "the body must be {identifier, password}")
	}
	if e := p.rate(r, SlotLogin, []string{"ip", p.clientIP(r)}, []string{"id", keystore.FoldEmail(*req.Identifier)}); e != nil {
		return e
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	u, out := p.checkLogin(ctx, *req.Identifier, *req.Password)
	if e := loginOutcomeErr(out); e != nil {
		return e
	}
	if u.TOTPEnabled {
		return p.apiTOTPRequired(w, r, u, methodPassword)
	}
	if p.o.SecondStep != nil && p.o.SecondStep(w, r, u) {
		return nil
	}
	return p.finishAPILogin(ctx, w, r, u, transport, methodPassword)
}

// finishAPILogin issues the credentials of a completed login: bearer
// tokens or a cookie session, recording method (see accounts.go).
func (p *Portal) finishAPILogin(ctx context.Context, w http.ResponseWriter, r *http.Request, u *keystore.User, transport, method string) error {
	if transport == "bearer" {
		return p.loginBearer(ctx, w, r, u, method)
	}
	csrf, err := p.createSession(ctx, w, r, u, method)
	if err != nil {
		return opStore
	}
	p.audit("login_ok", u.ID)
	writeJSON(w, http.StatusOK, map[string]string{"csrf_token": csrf})
	return nil
}

var (
	opLoginUnavailable = newOpErr(http.StatusBadRequest, CodeLoginAccountUnavailable, "this account cannot log in")
	opBadCredentials   = newOpErr(http.StatusBadRequest, CodeLoginBadCredentials, "bad credentials")
)

// loginOutcomeErr is the answer to a failed outcome, nil when the login
// may proceed.
func loginOutcomeErr(out loginOutcome) *opErr {
	switch out {
	case loginOK:
		return nil
	case loginUnavailable:
		return opLoginUnavailable
	case loginStoreError:
		return opStore
	case loginBusy:
		return opBusy
	default:
		return opBadCredentials
	}
}

func (p *Portal) loginBearer(ctx context.Context, w http.ResponseWriter, r *http.Request, u *keystore.User, method string) error {
	chain, err := signing.RandomHex(16)
	if err != nil {
		return opStore
	}
	rt, err := p.issueRefresh(ctx, r, u, chain, p.o.Now().Add(p.o.RefreshLifetime), method)
	if err != nil {
		return opStore
	}
	at, err := p.issueAccess(u, chain)
	if err != nil {
		return opStore
	}
	p.audit("login_ok", u.ID)
	out := bearerTokens{AccessToken: at, TokenType: "bearer", RefreshToken: rt, ExpiresIn: int(p.o.AccessLifetime.Seconds())}
	if r.URL.Query().Get("refresh") == "cookie" {
		p.cookies.SetRefresh(w, rt, p.o.Now().Add(p.o.RefreshLifetime))
		out.RefreshToken = ""
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// apiLogout: POST /api/auth/logout. Cookie sessions are deleted; a bearer
// token's jti is denylisted and its refresh chain revoked. A store
// failure is 503 and nothing is claimed.
func (p *Portal) apiLogout(w http.ResponseWriter, r *http.Request) error {
	c, e := p.apiCaller(r)
	if e != nil {
		return e
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	if err := p.logout(ctx, c); err != nil {
		return opStore
	}
	if c.viaCookie {
		p.cookies.ClearSession(w)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (p *Portal) logout(ctx context.Context, c *caller) error {
	if c.viaCookie {
		if err := p.o.Sessions.DeleteSession(ctx, c.digest); err != nil && !errors.Is(err, keystore.ErrNotFound) {
			return err
		}
		p.audit("logout", c.user.ID)
		return nil
	}
	if err := p.o.Denylist.Deny(ctx, c.claims.JTI, c.claims.ExpiresAt.Add(time.Minute)); err != nil {
		return err
	}
	if c.claims.SID != "" {
		if err := p.revokeChain(ctx, c.user.ID, c.claims.SID, p.o.Now().Add(p.o.RefreshLifetime)); err != nil {
			return err
		}
	}
	p.audit("logout", c.user.ID)
	return nil
}

var opRefreshInvalid = newOpErr(http.StatusUnauthorized, CodeRefreshTokenInvalid, "refresh token invalid, expired or already used")

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// apiRefresh: POST /api/auth/refresh {refresh_token} or the refresh
// cookie. Tokens rotate; presenting a spent token revokes its chain.
func (p *Portal) apiRefresh(w http.ResponseWriter, r *http.Request) error {
	var req refreshRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return opBody
	}
	fromCookie := false
	if req.RefreshToken == "" {
		req.RefreshToken = cookieValue(r, p.o.CookieName+refreshCookieSuffix)
		fromCookie = true
		// A cookie-borne refresh must come from a client that can set
		// headers a cross-site form cannot.
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			req.RefreshToken = ""
		}
	}
	if e := p.rate(r, SlotRefresh, []string{"ip", p.clientIP(r)}); e != nil {
		return e
	}
	bad := func() error {
		if fromCookie {
			p.cookies.ClearRefresh(w)
		}
		return opRefreshInvalid
	}
	if req.RefreshToken == "" || len(req.RefreshToken) > 128 {
		return bad()
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	toks, err := p.rotateRefresh(ctx, r, req.RefreshToken)
	switch {
	case err == nil:
	case errors.Is(err, errRefreshInvalid):
		return bad()
	default:
		return opStore
	}
	if fromCookie {
		p.cookies.SetRefresh(w, toks.RefreshToken, p.o.Now().Add(p.o.RefreshLifetime))
		toks.RefreshToken = ""
	}
	writeJSON(w, http.StatusOK, toks)
	return nil
}

// Failures of rotateRefresh: the token is not (or no longer) good, or a
// store could not answer (fail closed; nothing is issued).
var (
	errRefreshInvalid = errors.New("loginui: refresh token invalid")
	errRefreshStore   = errors.New("loginui: refresh: store unavailable")
)

// rotateRefresh spends tok and returns a new pair. Exactly one of
// concurrent uses wins (an atomic set-if-absent marker, backed by a
// durable denylist entry); every other use of a spent token revokes the
// whole chain, including the winner's new refresh token.
func (p *Portal) rotateRefresh(ctx context.Context, r *http.Request, tok string) (bearerTokens, error) {
	now := p.o.Now()
	d := p.tokenDigest(tok)
	s, err := p.o.Sessions.GetSession(ctx, d)
	if errors.Is(err, keystore.ErrNotFound) {
		return bearerTokens{}, errRefreshInvalid
	}
	if err != nil {
		return bearerTokens{}, errRefreshStore
	}
	if s.Kind != kindRefresh || s.ChainID == "" || !now.Before(s.ExpiresAt) {
		return bearerTokens{}, errRefreshInvalid
	}
	chainDenied, err := p.o.Denylist.IsDenied(ctx, []byte(chainDenyKey(s.ChainID)))
	if err != nil {
		return bearerTokens{}, errRefreshStore
	}
	if chainDenied {
		return bearerTokens{}, errRefreshInvalid
	}
	spent, err := p.o.Denylist.IsDenied(ctx, []byte(spentKey(d)))
	if err != nil {
		return bearerTokens{}, errRefreshStore
	}
	won := false
	if !spent {
		if won, err = p.o.Markers.SetIfAbsent(ctx, spentKey(d), s.ExpiresAt.Sub(now)+time.Minute); err != nil {
			return bearerTokens{}, errRefreshStore
		}
	}
	if !won {
		p.log.Warn().Str("audit", "refresh_reuse").Str("user_id", s.UserID).Msg("audit")
		if err := p.revokeChain(ctx, s.UserID, s.ChainID, s.ExpiresAt); err != nil {
			return bearerTokens{}, errRefreshStore
		}
		return bearerTokens{}, errRefreshInvalid
	}
	// Durable record of the spend, so a restart of an in-memory marker
	// store cannot revive the token.
	if err := p.o.Denylist.Deny(ctx, spentKey(d), s.ExpiresAt); err != nil {
		return bearerTokens{}, errRefreshStore
	}
	u, err := p.o.Users.GetUser(ctx, s.UserID)
	if errors.Is(err, keystore.ErrNotFound) {
		return bearerTokens{}, errRefreshInvalid
	}
	if err != nil {
		return bearerTokens{}, errRefreshStore
	}
	if !u.Active {
		return bearerTokens{}, errRefreshInvalid
	}
	rt, err := p.issueRefresh(ctx, r, u, s.ChainID, s.ExpiresAt, s.AuthMethod)
	if err != nil {
		return bearerTokens{}, errRefreshStore
	}
	// A concurrent reuse may revoke the chain after this point; the chain
	// denial then kills the new refresh token at its first use and the
	// new access token at the portal, so the winner holds nothing usable
	// beyond the access token's lifetime at the verifier.
	at, err := p.issueAccess(u, s.ChainID)
	if err != nil {
		return bearerTokens{}, errRefreshStore
	}
	return bearerTokens{AccessToken: at, TokenType: "bearer", RefreshToken: rt, ExpiresIn: int(p.o.AccessLifetime.Seconds())}, nil
}

// setPassword stores a new password hash for u and revokes every session
// except keep (nil: all). Earlier access JWTs die through the fingerprint.
// check runs on the record as stored before the hash is set; its error
// aborts the change. On success *u is the record as stored. A busy hasher
// is signing.ErrHashBusy, with nothing changed.
func (p *Portal) setPassword(ctx context.Context, u *keystore.User, password string, keep []byte, check func(*keystore.User) error) error {
	hash, err := p.accounts.HashPassword(ctx, password)
	if err != nil {
		return err
	}
	return p.storePasswordHash(ctx, u, hash, keep, check)
}

// storePasswordHash is setPassword with the hash already made.
func (p *Portal) storePasswordHash(ctx context.Context, u *keystore.User, hash string, keep []byte, check func(*keystore.User) error) error {
	nu, err := p.accounts.SetPasswordHash(ctx, u.ID, hash, check)
	if err != nil {
		return err
	}
	*u = *nu
	if _, err := p.o.Sessions.DeleteUserSessions(ctx, u.ID, keep); err != nil {
		return err
	}
	p.sendMail(EventPasswordChanged, u, "")
	return nil
}
