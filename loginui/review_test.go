package loginui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/loginui"
)

// setCookieLines returns the Set-Cookie lines of r for cookie name.
func setCookieLines(r resp, name string) []string {
	var out []string
	for _, sc := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, name+"=") {
			out = append(out, sc)
		}
	}
	return out
}

func hasAttr(line, attr string) bool {
	for _, part := range strings.Split(line, ";") {
		if strings.EqualFold(strings.TrimSpace(part), attr) || strings.HasPrefix(strings.ToLower(strings.TrimSpace(part)), strings.ToLower(attr)+"=") {
			return true
		}
	}
	return false
}

// TestCookiesStaySecureOnNonLoopbackHTTPInDevelopment: development mode
// relaxes Secure only for a loopback public URL (http://localhost-style);
// a development portal on http://portal.example.test still marks its
// cookies Secure, so they never travel in clear to a real host.
func TestCookiesStaySecureOnNonLoopbackHTTPInDevelopment(t *testing.T) {
	for _, tc := range []struct {
		public     string
		wantSecure bool
	}{
		{"http://portal.example.test", true},
		{"http://10.0.0.5:9091", true},
		{"http://localhost:9091", false},
		{"http://127.0.0.1:9091", false},
		{"http://[::1]:9091", false},
	} {
		t.Run(tc.public, func(t *testing.T) {
			h := newHarness(t, func(o *loginui.Options) { o.PublicURL = tc.public })
			h.addUser("sec@example.test", false)
			r := h.client().do("POST", "/api/auth/login", map[string]string{"identifier": "sec@example.test", "password": testPassword})
			wantStatus(t, r, 200, "")
			for _, name := range []string{"gatehouse_session", "gatehouse_csrf"} {
				lines := setCookieLines(r, name)
				if len(lines) == 0 {
					t.Fatalf("no %s cookie", name)
				}
				for _, l := range lines {
					if hasAttr(l, "Secure") != tc.wantSecure {
						t.Fatalf("%s: Secure=%v, want %v (%s)", name, !tc.wantSecure, tc.wantSecure, l)
					}
				}
			}
		})
	}
}

// TestCSRFCookieIsNotSharedWithSiblingHosts: the session cookie carries
// Domain=cookie.domain so the verifier sees it on every protected host,
// but the CSRF cookie is readable by scripts and must stay on the portal
// host; with Domain set, any script on any sibling host could read it and
// forge same-site form posts (SameSite=Lax does not stop sibling hosts).
func TestCSRFCookieIsNotSharedWithSiblingHosts(t *testing.T) {
	h := newHarness(t, func(o *loginui.Options) {
		o.PublicURL = "https://auth.example.test"
		o.CookieDomain = "example.test"
	})
	h.addUser("sib@example.test", false)
	c := h.client()
	check := func(what string, r resp) {
		t.Helper()
		var live int
		for _, l := range setCookieLines(r, "gatehouse_csrf") {
			if strings.HasPrefix(l, "gatehouse_csrf=;") || hasAttr(l, "Max-Age") && strings.Contains(l, "Max-Age=0") {
				continue // an expiry of a legacy Domain cookie
			}
			live++
			if hasAttr(l, "Domain") {
				t.Fatalf("%s: CSRF cookie shared with sibling hosts: %s", what, l)
			}
		}
		if live == 0 {
			t.Fatalf("%s: no CSRF cookie set", what)
		}
	}
	check("login form", c.do("GET", "/login", nil))
	r := c.do("POST", "/api/auth/login", map[string]string{"identifier": "sib@example.test", "password": testPassword})
	wantStatus(t, r, 200, "")
	check("login", r)
	if sess := setCookieLines(r, "gatehouse_session"); len(sess) != 1 || !strings.Contains(sess[0], "Domain=example.test") {
		t.Fatalf("session cookie must keep Domain=cookie.domain: %v", sess)
	}
}

// TestAdminRoutesNeedACookiePasswordSession: a superuser's bearer access
// token (minted by login or by any refresh in a 30-day chain, and unable to
// carry a step-up proof) does not open the admin API; the admin routes
// need a password-authenticated browser session.
func TestAdminRoutesNeedACookiePasswordSession(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.addUser("boss@example.test", true)
	plain := h.addUser("pawn@example.test", false)
	tk := h.loginBearer("boss@example.test", testPassword)
	b := h.bearer(tk.AccessToken)
	wantStatus(t, b.do("GET", "/api/users/me", nil), 200, "")
	wantStatus(t, b.do("GET", "/api/users", nil), 403, loginui.CodeAuthorizationDenied)
	wantStatus(t, b.do("GET", "/api/users/"+plain.ID, nil), 403, loginui.CodeAuthorizationDenied)
	wantStatus(t, b.do("PATCH", "/api/users/"+plain.ID, map[string]any{"is_superuser": true, "current_password": testPassword}), 403, loginui.CodeAuthorizationDenied)
	wantStatus(t, b.do("DELETE", "/api/users/"+plain.ID, map[string]string{"current_password": testPassword}), 403, loginui.CodeAuthorizationDenied)
	if u := h.user(plain.ID); u.Superuser {
		t.Fatal("bearer token promoted a user")
	}
	// A refreshed token is no better.
	r := h.client().do("POST", "/api/auth/refresh", map[string]string{"refresh_token": tk.RefreshToken})
	wantStatus(t, r, 200, "")
	var tk2 tokens
	r.json(t, &tk2)
	wantStatus(t, h.bearer(tk2.AccessToken).do("GET", "/api/users", nil), 403, loginui.CodeAuthorizationDenied)
	// The browser session of the same superuser works.
	c := h.client()
	c.login("boss@example.test", testPassword)
	wantStatus(t, c.do("GET", "/api/users/"+admin.ID, nil), 200, "")
}

// TestLoginRevokesTheBrowsersPreviousSession: logging in again from a
// browser that already holds a session (same account or another) issues
// a new session id and revokes the old one, so a token seen before the
// login cannot be used after it.
func TestLoginRevokesTheBrowsersPreviousSession(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("one@example.test", false)
	h.addUser("two@example.test", false)
	for _, tc := range []struct {
		name string
		form bool
		next string
	}{
		{"json same user", false, "one@example.test"},
		{"json other user", false, "two@example.test"},
		{"form same user", true, "one@example.test"},
		{"form other user", true, "two@example.test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := h.client()
			c.login("one@example.test", testPassword)
			old := c.cookie("gatehouse_session")
			if tc.form {
				c.do("GET", "/login", nil) // logged in: redirected, but the CSRF cookie is bound to the session
				r := c.do("POST", "/login", url.Values{"identifier": {tc.next}, "password": {testPassword}, "csrf": {c.cookie("gatehouse_csrf")}})
				if r.status != http.StatusSeeOther {
					t.Fatalf("form login: %d %s", r.status, r.body)
				}
			} else {
				c.login(tc.next, testPassword)
			}
			if nw := c.cookie("gatehouse_session"); nw == "" || nw == old {
				t.Fatal("no new session id issued at login")
			}
			stale := h.client()
			wantStatus(t, stale.do("GET", "/api/users/me", nil, "Cookie", "gatehouse_session="+old), 401, loginui.CodeAuthenticationFailed)
		})
	}
}

// TestJSONBodiesMustBeObjects: a JSON null, array or scalar is not a
// request object; routes answer 422 instead of acting on zero values.
func TestJSONBodiesMustBeObjects(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("obj@example.test", false)
	c := h.client()
	c.login("obj@example.test", testPassword)
	for _, body := range []string{"null", " null ", "[]", "1", `"x"`, "true"} {
		wantStatus(t, c.do("PATCH", "/api/users/me", body), 422, loginui.CodeRequestBodyInvalid)
		wantStatus(t, h.client().do("POST", "/api/auth/register", body), 422, loginui.CodeRequestBodyInvalid)
		wantStatus(t, h.client().do("POST", "/api/auth/login", body), 422, loginui.CodeLoginPayloadInvalid)
	}
}

// TestRevokeOthersKillsOtherChainsAccessTokens: "sign out everywhere
// else" also denies the refresh chains it deletes, so the access tokens
// minted in those chains stop working at the portal at once instead of
// living on until they expire.
func TestRevokeOthersKillsOtherChainsAccessTokens(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("ro@example.test", false)
	c := h.client()
	c.login("ro@example.test", testPassword)
	tk := h.loginBearer("ro@example.test", testPassword)
	wantStatus(t, h.bearer(tk.AccessToken).do("GET", "/api/users/me", nil), 200, "")
	wantStatus(t, c.do("POST", "/api/auth/sessions/revoke-others", nil), 200, "")
	wantStatus(t, h.bearer(tk.AccessToken).do("GET", "/api/users/me", nil), 401, loginui.CodeAuthenticationFailed)
	wantStatus(t, h.client().do("POST", "/api/auth/refresh", map[string]string{"refresh_token": tk.RefreshToken}), 401, loginui.CodeRefreshTokenInvalid)
	wantStatus(t, c.do("GET", "/api/users/me", nil), 200, "")

	// From a bearer caller: the other chain dies, its own survives.
	mine := h.loginBearer("ro@example.test", testPassword)
	other := h.loginBearer("ro@example.test", testPassword)
	wantStatus(t, h.bearer(mine.AccessToken).do("POST", "/api/auth/sessions/revoke-others", nil), 200, "")
	wantStatus(t, h.bearer(other.AccessToken).do("GET", "/api/users/me", nil), 401, loginui.CodeAuthenticationFailed)
	wantStatus(t, h.bearer(mine.AccessToken).do("GET", "/api/users/me", nil), 200, "")
	wantStatus(t, c.do("GET", "/api/users/me", nil), 401, loginui.CodeAuthenticationFailed)
}

// TestRevokeOthersStoreFailureIsNotASuccess: when the chains cannot be
// denied, revoke-others answers 503 and deletes nothing.
func TestRevokeOthersStoreFailureIsNotASuccess(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("rf@example.test", false)
	c, d := h.client(), h.client()
	c.login("rf@example.test", testPassword)
	d.login("rf@example.test", testPassword)
	tk := h.loginBearer("rf@example.test", testPassword)
	h.deny.set(true)
	r := c.do("POST", "/api/auth/sessions/revoke-others", nil)
	h.deny.set(false)
	wantStatus(t, r, 503, loginui.CodeTokenProcessingFailed)
	wantStatus(t, d.do("GET", "/api/users/me", nil), 200, "")
	wantStatus(t, h.bearer(tk.AccessToken).do("GET", "/api/users/me", nil), 200, "")
}
