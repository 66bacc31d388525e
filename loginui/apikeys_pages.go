package loginui

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

// The API-key pages: an /account section (through the AccountSections
// hook), a full page at /account/api-keys (also where form failures are
// shown), and the one-time page that shows a new raw key.

var (
	keyTemplatesOnce sync.Once
	keyListTmpl      *template.Template // layout + "content" + "apikeys_section"
	keyCreatedTmpl   *template.Template // layout + "content" of the one-time page
	keyTemplatesErr  error
)

func keyTemplates() error {
	keyTemplatesOnce.Do(func() {
		keyListTmpl, keyTemplatesErr = template.ParseFS(templateFS, "templates/base.html", "templates/apikeys.html")
		if keyTemplatesErr == nil {
			keyCreatedTmpl, keyTemplatesErr = template.ParseFS(templateFS, "templates/base.html", "templates/apikeys_created.html")
		}
	})
	return keyTemplatesErr
}

// keyLifetimeChoices are the expiry options of the create form.
var keyLifetimeChoices = []struct {
	Value, Label string
	D            time.Duration
}{
	{"30d", "30 days", 30 * 24 * time.Hour},
	{"90d", "90 days", 90 * 24 * time.Hour},
	{"365d", "1 year", 365 * 24 * time.Hour},
}

// keyPageNotices maps ?done= values of /account/api-keys to fixed texts.
var keyPageNotices = map[string]string{
	"key_revoked": "The API key has been revoked.",
}

// keySection is what the API-key section template sees.
type keySection struct {
	CSRF       string // empty: forms are not shown (link to the full page)
	Manageable bool   // a password session
	Unverified bool   // the email address is not verified: no create form
	Keys       []apiKeyView
	Scopes     []string
	Lifetimes  []keyLifetime
	Signing    bool
	NeedCode   bool // TOTP on and no current step-up: forms ask for a code
	Full       bool // rendered on /account/api-keys
}

type keyLifetime struct {
	Value, Label string
	Default      bool
}

// keyPage is the data of the full pages; it carries the fields the
// shared layout reads.
type keyPage struct {
	Title            string
	Error            string
	Notice           string
	User             *keystore.User
	RegistrationOpen bool
	Keys             *keySection
	Raw              string      // apikeys_created only
	Key              *apiKeyView // apikeys_created only
}

// keySectionFor builds the section for caller c with the given CSRF token.
func (p *Portal) keySectionFor(r *http.Request, c *caller, csrf string) (*keySection, *opErr) {
	s := &keySection{CSRF: csrf, Manageable: c.passwordSession(), Unverified: !c.user.Verified, Scopes: p.keys.AllowedScopes, Signing: p.keys.signingAllowed()}
	s.NeedCode = c.user.TOTPEnabled && !(c.session != nil && p.o.Now().Before(c.session.StepUpUntil))
	def := p.keys.DefaultLifetime
	hasDef := false
	for _, l := range keyLifetimeChoices {
		s.Lifetimes = append(s.Lifetimes, keyLifetime{Value: l.Value, Label: l.Label, Default: l.D == def})
		hasDef = hasDef || l.D == def
	}
	if !hasDef {
		s.Lifetimes = append([]keyLifetime{{Value: "", Label: "Default (" + def.String() + ")", Default: true}}, s.Lifetimes...)
	}
	ks, e := p.listAPIKeys(r, c.user.ID)
	if e != nil {
		return nil, e
	}
	s.Keys = ks
	return s, nil
}

// renderAPIKeySection is the /account section (AccountSection.Render).
// It has no access to the page's response, so it uses the CSRF cookie
// the request carries; when that is not valid for the session it shows
// the list with a link to the full page instead of forms.
func (p *Portal) renderAPIKeySection(r *http.Request, _ *keystore.User) (template.HTML, error) {
	if err := keyTemplates(); err != nil {
		return "", err
	}
	tok := cookieValue(r, p.o.CookieName)
	if tok == "" {
		return "", errAuthInvalid
	}
	ctx, cancel := storeCtx(r)
	c, err := p.authCookie(ctx, tok)
	cancel()
	if err != nil {
		return "", err
	}
	csrf := cookieValue(r, csrfCookieName)
	if !p.csrfValidFor(csrf, c.digest) {
		csrf = ""
	}
	s, e := p.keySectionFor(r, c, csrf)
	if e != nil {
		return "", errors.New("loginui: api key list failed")
	}
	var buf bytes.Buffer
	if err := keyListTmpl.ExecuteTemplate(&buf, "apikeys_section", s); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil
}

// renderKeyPage writes a full API-key page. Pages are never cached.
func (p *Portal) renderKeyPage(w http.ResponseWriter, t *template.Template, status int, d *keyPage) {
	d.RegistrationOpen = !p.o.RegistrationDisabled
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
		p.log.Error().Str("component", "loginui").Str("page", "api-keys").Msg("page rendering failed")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// keyPageAuth admits a page request: API keys enabled, a cookie session
// (login redirect otherwise), CSRF on POST.
func (p *Portal) keyPageAuth(w http.ResponseWriter, r *http.Request) (*pageData, *caller, bool) {
	if p.keys == nil {
		p.renderMessage(w, http.StatusNotFound, "API keys", "", "API keys are not enabled.")
		return nil, nil, false
	}
	if err := keyTemplates(); err != nil {
		p.renderStoreError(w)
		return nil, nil, false
	}
	return p.pageAuth(w, r, "/account/api-keys")
}

// showKeyPage renders /account/api-keys with an optional failure.
func (p *Portal) showKeyPage(w http.ResponseWriter, r *http.Request, c *caller, d *pageData, e *opErr) error {
	if e != nil && e.Status == http.StatusServiceUnavailable {
		return opStore
	}
	s, e2 := p.keySectionFor(r, c, d.CSRF)
	if e2 != nil {
		return opStore
	}
	s.Full = true
	kp := &keyPage{Title: "API keys", User: c.user, Keys: s}
	status := http.StatusOK
	if e != nil {
		status, kp.Error = e.Status, e.Detail
		if e.RetryAfter > 0 {
			w.Header().Set("Retry-After", itoa(e.RetryAfter))
		}
	} else {
		kp.Notice = keyPageNotices[r.URL.Query().Get("done")]
	}
	p.renderKeyPage(w, keyListTmpl, status, kp)
	return nil
}

func (p *Portal) pageAPIKeys(w http.ResponseWriter, r *http.Request) error {
	d, c, ok := p.keyPageAuth(w, r)
	if !ok {
		return nil
	}
	return p.showKeyPage(w, r, c, d, nil)
}

// keyFormGate checks what every API-key form needs: a password session
// and, with TOTP on, a step-up (a "code" field obtains one on the spot).
func (p *Portal) keyFormGate(r *http.Request, c *caller) *opErr {
	if !c.passwordSession() {
		return opKeyNeedPwSess
	}
	if !c.user.TOTPEnabled {
		return nil
	}
	return p.requireStepUp(r, c, r.PostForm.Get("code"))
}

func (p *Portal) pageAPIKeyCreate(w http.ResponseWriter, r *http.Request) error {
	d, c, ok := p.keyPageAuth(w, r)
	if !ok {
		return nil
	}
	if e := p.keyFormGate(r, c); e != nil {
		return p.showKeyPage(w, r, c, d, e)
	}
	f := r.PostForm
	req := keyCreate{Name: f.Get("name"), Scopes: f["scope"], SigningRequired: f.Get("signing_required") == "1"}
	if v := f.Get("expires"); v != "" {
		found := false
		for _, l := range keyLifetimeChoices {
			if l.Value == v {
				req.Lifetime, found = l.D, true
			}
		}
		if !found {
			return p.showKeyPage(w, r, c, d, opKeyExpiry)
		}
	}
	k, raw, e := p.createAPIKey(r, c.user, c.user, req)
	if e != nil {
		return p.showKeyPage(w, r, c, d, e)
	}
	v := p.viewAPIKey(k)
	p.renderKeyPage(w, keyCreatedTmpl, http.StatusCreated, &keyPage{Title: "API key created", User: c.user, Raw: raw, Key: &v})
	return nil
}

func (p *Portal) pageAPIKeyRevoke(w http.ResponseWriter, r *http.Request) error {
	d, c, ok := p.keyPageAuth(w, r)
	if !ok {
		return nil
	}
	if e := p.keyFormGate(r, c); e != nil {
		return p.showKeyPage(w, r, c, d, e)
	}
	if e := p.revokeAPIKey(r, c.user, c.user.ID, r.PostForm.Get("key_id")); e != nil {
		return p.showKeyPage(w, r, c, d, e)
	}
	redirect(w, r, "/account/api-keys?done=key_revoked")
	return nil
}
