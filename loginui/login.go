package loginui

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/login"
	"github.com/gatehouse/gatehouse/loginui/internal/session"
	"github.com/gatehouse/gatehouse/loginui/internal/view"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// A login, JSON or HTML: the rate limit, the password check
// (loginui/internal/login), the second step for users with TOTP on
// (second_step.go) and the SecondStep hook, then the credential
// (loginui/internal/session) and its cookies. Only this file and
// second_step.go open sessions.

type loginRequest struct {
	Identifier *string `json:"identifier"`
	Password   *string `json:"password"`
}

// apiLogin: POST /api/auth/login {identifier,password}.
func (p *Portal) apiLogin(w http.ResponseWriter, r *http.Request) error {
	transport := r.URL.Query().Get("transport")
	if transport != "" && transport != "cookie" && transport != "bearer" {
		return web.New(http.StatusUnprocessableEntity, CodeLoginPayloadInvalid, "transport must be cookie or bearer")
	}
	var req loginRequest
	if err := web.DecodeJSON(r, &req, false); err != nil || req.Identifier == nil || req.Password == nil {
		return web.New(http.StatusUnprocessableEntity, CodeLoginPayloadInvalid, "the body must be {identifier, password}")
	}
	if e := p.limiter.Allow(r, SlotLogin, []string{"ip", p.clientIP(r)}, []string{"id", keystore.FoldEmail(*req.Identifier)}); e != nil {
		return e
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	u, err := p.login.Check(ctx, *req.Identifier, *req.Password)
	if err != nil {
		return login.Answer(err)
	}
	if u.TOTPEnabled {
		return p.apiTOTPRequired(w, r, u, feature.MethodPassword)
	}
	if p.o.SecondStep != nil && p.o.SecondStep(w, r, u) {
		return nil
	}
	return p.finishAPILogin(ctx, w, r, u, transport, feature.MethodPassword)
}

// finishAPILogin issues the credentials of a completed login: bearer
// tokens or a cookie session, recording method (feature/methods.go).
func (p *Portal) finishAPILogin(ctx context.Context, w http.ResponseWriter, r *http.Request, u *keystore.User, transport, method string) error {
	if transport != "bearer" {
		csrf, err := p.createSession(ctx, w, r, u, method)
		if err != nil {
			return web.Unavailable
		}
		p.audit("login_ok", u.ID)
		web.WriteJSON(w, http.StatusOK, map[string]string{"csrf_token": csrf})
		return nil
	}
	out, err := p.sessions.OpenChain(ctx, u, method, r.UserAgent())
	if err != nil {
		return web.Unavailable
	}
	p.audit("login_ok", u.ID)
	if r.URL.Query().Get("refresh") == "cookie" {
		p.cookies.SetRefresh(w, out.RefreshToken, p.o.Now().Add(p.o.RefreshLifetime))
		out.RefreshToken = ""
	}
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

// createSession stores a new browser session and sets its cookie and a
// CSRF cookie bound to it; the session the browser carried before, if
// any, is revoked. It returns the CSRF token.
func (p *Portal) createSession(ctx context.Context, w http.ResponseWriter, r *http.Request, u *keystore.User, method string) (string, error) {
	tok, s, err := p.sessions.Open(ctx, u, method, r.UserAgent())
	if err != nil {
		return "", err
	}
	csrf, err := p.csrf.NewToken(s.Digest)
	if err != nil {
		return "", err
	}
	p.cookies.SetSession(w, tok, s.ExpiresAt)
	p.cookies.SetCSRF(w, csrf)
	p.sessions.Drop(ctx, web.CookieValue(r, p.o.CookieName))
	return csrf, nil
}

// apiLogout: POST /api/auth/logout. Cookie sessions are deleted; a bearer
// token's jti is denylisted and its refresh chain revoked. A store
// failure is 503 and nothing is claimed.
func (p *Portal) apiLogout(w http.ResponseWriter, r *http.Request) error {
	c, err := host{p}.APICaller(r)
	if err != nil {
		return err
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	if err := p.sessions.Logout(ctx, c); err != nil {
		return web.Unavailable
	}
	if c.ViaCookie {
		p.cookies.ClearSession(w)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

var opRefreshInvalid = web.New(http.StatusUnauthorized, CodeRefreshTokenInvalid, "refresh token invalid, expired or already used")

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// apiRefresh: POST /api/auth/refresh {refresh_token} or the refresh
// cookie. Tokens rotate; presenting a spent token revokes its chain.
func (p *Portal) apiRefresh(w http.ResponseWriter, r *http.Request) error {
	var req refreshRequest
	if err := web.DecodeJSON(r, &req, true); err != nil {
		return web.BadBody
	}
	fromCookie := false
	if req.RefreshToken == "" {
		req.RefreshToken = web.CookieValue(r, p.o.CookieName+web.RefreshCookieSuffix)
		fromCookie = true
		// A cookie-borne refresh must come from a client that can set
		// headers a cross-site form cannot.
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			req.RefreshToken = ""
		}
	}
	if e := p.limiter.Allow(r, SlotRefresh, []string{"ip", p.clientIP(r)}); e != nil {
		return e
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	toks, err := p.sessions.Rotate(ctx, req.RefreshToken, r.UserAgent())
	switch {
	case err == nil:
	case errors.Is(err, session.ErrRefreshInvalid):
		if fromCookie {
			p.cookies.ClearRefresh(w)
		}
		return opRefreshInvalid
	default:
		return web.Unavailable
	}
	if fromCookie {
		p.cookies.SetRefresh(w, toks.RefreshToken, p.o.Now().Add(p.o.RefreshLifetime))
		toks.RefreshToken = ""
	}
	web.WriteJSON(w, http.StatusOK, toks)
	return nil
}

func (p *Portal) pageLogin(w http.ResponseWriter, r *http.Request) error {
	rd, rdOK := p.safeRedirect(r.URL.Query().Get("rd"))
	d, c, err := p.formPage(w, r, "Log in")
	if err != nil {
		return err
	}
	if c != nil {
		if rdOK {
			redirect(w, r, rd)
		} else {
			redirect(w, r, "/account")
		}
		return nil
	}
	d.RD = rd
	d.Notice = p.notices[r.URL.Query().Get("done")]
	p.render(w, http.StatusOK, "login", d)
	return nil
}

func (p *Portal) pageLoginPost(w http.ResponseWriter, r *http.Request) error {
	d, _, ok := p.formPost(w, r, "login", "Log in")
	if !ok {
		return nil
	}
	f := r.PostForm
	d.RD, _ = p.safeRedirect(f.Get("rd"))
	identifier, password := f.Get("identifier"), f.Get("password")
	d.Email = view.Clip(identifier, keystore.MaxEmailLen)
	if e := p.limiter.Allow(r, SlotLogin, []string{"ip", p.clientIP(r)}, []string{"id", keystore.FoldEmail(identifier)}); e != nil {
		p.renderOp(w, e, "login", d)
		return nil
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	u, err := p.login.Check(ctx, identifier, password)
	switch {
	case err == nil:
	case errors.Is(err, login.ErrBusy):
		p.renderOp(w, web.Busy, "login", d)
		return nil
	case errors.Is(err, login.ErrUnavailable):
		d.Error = "This account cannot log in."
		p.render(w, http.StatusBadRequest, "login", d)
		return nil
	case errors.Is(err, login.ErrBadCredentials):
		d.Error = "Wrong email or password."
		p.render(w, http.StatusBadRequest, "login", d)
		return nil
	default:
		return web.Unavailable
	}
	if u.TOTPEnabled {
		return p.pageTOTPRequired(w, r, u, d.RD, feature.MethodPassword)
	}
	if p.o.SecondStep != nil && p.o.SecondStep(w, r, u) {
		return nil
	}
	return p.openPageSession(ctx, w, r, u, feature.MethodPassword, d.RD)
}

// openPageSession ends a browser login: the session, the audit event and
// the redirect to rd or the portal home.
func (p *Portal) openPageSession(ctx context.Context, w http.ResponseWriter, r *http.Request, u *keystore.User, method, rd string) error {
	if _, err := p.createSession(ctx, w, r, u, method); err != nil {
		return web.Unavailable
	}
	ev := p.log.Info().Str("audit", "login_ok").Str("user_id", u.ID)
	if provider, ok := strings.CutPrefix(method, feature.MethodOAuthPrefix); ok && feature.ValidFirstFactor(method) {
		ev = ev.Str("provider", provider)
	}
	ev.Msg("audit")
	if rd != "" {
		redirect(w, r, rd)
		return nil
	}
	redirect(w, r, p.home())
	return nil
}

// FinishLogin completes a feature's login (an OAuth first factor).
func (h host) FinishLogin(w http.ResponseWriter, r *http.Request, u *keystore.User, firstFactor, rd string) {
	p := h.p
	// A feature never checked a password: it may only finish a login
	// whose first factor is its own (an OAuth provider), so no feature can
	// open a password session.
	if !feature.ValidFirstFactor(firstFactor) || feature.PasswordFirstFactor(firstFactor) {
		p.log.Error().Str("component", "loginui").Msg("a feature tried to finish a login with a password first factor; refused")
		p.errorPage(w, r, web.Forbidden("this login cannot be completed"))
		return
	}
	if u.TOTPEnabled {
		if err := p.pageTOTPRequired(w, r, u, rd, firstFactor); err != nil {
			p.errorPage(w, r, err)
		}
		return
	}
	if p.o.SecondStep != nil && p.o.SecondStep(w, r, u) {
		return
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	if err := p.openPageSession(ctx, w, r, u, firstFactor, rd); err != nil {
		p.renderStoreError(w)
	}
}

func (p *Portal) pageLogout(w http.ResponseWriter, r *http.Request) error {
	d, c, err := p.formPage(w, r, "Log out")
	if err != nil {
		return err
	}
	if c == nil {
		redirect(w, r, "/login")
		return nil
	}
	p.render(w, http.StatusOK, "logout", d)
	return nil
}

func (p *Portal) pageLogoutPost(w http.ResponseWriter, r *http.Request) error {
	_, c, ok := p.formPost(w, r, "logout", "Log out")
	if !ok {
		return nil
	}
	if c == nil {
		redirect(w, r, "/login")
		return nil
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	if err := p.sessions.Logout(ctx, c); err != nil {
		return web.Unavailable
	}
	p.cookies.ClearSession(w)
	redirect(w, r, "/login?done=logged_out")
	return nil
}
