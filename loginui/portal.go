package loginui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/internal/accounts"
	rdpolicy "github.com/gatehouse/gatehouse/internal/redirect"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/apikeys"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/login"
	"github.com/gatehouse/gatehouse/loginui/internal/session"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
	"github.com/gatehouse/gatehouse/loginui/mail"
	"github.com/gatehouse/gatehouse/loginui/oauth"
	"github.com/gatehouse/gatehouse/loginui/signup"
	"github.com/gatehouse/gatehouse/loginui/totp"
	"github.com/gatehouse/gatehouse/signing"
)

// audAccess is the audience of access JWTs (docs/design.md "Access JWT").
const audAccess = "gatehouse:access"

// Portal is the portal's http.Handler. It is safe for concurrent use.
type Portal struct {
	o   Options
	log zerolog.Logger

	public        *url.URL
	cookieSec     bool // Secure attribute on cookies
	hasher        *signing.Hasher
	sessions      *session.Service // every session, refresh chain and access token
	flow          *login.Flow      // the JSON login API and the steps the login pages share
	csrfKey       []byte
	cookies       *web.Cookies
	csrf          *web.CSRF
	counters      keystore.Counters
	limiter       *web.Limiter
	mail          *mail.Queue
	pages         pageSet
	mux           *http.ServeMux
	csp           string
	cspDataImages string // csp with img-src data:, for the TOTP enrolment page
	totp          *totp.Feature
	stepUpper     feature.StepUpper // step-up proofs (loginui/totp)
	passkeys      feature.Passkeys  // loginui/passkey, nil when off
	cspScript     string            // csp with script-src 'self', for pages that run the passkey script
	oauth         *oauth.Feature
	notices       map[string]string // ?done= texts: the core's and the features'
	loginSections []feature.LoginSection
	keys          *apikeys.Feature
	signup        *signup.Feature
	accounts      *accounts.Service
	features      []feature.Feature // in wiring order
	sections      []feature.Section // the features' /account sections

	closeOnce sync.Once
}

// New validates o, fills defaults and returns a Portal. Call Close to stop
// the mail queue.
func New(o Options) (*Portal, error) {
	o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	pub, err := parsePublicURL(o.PublicURL)
	if err != nil {
		return nil, err
	}
	p := &Portal{o: o, log: o.Logger, public: pub}
	// Secure is relaxed only for a development portal on a loopback http
	// URL; any other host gets Secure cookies even in development.
	p.cookieSec = !(o.Development && pub.Scheme == "http" && rdpolicy.IsLoopbackHost(strings.ToLower(pub.Hostname())))
	if o.Hasher != nil {
		p.hasher = o.Hasher
	} else if p.hasher, err = signing.NewHasher(o.PasswordParams); err != nil {
		return nil, fmt.Errorf("loginui: password hasher: %w", err)
	}
	iss := strings.TrimSuffix(pub.String(), "/")
	accessKeys, activeKID := o.AccessKeys, o.AccessActiveKID
	if len(accessKeys) == 0 {
		accessKeys, activeKID = []signing.JWTKey{{Alg: signing.AlgHS256, HMAC: o.Secrets.AccessToken}}, ""
	}
	access, err := session.NewJWT(iss, audAccess, accessKeys, activeKID, false)
	if err != nil {
		return nil, fmt.Errorf("loginui: access tokens: %w", err)
	}
	keys, links := o.credentialStores()
	p.sessions = session.New(session.Config{Users: o.Users, Sessions: o.Sessions, Denylist: o.Denylist, Markers: o.Markers,
		APIKeys: keys, Links: links, TokenHash: o.Secrets.TokenHash, Fingerprint: o.Secrets.Fingerprint, Access: access,
		SessionLifetime: o.SessionLifetime, AccessLifetime: o.AccessLifetime, RefreshLifetime: o.RefreshLifetime,
		Touch: o.SessionTouch, Now: o.Now, Log: o.Logger})
	p.initSessions()
	if err := p.initTOTP(iss); err != nil {
		return nil, fmt.Errorf("loginui: totp: %w", err)
	}
	if err := p.initPasskeys(); err != nil {
		return nil, err
	}
	if err := p.initOAuth(); err != nil {
		return nil, err
	}
	if err := p.initAPIKeys(); err != nil {
		return nil, err
	}
	if err := p.initAdminUI(); err != nil {
		return nil, err
	}
	if err := p.initAccounts(); err != nil {
		return nil, err
	}
	p.initProfile()
	p.initSetup()
	p.csrfKey = signing.DeriveKey(o.Secrets.CSRF, "loginui/csrf", 32)
	p.cookies = &web.Cookies{Name: o.CookieName, Domain: o.CookieDomain, Secure: p.cookieSec, Now: o.Now}
	p.csrf = &web.CSRF{Key: p.csrfKey, Cookies: p.cookies}
	p.counters = o.Counters
	if p.counters == nil {
		p.counters = web.NewLocalCounters(o.LocalLimiterMaxKeys, o.Now)
	}
	p.limiter = &web.Limiter{
		Secret:    signing.DeriveKey(o.Secrets.TokenHash, "loginui/rate-limit-keys", 32),
		Counters:  p.counters,
		Limits:    o.RateLimits,
		Timeout:   feature.StoreTimeout,
		OnLimited: p.onRateLimited,
	}
	checker := login.New(login.Config{Users: o.Users, Denylist: o.Denylist, Counters: p.counters, Accounts: p.accounts,
		Hasher: p.hasher, Limiter: p.limiter, Lockout: o.Lockout, MaxPassword: o.PasswordMaxLen,
		Telemetry: o.Secrets.Telemetry, Now: o.Now, Log: o.Logger})
	p.flow = &login.Flow{Check: checker, Sessions: p.sessions, Cookies: p.cookies, CSRF: p.csrf, Limiter: p.limiter,
		ClientIP: p.clientIP, Caller: host{p}.APICaller, SecondStep: o.SecondStep,
		RefreshLifetime: o.RefreshLifetime, Now: o.Now, Log: o.Logger}
	mailer := o.Mailer
	if mailer == nil {
		mailer = NewDevMailer(o.Logger)
	}
	p.mail = mail.NewQueue(mailer, o.Logger, 256)
	if err := p.initSignup(iss); err != nil {
		return nil, err
	}
	if p.pages, err = parsePages(); err != nil {
		return nil, err
	}
	p.csp = p.buildCSP()
	p.cspDataImages = withDataImages(p.csp)
	p.cspScript = withScript(p.csp)
	p.routes()
	return p, nil
}

// Close stops the mail queue after it has drained (bounded by ctx).
func (p *Portal) Close(ctx context.Context) {
	p.closeOnce.Do(func() { p.mail.Close(ctx) })
}

func parsePublicURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "" {
		return nil, ErrPublicURL
	}
	u.Path = ""
	u.RawPath = ""
	return u, nil
}

// ServeHTTP answers every portal route. Every answer carries the security
// headers.
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", p.csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	p.mux.ServeHTTP(w, r)
}

// buildCSP allows nothing but our own stylesheet and forms posting to us;
// form-action also lists where a login may redirect (browsers apply it to
// the redirect after a form post).
func (p *Portal) buildCSP() string {
	fa := []string{"'self'"}
	if d := strings.TrimPrefix(strings.ToLower(p.o.CookieDomain), "."); d != "" {
		fa = append(fa, "https://"+d, "https://*."+d)
	}
	fa = append(fa, p.public.Scheme+"://"+p.public.Host)
	if p.o.Development {
		fa = append(fa, "http://localhost:*", "http://127.0.0.1:*")
	}
	fa = append(fa, p.featureFormOrigins()...)
	return cspDefault + " style-src 'self'; " + cspImgSrc + "; base-uri 'none'; frame-ancestors 'none'; form-action " + strings.Join(fa, " ")
}

const cspImgSrc = "img-src 'self'"

// withDataImages is csp with img-src also allowing data: URLs, set by
// host.RenderAccount on the one response that inlines an image (the TOTP
// enrolment QR code, feature.AccountView.DataImages).
func withDataImages(csp string) string {
	return strings.Replace(csp, cspImgSrc+";", cspImgSrc+" data:;", 1)
}

// withScript is csp with script-src 'self' and connect-src 'self' (the
// script calls the portal's JSON API): only pages that include the
// portal's own passkey script (pageData.Script) get it; every other page
// keeps default-src 'none' for scripts and connections.
func withScript(csp string) string {
	return strings.Replace(csp, cspDefault, cspDefault+" script-src 'self'; connect-src 'self';", 1)
}

const cspDefault = "default-src 'none';"

func (p *Portal) routes() {
	m := http.NewServeMux()
	api := func(pattern string, h http.HandlerFunc) { m.HandleFunc(pattern, h) }

	// JSON API (docs/design.md "Portal").
	api("POST /api/auth/login", p.padded(web.JSON(p.flow.Login)))
	api("POST /api/auth/logout", web.JSON(p.flow.Logout))
	api("POST /api/auth/refresh", web.JSON(p.flow.Refresh))
	api("POST /api/auth/2fa/verify", web.JSON(p.flow.VerifySecond))
	m.HandleFunc("/api/", web.JSON(func(http.ResponseWriter, *http.Request) error { return web.NoRoute }))

	// HTML pages.
	m.HandleFunc("GET /{$}", p.pageRoute(p.pageHome))
	m.HandleFunc("GET /login", p.pageRoute(p.pageLogin))
	m.HandleFunc("POST /login", p.padded(p.pageRoute(p.pageLoginPost)))
	m.HandleFunc("GET /logout", p.pageRoute(p.pageLogout))
	m.HandleFunc("POST /logout", p.pageRoute(p.pageLogoutPost))
	m.HandleFunc("GET /account", p.pageRoute(p.pageAccount))
	m.HandleFunc("GET /2fa", p.pageRoute(p.pageTOTP))
	m.HandleFunc("POST /2fa", p.pageRoute(p.pageTOTPPost))
	m.HandleFunc("GET /static/style.css", serveStyle)
	p.mux = m
	p.registerFeatures()
	if p.passkeys != nil {
		m.HandleFunc("POST /api/auth/webauthn/login/begin", web.JSON(p.flow.PasskeyBegin))
		m.HandleFunc("POST /api/auth/webauthn/login/finish", p.padded(web.JSON(p.flow.PasskeyFinish)))
		m.HandleFunc("POST /login/passkey", p.padded(p.pageRoute(p.pageLoginPasskey)))
		m.HandleFunc("POST /2fa/passkey", p.pageRoute(p.page2faPasskey))
	}
}
