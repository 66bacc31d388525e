package loginui

import (
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	rdpolicy "github.com/gatehouse/gatehouse/internal/redirect"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/style.css
var styleCSS []byte

// pageNames are the page templates; each is parsed with base.html.
var pageNames = []string{"2fa", "login", "message", "logout", "account"}

type pageSet map[string]*template.Template

// parsePages parses every page with the shared layout.
func parsePages() (pageSet, error) {
	ps := pageSet{}
	for _, n := range pageNames {
		t, err := template.ParseFS(templateFS, "templates/base.html", "templates/head.html", "templates/"+n+".html")
		if err != nil {
			return nil, err
		}
		ps[n] = t
	}
	return ps, nil
}

// pageData is what every page template sees.
type pageData struct {
	Title            string
	CSRF             string
	Error            string
	Notice           string
	User             *keystore.User
	RegistrationOpen bool
	RD               string
	Email            string
	DisplayName      string
	Token            string
	MinLen, MaxLen   int
	Link, LinkText   string
	Sections         []renderedSection
	Framed           []template.HTML // the features' own <section> elements
	// ownFrom's section is ownHTML for this render (feature.AccountView).
	ownFrom       feature.Section
	ownHTML       template.HTML
	LoginSections []template.HTML // login page: the features' other ways in
	// Script, when set, is the path of the passkey script the page
	// includes; render relaxes the page's CSP to script-src 'self'.
	Script string
	// Passkey is the ceremony a login or /2fa page offers (options and
	// state, begun when the page was rendered).
	Passkey *passkeyCeremony
	// NoCode: the /2fa page leaves out the code form (the pending
	// login's user has no TOTP); the zero value shows it.
	NoCode bool
}

type renderedSection struct {
	Title string
	HTML  template.HTML
}

func serveStyle(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(styleCSS)
}

// render writes page name with status. Pages are never cached.
func (p *Portal) render(w http.ResponseWriter, status int, name string, d *pageData) {
	d.RegistrationOpen = !p.o.RegistrationDisabled
	if name == "login" {
		d.LoginSections = p.loginSectionsFor(d.RD)
		p.passkeyLoginForm(d)
	}
	if d.MinLen == 0 {
		d.MinLen, d.MaxLen = p.o.PasswordMinLen, p.o.PasswordMaxLen
	}
	if d.Script != "" {
		w.Header().Set("Content-Security-Policy", withScript(w.Header().Get("Content-Security-Policy")))
	}
	if err := web.WritePage(w, p.pages[name], status, d); err != nil {
		p.log.Error().Str("component", "loginui").Str("page", name).Msg("page rendering failed")
	}
}

// renderOp renders an operation failure on page name.
func (p *Portal) renderOp(w http.ResponseWriter, e *web.Error, name string, d *pageData) {
	feature.RetryAfter(w, e)
	d.Error = e.Detail
	p.render(w, e.Status, name, d)
}

func (p *Portal) renderMessage(w http.ResponseWriter, status int, title, notice, errText string) {
	d := &pageData{Title: title, Notice: notice, Error: errText}
	p.render(w, status, "message", d)
}

func (p *Portal) renderStoreError(w http.ResponseWriter) {
	p.renderMessage(w, http.StatusServiceUnavailable, "Service unavailable", "", "A state store is unavailable, so this may not have been saved. Please try again shortly.")
}

func redirect(w http.ResponseWriter, r *http.Request, to string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// formPage prepares a public form: the caller (if any) and a CSRF token
// bound to the session or, without one, to the pre-session label.
func (p *Portal) formPage(w http.ResponseWriter, r *http.Request, title string) (*pageData, *feature.Caller, error) {
	c, err := host{p}.CookieCaller(r)
	if err != nil {
		return nil, nil, err
	}
	tok, err := p.csrf.Ensure(w, r, csrfBinding(c))
	if err != nil {
		return nil, nil, web.Unavailable
	}
	d := &pageData{Title: title, CSRF: tok}
	if c != nil {
		d.User = c.User
	}
	return d, c, nil
}

// formPost parses a form post and checks its CSRF token; it answers and
// returns ok=false on failure.
func (p *Portal) formPost(w http.ResponseWriter, r *http.Request, name, title string) (*pageData, *feature.Caller, bool) {
	if !web.ParseForm(w, r) {
		p.renderMessage(w, http.StatusBadRequest, title, "", "The form could not be read.")
		return nil, nil, false
	}
	d, c, err := p.formPage(w, r, title)
	if err != nil {
		p.errorPage(w, r, err)
		return nil, nil, false
	}
	if !p.csrf.Check(r, csrfBinding(c), r.PostForm.Get(web.CSRFFormField)) {
		// d.CSRF (from ensureCSRF) is a valid token for a fresh attempt.
		d.Error = "This form has expired. Please submit it again."
		p.render(w, http.StatusForbidden, name, d)
		return nil, nil, false
	}
	return d, c, true
}

// notices maps ?done= values to fixed texts (never echoing the query).
var notices = map[string]string{
	"logged_out": "You have been logged out.",
	"profile":    "Your profile has been saved.",
	"password":   "Your password has been changed. Your other sessions were signed out.",
	"setup":      "Your administrator account is ready.",
	"totp_off":   "Two-factor authentication is off.",
	"stepup":     "Thank you. Sensitive changes are allowed for a few minutes.",
}

func (p *Portal) pageHome(w http.ResponseWriter, r *http.Request) error {
	c, err := host{p}.CookieCaller(r)
	if err != nil {
		return err
	}
	if c != nil {
		redirect(w, r, "/account")
		return nil
	}
	redirect(w, r, "/login")
	return nil
}

// accountLoginURL sends a logged-out visitor to the login page with the
// account page as rd.
func (p *Portal) accountLoginURL(path string) string {
	return "/login?rd=" + url.QueryEscape(strings.TrimSuffix(p.home(), "/")+path)
}

// pageAuth requires a cookie session for a page; it redirects to the
// login page when there is none. For POSTs it also checks CSRF.
func (p *Portal) pageAuth(w http.ResponseWriter, r *http.Request, path string) (*pageData, *feature.Caller, bool) {
	var d *pageData
	var c *feature.Caller
	var ok bool
	if r.Method == http.MethodPost {
		d, c, ok = p.formPost(w, r, "message", "Account")
	} else {
		var err error
		if d, c, err = p.formPage(w, r, "Account"); err != nil {
			p.errorPage(w, r, err)
			return nil, nil, false
		}
		ok = true
	}
	if !ok {
		return nil, nil, false
	}
	if c == nil {
		redirect(w, r, p.accountLoginURL(path))
		return nil, nil, false
	}
	return d, c, true
}

func (p *Portal) pageAccount(w http.ResponseWriter, r *http.Request) error {
	d, c, ok := p.pageAuth(w, r, "/account")
	if !ok {
		return nil
	}
	return p.renderAccount(w, r, c, d, http.StatusOK)
}

func (p *Portal) renderAccount(w http.ResponseWriter, r *http.Request, c *feature.Caller, d *pageData, status int) error {
	d.Title = "Your account"
	if d.Notice == "" {
		d.Notice = p.notices[r.URL.Query().Get("done")]
	}
	for _, s := range p.o.AccountSections {
		h, err := s.Render(r, c.User)
		if err != nil {
			p.log.Warn().Str("component", "loginui").Str("section", s.Title).Msg("account section failed")
			continue
		}
		d.Sections = append(d.Sections, renderedSection{Title: s.Title, HTML: h})
	}
	if err := p.renderFeatureSections(r, c, d); err != nil {
		return err
	}
	p.render(w, status, "account", d)
	return nil
}

// safeRedirect returns rd when it is a valid redirect target by the
// policy the verifier applies too (internal/redirect): an absolute https
// URL on the cookie domain, a sub-domain of it, or the public URL's host;
// in development also http on a loopback host. ok=false means "use the
// portal home".
func (p *Portal) safeRedirect(rd string) (string, bool) {
	if !rdpolicy.New(p.o.Development, p.o.CookieDomain, p.public.Hostname()).ValidString(rd) {
		return "", false
	}
	return rd, true
}

// home is the portal home: the account page when logged in, else login.
func (p *Portal) home() string {
	u := *p.public
	u.Path = "/"
	return u.String()
}
