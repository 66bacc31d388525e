package loginui

import (
	"context"
	"errors"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"strings"
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
// interface.

type host struct{ p *Portal }

var _ feature.Host = host{}

// asFeatureCaller is c as features see it; the user and session records
// are shared, so a step-up recorded through the host is visible to both.
func (c *caller) asFeatureCaller() *feature.Caller {
	if c == nil {
		return nil
	}
	return &feature.Caller{User: c.user, ViaCookie: c.viaCookie, Session: c.session, PasswordSession: c.passwordSession(), Digest: c.digest,
		RefreshChain: c.claims.SID, AccessJTI: c.claims.JTI, AccessExpiresAt: c.claims.ExpiresAt}
}

// coreCaller rebuilds the core's caller (of the bearer claims only those
// host methods need).
func coreCaller(c *feature.Caller) *caller {
	return &caller{user: c.User, viaCookie: c.ViaCookie, session: c.Session, digest: c.Digest,
		claims: tokenClaims{SID: c.RefreshChain, JTI: c.AccessJTI, ExpiresAt: c.AccessExpiresAt}}
}

// errOrNil keeps a nil *opErr from becoming a non-nil error.
func errOrNil(e *opErr) error {
	if e == nil {
		return nil
	}
	return e
}

func (h host) APICaller(r *http.Request) (*feature.Caller, error) {
	c, e := h.p.apiCaller(r)
	return c.asFeatureCaller(), errOrNil(e)
}

func (h host) AdminCaller(r *http.Request) (*feature.Caller, error) {
	c, e := h.p.adminCaller(r)
	return c.asFeatureCaller(), errOrNil(e)
}

func (h host) AdminTarget(r *http.Request) (*keystore.User, error) {
	u, e := h.p.adminTarget(r)
	return u, errOrNil(e)
}

func (h host) AdminGate(c *feature.Caller) error {
	if c == nil {
		return opUnauthenticated
	}
	return errOrNil(h.p.superuserErr(coreCaller(c)))
}

func (h host) RevokeUnverifiedCredentials(ctx context.Context, u *keystore.User, before time.Time, c *feature.Caller) error {
	if c == nil {
		return h.p.revokeUnverifiedCredentials(ctx, u, before, nil)
	}
	cc := coreCaller(c)
	self := func(s *keystore.Session) bool { return u.ID == cc.user.ID && h.p.isCurrent(cc, s) }
	return h.p.revokeUnverifiedCredentials(ctx, u, before, self)
}

func (h host) PageCaller(w http.ResponseWriter, r *http.Request, path string) (*feature.Caller, string, bool) {
	d, c, ok := h.p.pageAuth(w, r, path)
	if !ok {
		return nil, "", false
	}
	return c.asFeatureCaller(), d.CSRF, true
}

func (h host) CookieCSRF(r *http.Request, c *feature.Caller) string {
	tok := cookieValue(r, csrfCookieName)
	if c == nil || !c.ViaCookie || !h.p.csrf.ValidFor(tok, c.Digest) {
		return ""
	}
	return tok
}

func (h host) PresentsAPIKey(r *http.Request) bool { return h.p.presentsAPIKey(r) }

func (h host) StepUp(c *feature.Caller) error { return errOrNil(h.p.stepUpErr(coreCaller(c))) }

func (h host) RequireStepUp(r *http.Request, c *feature.Caller, code string) error {
	return errOrNil(h.p.requireStepUp(r, coreCaller(c), code))
}

func (h host) Rate(r *http.Request, slot string, keys ...[]string) error {
	return errOrNil(h.p.rate(r, slot, keys...))
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

func (rt router) JSON(pattern string, h web.Handler)     { rt.p.mux.HandleFunc(pattern, jsonRoute(h)) }
func (rt router) Page(pattern string, h web.Handler)     { rt.p.mux.HandleFunc(pattern, rt.p.pageRoute(h)) }
func (rt router) Raw(pattern string, h http.HandlerFunc) { rt.p.mux.HandleFunc(pattern, h) }
func (rt router) PaddedJSON(pattern string, h web.Handler) {
	rt.p.mux.HandleFunc(pattern, rt.p.padded(jsonRoute(h)))
}
func (rt router) PaddedPage(pattern string, h web.Handler) {
	rt.p.mux.HandleFunc(pattern, rt.p.padded(rt.p.pageRoute(h)))
}

// registerFeatures lets every feature add its routes and collects the
// /account sections and the login hooks, in wiring order.
func (p *Portal) registerFeatures() {
	p.notices = maps.Clone(notices)
	p.sections, p.loginSections, p.second, p.stepUpper = nil, nil, nil, nil
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
		if s, ok := f.(feature.SecondFactor); ok && p.second == nil {
			p.second = s
		}
		if s, ok := f.(feature.StepUpper); ok && p.stepUpper == nil {
			p.stepUpper = s
		}
	}
}

// renderFeatureSections renders the features' /account sections: framed
// ones into d.Framed, the others after those of Options.AccountSections.
// A section failing with a *web.Error fails the page with it.
func (p *Portal) renderFeatureSections(r *http.Request, c *caller, d *pageData) error {
	fc := c.asFeatureCaller()
	for _, s := range p.sections {
		_, framed := s.(feature.FramedSection)
		h, ok := d.ownHTML, true
		if s != d.ownFrom || h == "" {
			var err error
			h, ok, err = s.RenderSection(r, fc, d.CSRF)
			var e *web.Error
			if errors.As(err, &e) {
				return e
			}
			if err != nil {
				p.log.Warn().Str("component", "loginui").Str("section", s.SectionTitle()).Msg("account section failed")
				continue
			}
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

func (h host) AccessFingerprint(u *keystore.User) string { return h.p.accessFingerprint(u) }

func (h host) CheckPassword(ctx context.Context, u *keystore.User, password string, wrong *web.Error) error {
	return errOrNil(h.p.checkCurrentPassword(ctx, u, password, wrong))
}

func (h host) RenderAccount(w http.ResponseWriter, r *http.Request, c *feature.Caller, v feature.AccountView) error {
	d := &pageData{CSRF: v.CSRF, User: c.User, Notice: v.Notice, Error: v.Error, ownFrom: v.From, ownHTML: v.Own}
	return h.p.renderAccount(w, r, coreCaller(c), d, v.Status)
}

func (h host) Audit(event, userID string) { h.p.audit(event, userID) }

// featureTokens lets a feature issue and verify the tokens of one
// audience through the core's codec.
type featureTokens struct{ c *jwtCodec }

func (t featureTokens) Issue(sub, jti, binding, firstFactor string, lifetime time.Duration, now time.Time) (string, error) {
	if t.c.firstFactor {
		return t.c.issueFirstFactor(sub, jti, binding, firstFactor, lifetime, now)
	}
	if firstFactor != "" {
		return "", errToken
	}
	return t.c.issue(sub, jti, binding, "", lifetime, now)
}

func (t featureTokens) Verify(tok string, now time.Time) (feature.Claims, error) {
	cl, err := t.c.verify(tok, now)
	if err != nil {
		return feature.Claims{}, err
	}
	return feature.Claims{Subject: cl.Subject, JTI: cl.JTI, SFP: cl.SFP, FirstFactor: cl.FirstFactor, ExpiresAt: cl.ExpiresAt}, nil
}

func (h host) Authenticate(r *http.Request) (*feature.Caller, error) {
	c, err := h.p.authenticate(r)
	switch {
	case errors.Is(err, errAuthStore):
		return nil, opStore
	case err != nil, c == nil:
		return nil, opUnauthenticated
	}
	return c.asFeatureCaller(), nil
}

func (h host) CheckCSRF(r *http.Request, c *feature.Caller, formValue string) error {
	if c == nil || !c.ViaCookie || !h.p.csrf.Check(r, c.Digest, formValue) {
		return opCSRF
	}
	return nil
}

func (h host) CookieCaller(r *http.Request) (*feature.Caller, error) {
	c, err := h.p.cookieCaller(r)
	return c.asFeatureCaller(), err
}

func (h host) SafeRedirect(rd string) (string, bool) { return h.p.safeRedirect(rd) }

func (h host) FinishLogin(w http.ResponseWriter, r *http.Request, u *keystore.User, firstFactor, rd string) {
	h.p.finishFeatureLogin(w, r, u, firstFactor, rd)
}

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
	if !isSafeMethod(r.Method) {
		f.CSRFOK = h.p.csrf.Check(r, csrfBinding(c), r.PostForm.Get(csrfFormField))
	}
	return f, nil
}

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

// finishFeatureLogin completes a feature's login (feature.Host.FinishLogin).
func (p *Portal) finishFeatureLogin(w http.ResponseWriter, r *http.Request, u *keystore.User, firstFactor, rd string) {
	// A feature never checked a password: it may only finish a login
	// whose first factor is its own (an OAuth provider), so no feature can
	// open a password session.
	if !validFirstFactor(firstFactor) || passwordFirstFactor(firstFactor) {
		p.log.Error().Str("component", "loginui").Msg("a feature tried to finish a login with a password first factor; refused")
		p.errorPage(w, r, opForbidden("this login cannot be completed"))
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
	ctx, cancel := storeCtx(r)
	defer cancel()
	if _, err := p.createSession(ctx, w, r, u, firstFactor); err != nil {
		p.renderStoreError(w)
		return
	}
	ev := p.log.Info().Str("audit", "login_ok").Str("user_id", u.ID)
	if provider, ok := strings.CutPrefix(firstFactor, methodOAuthPrefix); ok {
		ev = ev.Str("provider", provider)
	}
	ev.Msg("audit")
	if rd != "" {
		redirect(w, r, rd)
		return
	}
	redirect(w, r, p.home())
}

func (h host) Sessions(ctx context.Context, c *feature.Caller) ([]feature.SessionView, error) {
	cc := coreCaller(c)
	ss, err := h.p.liveSessions(ctx, cc)
	if err != nil {
		return nil, err
	}
	return h.p.viewSessions(cc, ss), nil
}

func (h host) RevokeSession(ctx context.Context, c *feature.Caller, id string) error {
	return h.p.revokeSession(ctx, coreCaller(c), id)
}

func (h host) RevokeOtherSessions(ctx context.Context, c *feature.Caller) (int, error) {
	return h.p.revokeOthers(ctx, coreCaller(c))
}

func (h host) SetPassword(ctx context.Context, c *feature.Caller, password string, check func(*keystore.User) error) error {
	cc := coreCaller(c)
	var keep []byte
	if cc.viaCookie {
		keep = cc.digest
	}
	if err := h.p.setPassword(ctx, cc.user, password, keep, check); err != nil {
		return err
	}
	if !cc.viaCookie {
		// The caller's own token dies with the fingerprint; deny it and its
		// chain explicitly too.
		_ = h.p.o.Denylist.Deny(ctx, cc.claims.JTI, cc.claims.ExpiresAt)
	}
	return nil
}
