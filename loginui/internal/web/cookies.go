package web

import (
	"net/http"
	"time"
)

// Cookie names besides the configurable session cookie.
const (
	CSRFCookieName = "gatehouse_csrf"
	// RefreshCookieSuffix is appended to the session cookie name for the
	// optional refresh cookie (path-scoped to the refresh route).
	RefreshCookieSuffix = "_refresh"
	RefreshCookiePath   = "/api/auth/refresh"
	// PendingCookieSuffix is appended to the session cookie name for the
	// pending login of the HTML second step (path-scoped to /2fa).
	PendingCookieSuffix = "_2fa"
	PendingCookiePath   = "/2fa"
)

// Cookies sets and clears the portal's cookies.
type Cookies struct {
	Name   string // the session cookie's name
	Domain string // the session cookie's Domain ("" host-only)
	Secure bool   // the Secure attribute (relaxed only for development on loopback http)
	Now    func() time.Time
}

// SetSession sets the session cookie: HttpOnly, Secure (unless
// relaxed for http in development), SameSite=Lax, Domain = cookie domain.
func (k *Cookies) SetSession(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name:     k.Name,
		Value:    token,
		Path:     "/",
		Domain:   k.Domain,
		Expires:  expires,
		MaxAge:   int(expires.Sub(k.Now()).Seconds()),
		HttpOnly: true,
		Secure:   k.Secure,
		SameSite: http.SameSiteLaxMode,
	})
}

func (k *Cookies) ClearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: k.Name, Value: "", Path: "/", Domain: k.Domain,
		MaxAge: -1, HttpOnly: true, Secure: k.Secure, SameSite: http.SameSiteLaxMode,
	})
}

// SetRefresh stores a refresh token for browser clients that ask for
// it (?refresh=cookie): HttpOnly, SameSite=Strict, scoped to the refresh
// route, on the portal host only.
func (k *Cookies) SetRefresh(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: k.Name + RefreshCookieSuffix, Value: token, Path: RefreshCookiePath,
		Expires: expires, MaxAge: int(expires.Sub(k.Now()).Seconds()),
		HttpOnly: true, Secure: k.Secure, SameSite: http.SameSiteStrictMode,
	})
}

func (k *Cookies) ClearRefresh(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: k.Name + RefreshCookieSuffix, Value: "", Path: RefreshCookiePath,
		MaxAge: -1, HttpOnly: true, Secure: k.Secure, SameSite: http.SameSiteStrictMode,
	})
}

// SetPending sets the pending-login cookie of the HTML second step:
// HttpOnly, SameSite=Strict, scoped to /2fa on the portal host, as
// long-lived as the pending token.
func (k *Cookies) SetPending(w http.ResponseWriter, token string, lifetime time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: k.Name + PendingCookieSuffix, Value: token, Path: PendingCookiePath,
		MaxAge: int(lifetime.Seconds()), HttpOnly: true, Secure: k.Secure, SameSite: http.SameSiteStrictMode,
	})
}

func (k *Cookies) ClearPending(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: k.Name + PendingCookieSuffix, Value: "", Path: PendingCookiePath,
		MaxAge: -1, HttpOnly: true, Secure: k.Secure, SameSite: http.SameSiteStrictMode,
	})
}

// Pending is the pending-login token the request carries, or "".
func (k *Cookies) Pending(r *http.Request) string { return CookieValue(r, k.Name+PendingCookieSuffix) }

// SetCSRF sets the double-submit cookie. It is readable by scripts
// on purpose (a client copies it into X-CSRF-Token) and SameSite=Strict.
// Unlike the session cookie it is host-only: with Domain = cookie.domain
// every script on every sibling host could read it and forge same-site
// form posts, which SameSite=Lax on the session cookie does not stop.
// A Domain-scoped copy (set by an older version, or planted by a sibling
// host) is expired at the same time, so it cannot shadow this one.
func (k *Cookies) SetCSRF(w http.ResponseWriter, token string) {
	if k.Domain != "" {
		http.SetCookie(w, &http.Cookie{
			Name: CSRFCookieName, Value: "", Path: "/", Domain: k.Domain,
			MaxAge: -1, Secure: k.Secure, SameSite: http.SameSiteStrictMode,
		})
	}
	http.SetCookie(w, &http.Cookie{
		Name: CSRFCookieName, Value: token, Path: "/",
		Secure: k.Secure, SameSite: http.SameSiteStrictMode,
	})
}

// CookieValue returns the value of the single cookie called name; a
// missing, repeated or oversize cookie yields "" (a planted duplicate must
// not shadow the real one).
func CookieValue(r *http.Request, name string) string {
	var v string
	n := 0
	for _, c := range r.CookiesNamed(name) {
		n++
		v = c.Value
	}
	if n != 1 || len(v) > 512 {
		return ""
	}
	return v
}
