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
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

// Portal is the portal's http.Handler. It is safe for concurrent use.
type Portal struct {
	o   Options
	log zerolog.Logger

	public      *url.URL
	cookieSec   bool // Secure attribute on cookies
	hasher      *signing.Hasher
	access      *jwtCodec
	verifyTok   *jwtCodec
	resetTok    *jwtCodec
	verifyFPKey signing.Secret
	resetFPKey  signing.Secret
	csrfKey     []byte
	limitKey    []byte
	counters    keystore.Counters
	mail        *mailQueue
	pages       pageSet
	mux         *http.ServeMux
	csp         string
	totp        totpState
	oauth       oauthState
	keys        *apiKeyState // nil: API keys disabled
	accounts    *accounts.Service

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
	p.cookieSec = !(o.Development && pub.Scheme == "http" && isLoopbackHost(strings.ToLower(pub.Hostname())))
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
	if p.access, err = newJWTCodec(iss, audAccess, accessKeys, activeKID); err != nil {
		return nil, fmt.Errorf("loginui: access tokens: %w", err)
	}
	if p.verifyTok, err = newJWTCodec(iss, audVerify, []signing.JWTKey{{Alg: signing.AlgHS256, HMAC: o.Secrets.VerifyToken}}, ""); err != nil {
		return nil, fmt.Errorf("loginui: verify tokens: %w", err)
	}
	if p.resetTok, err = newJWTCodec(iss, audReset, []signing.JWTKey{{Alg: signing.AlgHS256, HMAC: o.Secrets.ResetToken}}, ""); err != nil {
		return nil, fmt.Errorf("loginui: reset tokens: %w", err)
	}
	if err := p.initTOTP(iss); err != nil {
		return nil, fmt.Errorf("loginui: totp: %w", err)
	}
	if err := p.initOAuth(); err != nil {
		return nil, err
	}
	if err := p.initAPIKeys(); err != nil {
		return nil, err
	}
	if err := p.initAccounts(); err != nil {
		return nil, err
	}
	p.verifyFPKey = signing.NewSecret(signing.DeriveKey(o.Secrets.VerifyToken, "loginui/verify-fingerprint", 32))
	p.resetFPKey = signing.NewSecret(signing.DeriveKey(o.Secrets.ResetToken, "loginui/reset-fingerprint", 32))
	p.csrfKey = signing.DeriveKey(o.Secrets.CSRF, "loginui/csrf", 32)
	p.limitKey = signing.DeriveKey(o.Secrets.TokenHash, "loginui/rate-limit-keys", 32)
	p.counters = o.Counters
	if p.counters == nil {
		p.counters = newLocalCounters(o.LocalLimiterMaxKeys, o.Now)
	}
	mailer := o.Mailer
	if mailer == nil {
		mailer = NewDevMailer(o.Logger)
	}
	p.mail = newMailQueue(mailer, o.Logger, 256)
	if p.pages, err = parsePages(); err != nil {
		return nil, err
	}
	p.csp = p.buildCSP()
	p.routes()
	return p, nil
}

// Close stops the mail queue after it has drained (bounded by ctx).
func (p *Portal) Close(ctx context.Context) {
	p.closeOnce.Do(func() { p.mail.close(ctx) })
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
	fa = append(fa, p.oauth.formOrigins...)
	return "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action " + strings.Join(fa, " ")
}

func (p *Portal) routes() {
	m := http.NewServeMux()
	api := func(pattern string, h http.HandlerFunc) { m.HandleFunc(pattern, h) }

	// JSON API (SPEC §4).
	api("POST /api/auth/login", p.padded(p.apiLogin))
	api("POST /api/auth/logout", p.apiLogout)
	api("POST /api/auth/refresh", p.apiRefresh)
	api("POST /api/auth/register", p.padded(p.apiRegister))
	api("POST /api/auth/verify", p.apiVerify)
	api("POST /api/auth/request-verify-token", p.padded(p.apiRequestVerify))
	api("POST /api/auth/forgot-password", p.padded(p.apiForgotPassword))
	api("POST /api/auth/reset-password", p.apiResetPassword)
	api("GET /api/users/me", p.apiMe)
	api("PATCH /api/users/me", p.apiPatchMe)
	api("POST /api/users/me/change-password", p.apiChangePassword)
	api("GET /api/users", p.apiAdminList)
	api("GET /api/users/{id}", p.apiAdminGet)
	api("PATCH /api/users/{id}", p.apiAdminPatch)
	api("DELETE /api/users/{id}", p.apiAdminDelete)
	api("GET /api/auth/sessions", p.apiSessions)
	api("DELETE /api/auth/sessions/{id}", p.apiDeleteSession)
	api("POST /api/auth/sessions/revoke-others", p.apiRevokeOthers)
	api("POST /api/auth/2fa/enable", p.apiTOTPEnable)
	api("POST /api/auth/2fa/enable/confirm", p.apiTOTPConfirm)
	api("POST /api/auth/2fa/verify", p.apiTOTPVerify)
	api("POST /api/auth/2fa/disable", p.apiTOTPDisable)
	api("POST /api/auth/2fa/step-up", p.apiTOTPStepUp)
	api("POST /api/auth/2fa/recovery-codes/regenerate", p.apiTOTPRegenerate)
	api("POST /api/api-keys", p.apiKeyCreate)
	api("GET /api/api-keys", p.apiKeyList)
	api("GET /api/api-keys/{key_id}", p.apiKeyGet)
	api("PATCH /api/api-keys/{key_id}", p.apiKeyPatch)
	api("DELETE /api/api-keys/{key_id}", p.apiKeyDelete)
	api("POST /api/users/{id}/api-keys", p.apiAdminKeyCreate)
	api("GET /api/users/{id}/api-keys", p.apiAdminKeyList)
	api("DELETE /api/users/{id}/api-keys/{key_id}", p.apiAdminKeyDelete)
	api("GET /api/auth/oauth/{provider}/authorize", p.oauthAuthorize)
	api("GET /api/auth/oauth/{provider}/callback", p.oauthCallback)
	api("POST /api/auth/associate/{provider}/authorize", p.associateAuthorize)
	api("GET /api/auth/associate/{provider}/callback", p.associateCallback)
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, CodeRequestBodyInvalid, "no such API route")
	})

	// HTML pages.
	m.HandleFunc("GET /{$}", p.pageHome)
	m.HandleFunc("GET /login", p.pageLogin)
	m.HandleFunc("POST /login", p.padded(p.pageLoginPost))
	m.HandleFunc("GET /logout", p.pageLogout)
	m.HandleFunc("POST /logout", p.pageLogoutPost)
	m.HandleFunc("GET /register", p.pageRegister)
	m.HandleFunc("POST /register", p.padded(p.pageRegisterPost))
	m.HandleFunc("GET /forgot-password", p.pageForgot)
	m.HandleFunc("POST /forgot-password", p.padded(p.pageForgotPost))
	m.HandleFunc("GET /reset-password", p.pageReset)
	m.HandleFunc("POST /reset-password", p.pageResetPost)
	m.HandleFunc("GET /verify", p.pageVerify)
	m.HandleFunc("POST /verify", p.pageVerifyPost)
	m.HandleFunc("GET /account", p.pageAccount)
	m.HandleFunc("POST /account/profile", p.pageAccountProfile)
	m.HandleFunc("POST /account/password", p.pageAccountPassword)
	m.HandleFunc("POST /account/sessions/revoke", p.pageAccountRevoke)
	m.HandleFunc("POST /account/sessions/revoke-others", p.pageAccountRevokeOthers)
	m.HandleFunc("GET /2fa", p.pageTOTP)
	m.HandleFunc("POST /2fa", p.pageTOTPPost)
	m.HandleFunc("POST /account/2fa/enable", p.pageTOTPEnable)
	m.HandleFunc("POST /account/2fa/confirm", p.pageTOTPConfirm)
	m.HandleFunc("POST /account/2fa/step-up", p.pageTOTPStepUp)
	m.HandleFunc("POST /account/2fa/disable", p.pageTOTPDisable)
	m.HandleFunc("POST /account/2fa/regenerate", p.pageTOTPRegenerate)
	m.HandleFunc("GET /account/api-keys", p.pageAPIKeys)
	m.HandleFunc("POST /account/api-keys", p.pageAPIKeyCreate)
	m.HandleFunc("POST /account/api-keys/revoke", p.pageAPIKeyRevoke)
	m.HandleFunc("POST /account/linked/unlink", p.pageOAuthUnlink)
	m.HandleFunc("GET /admin", p.pageAdmin)
	m.HandleFunc("GET /admin/users/{id}", p.pageAdminUser)
	m.HandleFunc("POST /admin/users/{id}", p.pageAdminUserPost)
	m.HandleFunc("POST /admin/users/{id}/delete", p.pageAdminUserDelete)
	m.HandleFunc("GET /setup", p.pageSetup)
	m.HandleFunc("POST /setup", p.pageSetupPost)
	m.HandleFunc("GET /static/style.css", serveStyle)
	p.mux = m
}
