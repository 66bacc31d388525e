package loginui

import (
	"net/http"
	"time"
)

// Cookie names besides the configurable session cookie.
const (
	csrfCookieName = "gatehouse_csrf"
	// refreshCookieSuffix is appended to the session cookie name for the
	// optional refresh cookie (path-scoped to the refresh route).
	refreshCookieSuffix = "_refresh"
	refreshCookiePath   = "/api/auth/refresh"
)

// setSessionCookie sets the session cookie: HttpOnly, Secure (unless
// relaxed for http in development), SameSite=Lax, Domain = cookie domain.
func (p *Portal) setSessionCookie(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name:     p.o.CookieName,
		Value:    token,
		Path:     "/",
		Domain:   p.o.CookieDomain,
		Expires:  expires,
		MaxAge:   int(expires.Sub(p.o.Now()).Seconds()),
		HttpOnly: true,
		Secure:   p.cookieSec,
		SameSite: http.SameSiteLaxMode,
	})
}

func (p *Portal) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: p.o.CookieName, Value: "", Path: "/", Domain: p.o.CookieDomain,
		MaxAge: -1, HttpOnly: true, Secure: p.cookieSec, SameSite: http.SameSiteLaxMode,
	})
}

// setRefreshCookie stores a refresh token for browser clients that ask for
// it (?refresh=cookie): HttpOnly, SameSite=Strict, scoped to the refresh
// route, on the portal host only.
func (p *Portal) setRefreshCookie(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: p.o.CookieName + refreshCookieSuffix, Value: token, Path: refreshCookiePath,
		Expires: expires, MaxAge: int(expires.Sub(p.o.Now()).Seconds()),
		HttpOnly: true, Secure: p.cookieSec, SameSite: http.SameSiteStrictMode,
	})
}

func (p *Portal) clearRefreshCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: p.o.CookieName + refreshCookieSuffix, Value: "", Path: refreshCookiePath,
		MaxAge: -1, HttpOnly: true, Secure: p.cookieSec, SameSite: http.SameSiteStrictMode,
	})
}

// setCSRFCookie sets the double-submit cookie. It is readable by scripts
// on purpose (a client copies it into X-CSRF-Token) and SameSite=Strict.
// Unlike the session cookie it is host-only: with Domain = cookie.domain
// every script on every sibling host could read it and forge same-site
// form posts, which SameSite=Lax on the session cookie does not stop.
// A Domain-scoped copy (set by an older version, or planted by a sibling
// host) is expired at the same time, so it cannot shadow this one.
func (p *Portal) setCSRFCookie(w http.ResponseWriter, token string) {
	if p.o.CookieDomain != "" {
		http.SetCookie(w, &http.Cookie{
			Name: csrfCookieName, Value: "", Path: "/", Domain: p.o.CookieDomain,
			MaxAge: -1, Secure: p.cookieSec, SameSite: http.SameSiteStrictMode,
		})
	}
	http.SetCookie(w, &http.Cookie{
		Name: csrfCookieName, Value: token, Path: "/",
		Secure: p.cookieSec, SameSite: http.SameSiteStrictMode,
	})
}

// cookieValue returns the value of the single cookie called name; a
// missing, repeated or oversize cookie yields "" (a planted duplicate must
// not shadow the real one).
func cookieValue(r *http.Request, name string) string {
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
