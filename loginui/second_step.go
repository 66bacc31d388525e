package loginui

import (
	"net/http"
	"net/url"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// The second login step belongs to the core, which mints the session:
// after the first factor a user with TOTP on gets a pending token from
// the second-factor feature (loginui/totp, a feature.SecondFactor), and
// POST /api/auth/2fa/verify and /2fa hand it back with the code to
// completeSecondStep.

// completeSecondStep checks a pending token and code with the
// second-factor feature and returns the user and the AuthMethod of the
// session to open ("<first factor>+totp").
func (p *Portal) completeSecondStep(r *http.Request, tok, code string) (*keystore.User, string, *opErr) {
	u, first, err := p.second.Complete(r, tok, code)
	if err != nil {
		return nil, "", web.As(err)
	}
	return u, sessionMethodAfterTOTP(first), nil
}

// apiTOTPRequired answers the first step (firstFactor: its AuthMethod) of
// a user with TOTP on: 202 {totp_required, pending_token}. Without TOTP
// configured the login cannot finish (503), never a login without the
// second factor.
func (p *Portal) apiTOTPRequired(w http.ResponseWriter, r *http.Request, u *keystore.User, firstFactor string) error {
	if !p.second.Ready() {
		p.log.Error().Str("component", "loginui").Str("user_id", u.ID).Msg("user has TOTP on but TOTP is not configured")
		return opStore
	}
	tok, err := p.second.Begin(r, u, firstFactor)
	if err != nil {
		return opStore
	}
	p.audit(pendingAuditEvent(firstFactor), u.ID)
	writeJSON(w, http.StatusAccepted, map[string]any{"totp_required": true, "pending_token": tok})
	return nil
}

type totpVerifyRequest struct {
	PendingToken string `json:"pending_token"`
	Code         string `json:"code"`
}

// apiTOTPVerify: POST /api/auth/2fa/verify {pending_token, code}, the
// second login step. ?transport= and ?refresh= work as on login.
func (p *Portal) apiTOTPVerify(w http.ResponseWriter, r *http.Request) error {
	transport := r.URL.Query().Get("transport")
	if transport != "" && transport != "cookie" && transport != "bearer" {
		return opBody
	}
	var req totpVerifyRequest
	if err := decodeJSON(r, &req, false); err != nil {
		return opBody
	}
	u, method, e := p.completeSecondStep(r, req.PendingToken, req.Code)
	if e != nil {
		return e
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	return p.finishAPILogin(ctx, w, r, u, transport, method)
}

// pendingAuditEvent names the audit event of a first step that now waits
// for the TOTP code.
func pendingAuditEvent(firstFactor string) string {
	if firstFactor == methodPassword {
		return "login_password_ok_totp_pending"
	}
	return "login_oauth_ok_totp_pending"
}

// The pending login of the HTML flow travels in its own cookie: HttpOnly,
// SameSite=Strict, scoped to /2fa, as long-lived as the token.
const (
	pendingCookieSuffix = "_2fa"
	pendingCookiePath   = "/2fa"
)

func (p *Portal) setPendingCookie(w http.ResponseWriter, tok string) {
	http.SetCookie(w, &http.Cookie{
		Name: p.o.CookieName + pendingCookieSuffix, Value: tok, Path: pendingCookiePath,
		MaxAge: int(p.second.PendingLifetime().Seconds()), HttpOnly: true, Secure: p.cookieSec, SameSite: http.SameSiteStrictMode,
	})
}

func (p *Portal) clearPendingCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: p.o.CookieName + pendingCookieSuffix, Value: "", Path: pendingCookiePath,
		MaxAge: -1, HttpOnly: true, Secure: p.cookieSec, SameSite: http.SameSiteStrictMode,
	})
}

// totp2faURL is /2fa carrying rd.
func totp2faURL(rd string) string {
	if rd == "" {
		return "/2fa"
	}
	return "/2fa?rd=" + url.QueryEscape(rd)
}

// pageTOTPRequired: the first factor (a password, or an OAuth login named
// by its AuthMethod) was right and the user has TOTP on; the browser is
// sent to /2fa with a pending-login cookie that carries the first factor.
func (p *Portal) pageTOTPRequired(w http.ResponseWriter, r *http.Request, u *keystore.User, rd, firstFactor string) error {
	if !p.second.Ready() {
		p.log.Error().Str("component", "loginui").Str("user_id", u.ID).Msg("user has TOTP on but TOTP is not configured")
		return opStore
	}
	tok, err := p.second.Begin(r, u, firstFactor)
	if err != nil {
		return opStore
	}
	p.audit(pendingAuditEvent(firstFactor), u.ID)
	p.setPendingCookie(w, tok)
	redirect(w, r, totp2faURL(rd))
	return nil
}

func (p *Portal) pageTOTP(w http.ResponseWriter, r *http.Request) error {
	rd, _ := p.safeRedirect(r.URL.Query().Get("rd"))
	if cookieValue(r, p.o.CookieName+pendingCookieSuffix) == "" {
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
	p.render(w, http.StatusOK, "2fa", d)
	return nil
}

func (p *Portal) pageTOTPPost(w http.ResponseWriter, r *http.Request) error {
	d, _, ok := p.formPost(w, r, "2fa", "Two-factor authentication")
	if !ok {
		return nil
	}
	d.RD, _ = p.safeRedirect(r.PostForm.Get("rd"))
	u, method, e := p.completeSecondStep(r, cookieValue(r, p.o.CookieName+pendingCookieSuffix), r.PostForm.Get("code"))
	switch {
	case e == nil:
	case e.Code == CodeTOTPPendingBadToken:
		p.clearPendingCookie(w)
		p.render(w, e.Status, "message", &pageData{Title: "Log in again", Error: "Your login has expired or was already completed. Please log in again.", Link: "/login", LinkText: "Log in"})
		return nil
	case e.Status == http.StatusServiceUnavailable:
		return opStore
	default:
		p.renderOp(w, e, "2fa", d)
		return nil
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	if _, err := p.createSession(ctx, w, r, u, method); err != nil {
		return opStore
	}
	p.clearPendingCookie(w)
	p.audit("login_ok", u.ID)
	if d.RD != "" {
		redirect(w, r, d.RD)
		return nil
	}
	redirect(w, r, p.home())
	return nil
}
