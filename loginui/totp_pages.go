package loginui

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

// The pending login of the HTML flow travels in its own cookie: HttpOnly,
// SameSite=Strict, scoped to /2fa, as long-lived as the token.
const (
	pendingCookieSuffix = "_2fa"
	pendingCookiePath   = "/2fa"
)

func (p *Portal) setPendingCookie(w http.ResponseWriter, tok string) {
	http.SetCookie(w, &http.Cookie{
		Name: p.o.CookieName + pendingCookieSuffix, Value: tok, Path: pendingCookiePath,
		MaxAge: int(totpTokenLifetime.Seconds()), HttpOnly: true, Secure: p.cookieSec, SameSite: http.SameSiteStrictMode,
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
	if !p.totp.ready {
		p.log.Error().Str("component", "loginui").Str("user_id", u.ID).Msg("user has TOTP on but TOTP is not configured")
		return opStore
	}
	tok, err := p.issuePending(u, r, firstFactor)
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
	u, method, e := p.completeTOTPLogin(r, cookieValue(r, p.o.CookieName+pendingCookieSuffix), r.PostForm.Get("code"))
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

// totpView is the /account section's state.
type totpView struct {
	Enabled      bool
	CanEnroll    bool
	RecoveryLeft int
	StepUpActive bool
	StepUpUntil  time.Time
	Enroll       *enrollment
	Codes        []string // freshly issued recovery codes, shown once
}

// totpSectionView is nil (no section) when enrollment is off and the user
// does not have TOTP on.
func (p *Portal) totpSectionView(c *caller) *totpView {
	u := c.user
	if !u.TOTPEnabled && (!p.o.TOTP.Enabled || !p.totp.ready) {
		return nil
	}
	v := &totpView{Enabled: u.TOTPEnabled, CanEnroll: p.enrollAllowed(c) == nil}
	if u.TOTPEnabled {
		v.RecoveryLeft = p.recoveryLeft(u)
		if c.session != nil && p.o.Now().Before(c.session.StepUpUntil) {
			v.StepUpActive, v.StepUpUntil = true, c.session.StepUpUntil
		}
	}
	return v
}

// totpPageFail renders the account page with the failure of a TOTP form.
func (p *Portal) totpPageFail(w http.ResponseWriter, r *http.Request, c *caller, d *pageData, e *opErr) error {
	if e.Status == http.StatusServiceUnavailable {
		return opStore
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", itoa(e.RetryAfter))
	}
	d.Error = e.Detail
	return p.renderAccount(w, r, c, d, e.Status)
}

func (p *Portal) pageTOTPEnable(w http.ResponseWriter, r *http.Request) error {
	d, c, ok := p.pageAuth(w, r, "/account")
	if !ok {
		return nil
	}
	en, e := p.startEnrollment(r, c)
	if e != nil {
		return p.totpPageFail(w, r, c, d, e)
	}
	d.TOTP = p.totpSectionView(c)
	d.TOTP.Enroll = en
	return p.renderAccount(w, r, c, d, http.StatusOK)
}

func (p *Portal) pageTOTPConfirm(w http.ResponseWriter, r *http.Request) error {
	d, c, ok := p.pageAuth(w, r, "/account")
	if !ok {
		return nil
	}
	codes, e := p.confirmEnrollment(r, c, r.PostForm.Get("enrollment_token"), r.PostForm.Get("code"))
	if e != nil {
		// Show the same key again so the person can retry with a new code.
		if v := p.totpSectionView(c); v != nil && e.Code == CodeTOTPCodeInvalid {
			if en, e2 := p.enrollmentView(c.user); e2 == nil {
				v.Enroll = en
				d.TOTP = v
			}
		}
		return p.totpPageFail(w, r, c, d, e)
	}
	d.TOTP = p.totpSectionView(c)
	d.TOTP.Codes = codes
	d.Notice = "Two-factor authentication is on."
	return p.renderAccount(w, r, c, d, http.StatusOK)
}

func (p *Portal) pageTOTPStepUp(w http.ResponseWriter, r *http.Request) error {
	d, c, ok := p.pageAuth(w, r, "/account")
	if !ok {
		return nil
	}
	if _, e := p.stepUp(r, c, r.PostForm.Get("code")); e != nil {
		return p.totpPageFail(w, r, c, d, e)
	}
	redirect(w, r, "/account?done=stepup")
	return nil
}

func (p *Portal) pageTOTPDisable(w http.ResponseWriter, r *http.Request) error {
	d, c, ok := p.pageAuth(w, r, "/account")
	if !ok {
		return nil
	}
	if e := p.disableTOTP(r, c, r.PostForm.Get("code"), r.PostForm.Get("current_password")); e != nil {
		return p.totpPageFail(w, r, c, d, e)
	}
	redirect(w, r, "/account?done=totp_off")
	return nil
}

func (p *Portal) pageTOTPRegenerate(w http.ResponseWriter, r *http.Request) error {
	d, c, ok := p.pageAuth(w, r, "/account")
	if !ok {
		return nil
	}
	codes, e := p.regenerateRecovery(r, c, r.PostForm.Get("code"))
	if e != nil {
		return p.totpPageFail(w, r, c, d, e)
	}
	d.TOTP = p.totpSectionView(c)
	d.TOTP.Codes = codes
	d.Notice = "Your recovery codes have been replaced; the old ones no longer work."
	return p.renderAccount(w, r, c, d, http.StatusOK)
}
