package loginui

import (
	"net/http"

	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/login"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// The passkey logins of the HTML pages (docs/design.md "Passkeys"): the
// login page offers a passwordless login (a button, and the browser's
// conditional UI on the identifier field), /2fa a passkey as the second
// step. Each page begins its ceremony when it is rendered and embeds the
// options and the sealed state in a form the passkey script completes and
// posts; the JSON routes are login.Flow's. loginui/passkey runs the
// ceremonies.

// passkeyCeremony is a ceremony a page offers.
type passkeyCeremony struct {
	Options string // JSON for navigator.credentials.get
	State   string
}

// passkeyLoginForm adds the passwordless ceremony to a login page whose
// CSRF token is set (render calls it).
func (p *Portal) passkeyLoginForm(d *pageData) {
	if p.passkeys == nil || !p.passkeys.Enabled() || d.CSRF == "" {
		return
	}
	opts, st, err := p.passkeys.BeginPasswordless(login.PasskeyPageBinding(d.CSRF))
	if err != nil {
		p.log.Warn().Str("component", "loginui").Msg("passkey login could not begin")
		return
	}
	d.Passkey = &passkeyCeremony{Options: string(opts), State: st}
	d.Script = p.passkeys.ScriptPath()
}

// passkeySecondForm adds a passkey second step to /2fa when the pending
// login's user has a passkey that may complete it, and says whether the
// code form applies. Failures leave the code form alone: POST /2fa
// answers them.
func (p *Portal) passkeySecondForm(r *http.Request, d *pageData) {
	if p.passkeys == nil {
		return
	}
	pl, err := p.flow.Pending.Pending(r, p.cookies.Pending(r))
	if err != nil {
		return
	}
	d.NoCode = !pl.User.TOTPEnabled
	if feature.MethodAfterPasskey(pl.FirstFactor) == "" {
		return
	}
	opts, st, err := p.passkeys.BeginSecond(r, pl.User, pl.JTI)
	if err != nil {
		return
	}
	d.Passkey = &passkeyCeremony{Options: string(opts), State: st}
	d.Script = p.passkeys.ScriptPath()
}

// pageLoginPasskey: POST /login/passkey {csrf, rd, state, credential},
// the passwordless login of the login page.
func (p *Portal) pageLoginPasskey(w http.ResponseWriter, r *http.Request) error {
	d, _, ok := p.formPost(w, r, "login", "Log in")
	if !ok {
		return nil
	}
	f := r.PostForm
	d.RD, _ = p.safeRedirect(f.Get("rd"))
	if e := p.limiter.Allow(r, SlotLogin, []string{"ip", p.clientIP(r)}); e != nil {
		p.renderOp(w, e, "login", d)
		return nil
	}
	u, method, err := p.flow.CheckPasswordless(r, login.PasskeyPageBinding(f.Get(web.CSRFFormField)), f.Get("state"), []byte(f.Get("credential")))
	if err != nil {
		return p.passkeyPageError(w, err, "login", d)
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	if sent, err := p.pageSecondStep(ctx, w, r, u, d.RD, method); sent || err != nil {
		return err
	}
	return p.openPageSession(ctx, w, r, u, method, d.RD)
}

// page2faPasskey: POST /2fa/passkey {csrf, rd, state, credential}, a
// passkey as the second step of the pending login in the cookie.
func (p *Portal) page2faPasskey(w http.ResponseWriter, r *http.Request) error {
	d, _, ok := p.formPost(w, r, "2fa", "Two-factor authentication")
	if !ok {
		return nil
	}
	f := r.PostForm
	d.RD, _ = p.safeRedirect(f.Get("rd"))
	if e := p.limiter.Allow(r, SlotLogin, []string{"ip", p.clientIP(r)}); e != nil {
		return p.endSecondStep(w, r, d, nil, "", e)
	}
	u, method, err := p.flow.CompletePasskeySecond(r, p.cookies.Pending(r), f.Get("state"), []byte(f.Get("credential")))
	var e *web.Error
	if err != nil {
		e = web.As(err)
	}
	return p.endSecondStep(w, r, d, u, method, e)
}

// passkeyPageError shows a refused ceremony on page name (a store
// failure is the store page).
func (p *Portal) passkeyPageError(w http.ResponseWriter, err error, name string, d *pageData) error {
	e := web.As(err)
	if e.Status == http.StatusServiceUnavailable {
		return web.Unavailable
	}
	p.renderOp(w, e, name, d)
	return nil
}
