package totp

import (
	"embed"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/internal/errcode"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

//go:embed templates/section.html
var templateFS embed.FS

var section = feature.Fragments{FS: templateFS, Files: []string{"templates/section.html"}}

// totpView is the /account section's state.
type totpView struct {
	Enabled      bool
	CanEnroll    bool
	RecoveryLeft int
	StepUpActive bool
	StepUpUntil  time.Time
	Enroll       *enrollment
	Setup        *enrolPage // with Enroll, on the page only
	Codes        []string   // freshly issued recovery codes, shown once
}

// totpSectionView is nil (no section) when enrollment is off and the user
// does not have TOTP on.
func (f *Feature) totpSectionView(c *feature.Caller) *totpView {
	u := c.User
	if !u.TOTPEnabled && (!f.c.Enabled || !f.ready) {
		return nil
	}
	v := &totpView{Enabled: u.TOTPEnabled, CanEnroll: f.enrollAllowed(c) == nil}
	if u.TOTPEnabled {
		v.RecoveryLeft = f.recoveryLeft(u)
		if c.Session != nil && f.h.Now().Before(c.Session.StepUpUntil) {
			v.StepUpActive, v.StepUpUntil = true, c.Session.StepUpUntil
		}
	}
	return v
}

// SectionTitle implements feature.Section.
func (f *Feature) SectionTitle() string { return "Two-factor authentication" }

// Framed implements feature.FramedSection: the section brings its own
// <section id="totp"> element.
func (f *Feature) Framed() {}

// RenderSection implements feature.Section.
func (f *Feature) RenderSection(_ *http.Request, c *feature.Caller, csrf string) (template.HTML, bool, error) {
	v := f.totpSectionView(c)
	if v == nil {
		return "", false, nil
	}
	h, err := f.sectionHTML(v, csrf)
	return h, err == nil, err
}

// sectionHTML renders v with the page's CSRF token.
func (f *Feature) sectionHTML(v *totpView, csrf string) (template.HTML, error) {
	return section.Execute("totp_section", struct {
		CSRF string
		TOTP *totpView
	}{csrf, v})
}

// renderAccount re-renders /account, with v as the TOTP section when it
// is not nil.
func (f *Feature) renderAccount(w http.ResponseWriter, r *http.Request, c *feature.Caller, av feature.AccountView, v *totpView) error {
	av.From = f
	if v != nil && v.Enroll != nil {
		p, err := newEnrolPage(v.Enroll)
		if err != nil {
			return web.Unavailable.WithCause(err)
		}
		v.Setup = p
		av.DataImages = true
	}
	if v != nil {
		h, err := f.sectionHTML(v, av.CSRF)
		if err != nil {
			return web.Unavailable.WithCause(err)
		}
		av.Own = h
	}
	if av.Status == 0 {
		av.Status = http.StatusOK
	}
	return f.h.RenderAccount(w, r, c, av)
}

// totpPageFail renders the account page with the failure of a TOTP form.
func (f *Feature) totpPageFail(w http.ResponseWriter, r *http.Request, c *feature.Caller, csrf string, err error, v *totpView) error {
	e := web.As(err)
	if e.Status == http.StatusServiceUnavailable {
		return web.Unavailable
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	return f.renderAccount(w, r, c, feature.AccountView{CSRF: csrf, Status: e.Status, Error: e.Detail}, v)
}

func (f *Feature) pageTOTPEnable(w http.ResponseWriter, r *http.Request) error {
	c, csrf, ok := f.h.PageCaller(w, r, "/account")
	if !ok {
		return nil
	}
	en, e := f.startEnrollment(r, c)
	if e != nil {
		return f.totpPageFail(w, r, c, csrf, e, nil)
	}
	v := f.totpSectionView(c)
	v.Enroll = en
	return f.renderAccount(w, r, c, feature.AccountView{CSRF: csrf}, v)
}

func (f *Feature) pageTOTPConfirm(w http.ResponseWriter, r *http.Request) error {
	c, csrf, ok := f.h.PageCaller(w, r, "/account")
	if !ok {
		return nil
	}
	codes, e := f.confirmEnrollment(r, c, r.PostForm.Get("enrollment_token"), r.PostForm.Get("code"))
	if e != nil {
		// Show the same key again so the person can retry with a new code.
		var shown *totpView
		if v := f.totpSectionView(c); v != nil && web.As(e).Code == errcode.TOTPCodeInvalid {
			if en, e2 := f.enrollmentView(c.User); e2 == nil {
				v.Enroll = en
				shown = v
			}
		}
		return f.totpPageFail(w, r, c, csrf, e, shown)
	}
	v := f.totpSectionView(c)
	v.Codes = codes
	return f.renderAccount(w, r, c, feature.AccountView{CSRF: csrf, Notice: "Two-factor authentication is on."}, v)
}

func (f *Feature) pageTOTPStepUp(w http.ResponseWriter, r *http.Request) error {
	c, csrf, ok := f.h.PageCaller(w, r, "/account")
	if !ok {
		return nil
	}
	if _, e := f.StepUp(r, c, r.PostForm.Get("code")); e != nil {
		return f.totpPageFail(w, r, c, csrf, e, nil)
	}
	redirect(w, r, "/account?done=stepup")
	return nil
}

func (f *Feature) pageTOTPDisable(w http.ResponseWriter, r *http.Request) error {
	c, csrf, ok := f.h.PageCaller(w, r, "/account")
	if !ok {
		return nil
	}
	if e := f.disableTOTP(r, c, r.PostForm.Get("code"), r.PostForm.Get("current_password")); e != nil {
		return f.totpPageFail(w, r, c, csrf, e, nil)
	}
	redirect(w, r, "/account?done=totp_off")
	return nil
}

func (f *Feature) pageTOTPRegenerate(w http.ResponseWriter, r *http.Request) error {
	c, csrf, ok := f.h.PageCaller(w, r, "/account")
	if !ok {
		return nil
	}
	codes, e := f.regenerateRecovery(r, c, r.PostForm.Get("code"))
	if e != nil {
		return f.totpPageFail(w, r, c, csrf, e, nil)
	}
	v := f.totpSectionView(c)
	v.Codes = codes
	return f.renderAccount(w, r, c, feature.AccountView{CSRF: csrf, Notice: "Your recovery codes have been replaced; the old ones no longer work."}, v)
}

func redirect(w http.ResponseWriter, r *http.Request, to string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}
