package apikeys

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// The API-key pages: an /account section (through the AccountSections
// hook), a full page at /account/api-keys (also where form failures are
// shown), and the one-time page that shows a new raw key.

//go:embed templates/*.html
var templateFS embed.FS

// templates parses the pages once, with the portal's page shell.
func (f *Feature) templates() error {
	f.tmplOnce.Do(func() {
		f.listTmpl, f.tmplErr = f.h.ParsePage(templateFS, "templates/apikeys.html")
		if f.tmplErr == nil {
			f.createdTmpl, f.tmplErr = f.h.ParsePage(templateFS, "templates/created.html")
		}
	})
	return f.tmplErr
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
func (f *Feature) keySectionFor(r *http.Request, c *feature.Caller, csrf string) (*keySection, error) {
	s := &keySection{CSRF: csrf, Manageable: c.PasswordSession, Unverified: !c.User.Verified, Scopes: f.o.AllowedScopes, Signing: f.signingAllowed()}
	s.NeedCode = c.User.TOTPEnabled && !(c.Session != nil && f.h.Now().Before(c.Session.StepUpUntil))
	def := f.o.DefaultLifetime
	hasDef := false
	for _, l := range keyLifetimeChoices {
		s.Lifetimes = append(s.Lifetimes, keyLifetime{Value: l.Value, Label: l.Label, Default: l.D == def})
		hasDef = hasDef || l.D == def
	}
	if !hasDef {
		s.Lifetimes = append([]keyLifetime{{Value: "", Label: "Default (" + def.String() + ")", Default: true}}, s.Lifetimes...)
	}
	ks, e := f.listAPIKeys(r, c.User.ID)
	if e != nil {
		return nil, e
	}
	s.Keys = ks
	return s, nil
}

// SectionTitle implements feature.Section.
func (f *Feature) SectionTitle() string { return "API keys" }

// RenderSection is the /account section (feature.Section). It uses the
// CSRF cookie the request carries, not the page's token: when the cookie
// is not valid for the session it shows the list with a link to the full
// page instead of forms.
func (f *Feature) RenderSection(r *http.Request, c *feature.Caller, _ string) (template.HTML, bool, error) {
	if !f.o.Enabled {
		return "", false, nil
	}
	if err := f.templates(); err != nil {
		return "", false, err
	}
	s, err := f.keySectionFor(r, c, f.h.CookieCSRF(r, c))
	if err != nil {
		return "", false, errors.New("loginui: api key list failed")
	}
	var buf bytes.Buffer
	if err := f.listTmpl.ExecuteTemplate(&buf, "apikeys_section", s); err != nil {
		return "", false, err
	}
	return template.HTML(buf.String()), true, nil
}

// renderKeyPage writes a full API-key page. Pages are never cached.
func (f *Feature) renderKeyPage(w http.ResponseWriter, t *template.Template, status int, d *keyPage) {
	d.RegistrationOpen = f.h.RegistrationOpen()
	if err := web.WritePage(w, t, status, d); err != nil {
		f.h.Log().Error().Str("component", "loginui").Str("page", "api-keys").Msg("page rendering failed")
	}
}

// keyPageAuth admits a page request: API keys enabled, a cookie session
// (login redirect otherwise), CSRF on POST. ok=false: answered, or err
// to answer.
func (f *Feature) keyPageAuth(w http.ResponseWriter, r *http.Request) (c *feature.Caller, csrf string, ok bool, err error) {
	if !f.o.Enabled {
		f.h.RenderMessage(w, http.StatusNotFound, "API keys", "", "API keys are not enabled.")
		return nil, "", false, nil
	}
	if err := f.templates(); err != nil {
		return nil, "", false, web.Unavailable.WithCause(err)
	}
	c, csrf, ok = f.h.PageCaller(w, r, "/account/api-keys")
	return c, csrf, ok, nil
}

// showKeyPage renders /account/api-keys with an optional failure.
func (f *Feature) showKeyPage(w http.ResponseWriter, r *http.Request, c *feature.Caller, csrf string, err error) error {
	var e *web.Error
	if err != nil {
		e = web.As(err)
		if e.Status == http.StatusServiceUnavailable {
			return web.Unavailable
		}
	}
	s, e2 := f.keySectionFor(r, c, csrf)
	if e2 != nil {
		return web.Unavailable
	}
	s.Full = true
	kp := &keyPage{Title: "API keys", User: c.User, Keys: s}
	status := http.StatusOK
	if e != nil {
		status, kp.Error = e.Status, e.Detail
		if e.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
		}
	} else {
		kp.Notice = keyPageNotices[r.URL.Query().Get("done")]
	}
	f.renderKeyPage(w, f.listTmpl, status, kp)
	return nil
}

func (f *Feature) pageAPIKeys(w http.ResponseWriter, r *http.Request) error {
	c, d, ok, err := f.keyPageAuth(w, r)
	if !ok {
		return err
	}
	return f.showKeyPage(w, r, c, d, nil)
}

// keyFormGate checks what every API-key form needs: a password session
// and, with TOTP on, a step-up (a "code" field obtains one on the spot).
func (f *Feature) keyFormGate(r *http.Request, c *feature.Caller) error {
	if !c.PasswordSession {
		return opKeyNeedPwSess
	}
	if !c.User.TOTPEnabled {
		return nil
	}
	return f.h.RequireStepUp(r, c, r.PostForm.Get("code"))
}

func (f *Feature) pageAPIKeyCreate(w http.ResponseWriter, r *http.Request) error {
	c, d, ok, err := f.keyPageAuth(w, r)
	if !ok {
		return err
	}
	if e := f.keyFormGate(r, c); e != nil {
		return f.showKeyPage(w, r, c, d, e)
	}
	form := r.PostForm
	req := keyCreate{Name: form.Get("name"), Scopes: form["scope"], SigningRequired: form.Get("signing_required") == "1"}
	if v := form.Get("expires"); v != "" {
		found := false
		for _, l := range keyLifetimeChoices {
			if l.Value == v {
				req.Lifetime, found = l.D, true
			}
		}
		if !found {
			return f.showKeyPage(w, r, c, d, opKeyExpiry)
		}
	}
	k, raw, e := f.createAPIKey(r, c.User, c.User, req)
	if e != nil {
		return f.showKeyPage(w, r, c, d, e)
	}
	v := f.viewAPIKey(k)
	f.renderKeyPage(w, f.createdTmpl, http.StatusCreated, &keyPage{Title: "API key created", User: c.User, Raw: raw, Key: &v})
	return nil
}

func (f *Feature) pageAPIKeyRevoke(w http.ResponseWriter, r *http.Request) error {
	c, d, ok, err := f.keyPageAuth(w, r)
	if !ok {
		return err
	}
	if e := f.keyFormGate(r, c); e != nil {
		return f.showKeyPage(w, r, c, d, e)
	}
	if e := f.revokeAPIKey(r, c.User, c.User.ID, r.PostForm.Get("key_id")); e != nil {
		return f.showKeyPage(w, r, c, d, e)
	}
	redirect(w, r, "/account/api-keys?done=key_revoked")
	return nil
}
