package loginui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/login"

	"github.com/gatehouse/gatehouse/loginui/internal/view"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// The HTML login: /login, /2fa and /logout, and the end of a feature's
// login (Host.FinishLogin). The JSON login API and the steps both share
// (the second step, opening a session with its cookies) are
// loginui/internal/login's Flow; the password check is its Checker.

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
	u, err := p.flow.Check.Check(ctx, identifier, password)
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
	if sent, err := p.pageSecondStep(ctx, w, r, u, d.RD, feature.MethodPassword); sent || err != nil {
		return err
	}
	if p.o.SecondStep != nil && p.o.SecondStep(w, r, u) {
		return nil
	}
	return p.openPageSession(ctx, w, r, u, feature.MethodPassword, d.RD)
}

// openPageSession ends a browser login: the session, the audit event and
// the redirect to rd or the portal home.
func (p *Portal) openPageSession(ctx context.Context, w http.ResponseWriter, r *http.Request, u *keystore.User, method, rd string) error {
	if _, err := p.flow.OpenSession(ctx, w, r, u, method); err != nil {
		return web.Unavailable
	}
	ev := p.log.Info().Str("audit", "login_ok").Str("user_id", u.ID)
	if provider, ok := strings.CutPrefix(method, feature.MethodOAuthPrefix); ok && feature.OAuthFirstFactor(method) {
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
	if !feature.OAuthFirstFactor(firstFactor) {
		p.log.Error().Str("component", "loginui").Msg("a feature tried to finish a login with a first factor not its own; refused")
		p.errorPage(w, r, web.Forbidden("this login cannot be completed"))
		return
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	if sent, err := p.pageSecondStep(ctx, w, r, u, rd, firstFactor); sent || err != nil {
		if err != nil {
			p.errorPage(w, r, err)
		}
		return
	}
	if p.o.SecondStep != nil && p.o.SecondStep(w, r, u) {
		return
	}
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

// The second step of an HTML login: the pending token travels in its own
// cookie (web.Cookies.SetPending) to /2fa.

// totp2faURL is /2fa carrying rd.
func totp2faURL(rd string) string {
	if rd == "" {
		return "/2fa"
	}
	return "/2fa?rd=" + url.QueryEscape(rd)
}

// pageSecondStep: the first factor (a password, an OAuth login or a
// passkey, named by its AuthMethod) was right; when u's login goes
// through the second step (login.Flow.SecondStepFor) the browser is sent
// to /2fa with a pending-login cookie that carries the first factor
// (sent=true).
func (p *Portal) pageSecondStep(ctx context.Context, w http.ResponseWriter, r *http.Request, u *keystore.User, rd, firstFactor string) (sent bool, err error) {
	tok, _, err := p.flow.SecondStepFor(ctx, r, u, firstFactor)
	if err != nil || tok == "" {
		return false, err
	}
	p.cookies.SetPending(w, tok, p.flow.Second.PendingLifetime())
	redirect(w, r, totp2faURL(rd))
	return true, nil
}

func (p *Portal) pageTOTP(w http.ResponseWriter, r *http.Request) error {
	rd, _ := p.safeRedirect(r.URL.Query().Get("rd"))
	if p.cookies.Pending(r) == "" {
		to := "/login"
		if rd != "" {
			to += "?rd=" + url.QueryEscape(rd)
		}
		redirect(w, r, to)
		return nil
	}
	d, _, err := p.formPage(w, r, "Two-factor authentication")
	if err != nil {
		return err
	}
	d.RD = rd
	p.passkeySecondForm(r, d)
	p.render(w, http.StatusOK, "2fa", d)
	return nil
}

func (p *Portal) pageTOTPPost(w http.ResponseWriter, r *http.Request) error {
	d, _, ok := p.formPost(w, r, "2fa", "Two-factor authentication")
	if !ok {
		return nil
	}
	d.RD, _ = p.safeRedirect(r.PostForm.Get("rd"))
	u, method, e := p.flow.CompleteSecond(r, p.cookies.Pending(r), r.PostForm.Get("code"))
	return p.endSecondStep(w, r, d, u, method, e)
}

// endSecondStep answers a second step of the /2fa page (a code or a
// passkey): its refusal e on the page (an expired or spent login sends
// the browser back to log in), or the session and the redirect to rd or
// the portal home.
func (p *Portal) endSecondStep(w http.ResponseWriter, r *http.Request, d *pageData, u *keystore.User, method string, e *web.Error) error {
	switch {
	case e == nil:
	case e.Code == CodeTOTPPendingBadToken:
		p.cookies.ClearPending(w)
		p.render(w, e.Status, "message", &pageData{Title: "Log in again", Error: "Your login has expired or was already completed. Please log in again.", Link: "/login", LinkText: "Log in"})
		return nil
	case e.Status == http.StatusServiceUnavailable:
		return web.Unavailable
	default:
		p.passkeySecondForm(r, d)
		p.renderOp(w, e, "2fa", d)
		return nil
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	if _, err := p.flow.OpenSession(ctx, w, r, u, method); err != nil {
		return web.Unavailable
	}
	p.cookies.ClearPending(w)
	p.audit("login_ok", u.ID)
	if d.RD != "" {
		redirect(w, r, d.RD)
		return nil
	}
	redirect(w, r, p.home())
	return nil
}
