package loginui

import (
	"context"
	"errors"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// Features plug into the core through loginui/internal/feature: each one
// registers its routes on a router and may add an /account section; host
// is the core's side of the contract. host is a separate type, not
// methods of Portal, so the contract is exactly the feature.Host
// interface. The callers and gates are in auth.go, FinishLogin in
// login.go.

type host struct{ p *Portal }

var _ feature.Host = host{}

func (h host) RevokeUnverifiedCredentials(ctx context.Context, u *keystore.User, before time.Time, c *feature.Caller) error {
	return h.p.sessions.RevokeUnverified(ctx, u, before, c)
}

func (h host) PageCaller(w http.ResponseWriter, r *http.Request, path string) (*feature.Caller, string, bool) {
	d, c, ok := h.p.pageAuth(w, r, path)
	if !ok {
		return nil, "", false
	}
	return c, d.CSRF, true
}

func (h host) CookieCSRF(r *http.Request, c *feature.Caller) string {
	tok := web.CookieValue(r, web.CSRFCookieName)
	if c == nil || !c.ViaCookie || !h.p.csrf.ValidFor(tok, c.Digest) {
		return ""
	}
	return tok
}

func (h host) PresentsAPIKey(r *http.Request) bool { return h.p.presentsAPIKey(r) }

func (h host) Rate(r *http.Request, slot string, keys ...[]string) error {
	return errOrNil(h.p.limiter.Allow(r, slot, keys...))
}

// errOrNil keeps a nil *web.Error from becoming a non-nil error.
func errOrNil(e *web.Error) error {
	if e == nil {
		return nil
	}
	return e
}

func (h host) Accounts() *accounts.Service { return h.p.accounts }

func (h host) ParsePage(fsys fs.FS, files ...string) (*template.Template, error) {
	t, err := template.ParseFS(templateFS, "templates/base.html")
	if err != nil {
		return nil, err
	}
	return t.ParseFS(fsys, files...)
}

func (h host) RenderMessage(w http.ResponseWriter, status int, title, notice, errText string) {
	h.p.renderMessage(w, status, title, notice, errText)
}

func (h host) RegistrationOpen() bool { return !h.p.o.RegistrationDisabled }
func (h host) Now() time.Time         { return h.p.o.Now() }
func (h host) Log() *zerolog.Logger   { return &h.p.log }

// router registers feature handlers on the portal's mux with the core's
// adapters.
type router struct{ p *Portal }

func (rt router) JSON(pattern string, h web.Handler)     { rt.p.mux.HandleFunc(pattern, web.JSON(h)) }
func (rt router) Page(pattern string, h web.Handler)     { rt.p.mux.HandleFunc(pattern, rt.p.pageRoute(h)) }
func (rt router) Raw(pattern string, h http.HandlerFunc) { rt.p.mux.HandleFunc(pattern, h) }
func (rt router) PaddedJSON(pattern string, h web.Handler) {
	rt.p.mux.HandleFunc(pattern, rt.p.padded(web.JSON(h)))
}
func (rt router) PaddedPage(pattern string, h web.Handler) {
	rt.p.mux.HandleFunc(pattern, rt.p.padded(rt.p.pageRoute(h)))
}

// registerFeatures lets every feature add its routes and collects the
// /account sections and the login hooks, in wiring order.
func (p *Portal) registerFeatures() {
	p.notices = maps.Clone(notices)
	p.flow.Pending = nil
	p.sections, p.loginSections, p.flow.Second, p.stepUpper, p.passkeys = nil, nil, nil, nil, nil
	for _, f := range p.features {
		f.Register(router{p}, host{p})
		if n, ok := f.(feature.Notices); ok {
			for k, v := range n.Notices() {
				p.notices[k] = v
			}
		}
		if s, ok := f.(feature.LoginSection); ok {
			p.loginSections = append(p.loginSections, s)
		}
		if s, ok := f.(feature.Section); ok {
			p.sections = append(p.sections, s)
		}
		if s, ok := f.(feature.SecondFactor); ok && p.flow.Second == nil {
			p.flow.Second = s
		}
		if s, ok := f.(feature.StepUpper); ok && p.stepUpper == nil {
			p.stepUpper = s
		}
		if s, ok := f.(feature.PendingLogins); ok && p.flow.Pending == nil {
			p.flow.Pending = s
		}
		if s, ok := f.(feature.Passkeys); ok && p.passkeys == nil {
			p.passkeys = s
		}
	}
	p.flow.Passkeys = p.passkeys
}

// renderFeatureSections renders the features' /account sections: framed
// ones into d.Framed, the others after those of Options.AccountSections.
// A section failing with a *web.Error fails the page with it.
func (p *Portal) renderFeatureSections(r *http.Request, c *feature.Caller, d *pageData) error {
	for _, s := range p.sections {
		_, framed := s.(feature.FramedSection)
		h, ok := d.ownHTML, true
		if s != d.ownFrom || h == "" {
			var err error
			h, ok, err = s.RenderSection(r, c, d.CSRF)
			var e *web.Error
			if errors.As(err, &e) {
				return e
			}
			if err != nil {
				p.log.Warn().Str("component", "loginui").Str("section", s.SectionTitle()).Msg("account section failed")
				continue
			}
		}
		if pk, isPasskeys := s.(feature.Passkeys); ok && isPasskeys {
			d.Script = pk.ScriptPath()
		}
		switch {
		case !ok:
		case framed:
			d.Framed = append(d.Framed, h)
		default:
			d.Sections = append(d.Sections, renderedSection{Title: s.SectionTitle(), HTML: h})
		}
	}
	return nil
}

func (h host) ClientIP(r *http.Request) string { return h.p.clientIP(r) }

func (h host) AccessFingerprint(u *keystore.User) string { return h.p.sessions.AccessFingerprint(u) }

func (h host) CheckPassword(ctx context.Context, u *keystore.User, password string, wrong *web.Error) error {
	return h.p.flow.Check.CheckCurrent(ctx, u, password, wrong)
}

func (h host) RenderAccount(w http.ResponseWriter, r *http.Request, c *feature.Caller, v feature.AccountView) error {
	d := &pageData{CSRF: v.CSRF, User: c.User, Notice: v.Notice, Error: v.Error, ownFrom: v.From, ownHTML: v.Own}
	if v.DataImages {
		w.Header().Set("Content-Security-Policy", h.p.cspDataImages)
	}
	return h.p.renderAccount(w, r, c, d, v.Status)
}

func (h host) Audit(event, userID string) { h.p.audit(event, userID) }

func (h host) CheckCSRF(r *http.Request, c *feature.Caller, formValue string) error {
	if c == nil || !c.ViaCookie || !h.p.csrf.Check(r, c.Digest, formValue) {
		return opCSRF
	}
	return nil
}

func (h host) SafeRedirect(rd string) (string, bool) { return h.p.safeRedirect(rd) }

func (h host) RenderLoginError(w http.ResponseWriter, r *http.Request, rd string, err error) {
	d, _, ferr := h.p.formPage(w, r, "Log in")
	if ferr != nil {
		h.p.errorPage(w, r, ferr)
		return
	}
	d.RD = rd
	h.p.renderOp(w, web.As(err), "login", d)
}

func (h host) RenderLink(w http.ResponseWriter, status int, title, notice, errText, link, linkText string) {
	h.p.render(w, status, "message", &pageData{Title: title, Notice: notice, Error: errText, Link: link, LinkText: linkText})
}

func (h host) PublicForm(w http.ResponseWriter, r *http.Request) (feature.PublicForm, error) {
	d, c, err := h.p.formPage(w, r, "")
	if err != nil {
		return feature.PublicForm{}, err
	}
	f := feature.PublicForm{CSRF: d.CSRF, User: d.User}
	if !web.IsSafeMethod(r.Method) {
		f.CSRFOK = h.p.csrf.Check(r, csrfBinding(c), r.PostForm.Get(web.CSRFFormField))
	}
	return f, nil
}

// ReplacePassword stores a new hash and ends every session of u (a
// password reset).
func (h host) ReplacePassword(ctx context.Context, u *keystore.User, hash string, check func(*keystore.User) error) error {
	return h.p.storePasswordHash(ctx, u, hash, nil, check)
}

func (h host) ErrorPage(w http.ResponseWriter, r *http.Request, err error) { h.p.errorPage(w, r, err) }

// loginSectionsFor renders the features' additions to the login page.
func (p *Portal) loginSectionsFor(rd string) []template.HTML {
	var out []template.HTML
	for _, s := range p.loginSections {
		h, err := s.LoginSection(rd)
		if err != nil {
			p.log.Warn().Str("component", "loginui").Msg("login page section failed")
			continue
		}
		if h != "" {
			out = append(out, h)
		}
	}
	return out
}

// featureFormOrigins are the origins the features' forms may redirect to.
func (p *Portal) featureFormOrigins() []string {
	var out []string
	for _, f := range p.features {
		if o, ok := f.(feature.FormOrigins); ok {
			out = append(out, o.FormOrigins()...)
		}
	}
	return out
}

func (h host) Sessions(ctx context.Context, c *feature.Caller) ([]feature.SessionView, error) {
	return h.p.sessions.List(ctx, c)
}

func (h host) RevokeSession(ctx context.Context, c *feature.Caller, id string) error {
	return h.p.sessions.Revoke(ctx, c, id)
}

func (h host) RevokeOtherSessions(ctx context.Context, c *feature.Caller) (int, error) {
	return h.p.sessions.RevokeOthers(ctx, c)
}

// SetPassword hashes and stores c's new password and ends c's other
// sessions (a bearer caller keeps none, and its own token is denied).
func (h host) SetPassword(ctx context.Context, c *feature.Caller, password string, check func(*keystore.User) error) error {
	hash, err := h.p.accounts.HashPassword(ctx, password)
	if err != nil {
		return err
	}
	var keep []byte
	if c.ViaCookie {
		keep = c.Digest
	}
	if err := h.p.storePasswordHash(ctx, c.User, hash, keep, check); err != nil {
		return err
	}
	if !c.ViaCookie {
		// The caller's own token dies with the fingerprint; deny it and its
		// chain explicitly too.
		_ = h.p.sessions.DenyAccess(ctx, c.AccessJTI, c.AccessExpiresAt)
	}
	return nil
}

// storePasswordHash stores hash as u's password hash and ends every
// session except keep (nil: all). Earlier access JWTs die through the
// fingerprint. check runs on the record as stored before the hash is set;
// its error aborts the change. On success *u is the record as stored.
func (p *Portal) storePasswordHash(ctx context.Context, u *keystore.User, hash string, keep []byte, check func(*keystore.User) error) error {
	nu, err := p.accounts.SetPasswordHash(ctx, u.ID, hash, check)
	if err != nil {
		return err
	}
	*u = *nu
	if err := p.sessions.EndAll(ctx, u.ID, keep); err != nil {
		return err
	}
	p.mail.Enqueue(Message{Event: EventPasswordChanged, To: u.Email, UserID: u.ID})
	return nil
}
