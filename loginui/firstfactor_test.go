package loginui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui"
	"github.com/gatehouse/gatehouse/signing"
)

// currentAuthMethod is the auth_method of c's own session.
func (c *client) currentAuthMethod(t *testing.T) string {
	t.Helper()
	var list struct {
		Sessions []struct {
			AuthMethod string `json:"auth_method"`
			Current    bool   `json:"current"`
		} `json:"sessions"`
	}
	r := c.do("GET", "/api/auth/sessions", nil)
	wantStatus(t, r, 200, "")
	r.json(t, &list)
	for _, s := range list.Sessions {
		if s.Current {
			return s.AuthMethod
		}
	}
	t.Fatalf("no current session: %s", r.body)
	return ""
}

// pendingCookie is the pending-login cookie in c's jar (scoped to /2fa).
func (c *client) pendingCookie() string {
	for _, ck := range c.c.Jar.Cookies(mustURL(c.h.srv.URL + "/2fa")) {
		if ck.Name == "gatehouse_session_2fa" {
			return ck.Value
		}
	}
	c.h.t.Fatal("no pending-login cookie")
	return ""
}

// passwordOnlyRoutes are the routes a session opened without the
// password must not reach; each is tried after a step-up, so only the
// first factor decides. A password session gets the success status.
func passwordOnlyRoutes(t *testing.T, c *client, wantPassword bool) {
	t.Helper()
	cases := []struct {
		name       string
		method     string
		path       string
		body       any
		okStatuses []int
	}{
		{"create an API key", "POST", "/api/api-keys", map[string]any{"name": "ci", "scopes": []string{"read"}}, []int{201}},
		{"list own API keys", "GET", "/api/api-keys", nil, []int{200}},
		{"link a provider", "POST", "/api/auth/associate/github/authorize", nil, []int{200}},
		{"admin API: list users", "GET", "/api/users", nil, []int{200}},
		{"admin page", "GET", "/admin", nil, []int{200}},
	}
	for _, tc := range cases {
		r := c.do(tc.method, tc.path, tc.body)
		ok := false
		for _, s := range tc.okStatuses {
			ok = ok || r.status == s
		}
		if wantPassword && !ok {
			t.Errorf("%s with a password session: %d %s", tc.name, r.status, r.body)
		}
		if !wantPassword && (r.status != http.StatusForbidden || (strings.HasPrefix(tc.path, "/api/") && r.code() != loginui.CodeAuthorizationDenied)) {
			t.Errorf("%s without the password: %d %s, want 403 %s", tc.name, r.status, r.body, loginui.CodeAuthorizationDenied)
		}
	}
	// The account page offers no key management or linking either.
	page := string(c.do("GET", "/account", nil).body)
	if offers := strings.Contains(page, `action="/api/auth/associate/github/authorize"`); offers != wantPassword {
		t.Errorf("account page offers linking: %t, want %t", offers, wantPassword)
	}
}

// TestOAuthPlusTOTPIsNotAPasswordSession: a provider login followed by a
// TOTP or recovery code, on the /2fa page or the JSON second step, opens
// a session recorded as "oauth:<provider>+totp" that cannot manage API
// keys, link providers or reach the admin API, even after a step-up. The
// same second step after a password ("password+totp") can.
func TestOAuthPlusTOTPIsNotAPasswordSession(t *testing.T) {
	cases := []struct {
		name       string
		first      string // "password" or "oauth"
		route      string // "page" or "json"
		recovery   bool
		wantMethod string
	}{
		{"oauth then TOTP on /2fa", "oauth", "page", false, "oauth:idp+totp"},
		{"oauth then recovery code on /2fa", "oauth", "page", true, "oauth:idp+totp"},
		{"oauth then TOTP on the JSON step", "oauth", "json", false, "oauth:idp+totp"},
		{"oauth then recovery code on the JSON step", "oauth", "json", true, "oauth:idp+totp"},
		{"password then TOTP on /2fa", "password", "page", false, "password+totp"},
		{"password then recovery code on the JSON step", "password", "json", true, "password+totp"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newOAuthSetup(t, func(o *loginui.Options, p *loginui.OAuthProvider) {
				withTOTP(t, nil)(o)
				withAPIKeys(t, nil)(o)
				p.AssociateByEmail = true
			})
			h := s.h
			_, sec, codes := h.totpUser("alice@example.test", true)
			c := h.client()
			// First factor: the browser ends up with a pending login.
			switch tc.first {
			case "oauth":
				r := c.oauthLogin(t, "idp", "")
				if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/2fa") {
					t.Fatalf("oauth step: %d %q", r.status, r.header.Get("Location"))
				}
			default:
				if r := c.formLogin("alice@example.test", testPassword, ""); r.status != http.StatusSeeOther {
					t.Fatalf("password step: %d", r.status)
				}
			}
			code := h.code(sec)
			if tc.recovery {
				code = codes[3]
			}
			switch tc.route {
			case "page":
				wantStatus(t, c.do("GET", "/2fa", nil), 200, "")
				r := c.do("POST", "/2fa", url.Values{"csrf": {c.cookie("gatehouse_csrf")}, "code": {code}})
				if r.status != http.StatusSeeOther || c.cookie("gatehouse_session") == "" {
					t.Fatalf("second step: %d %s", r.status, r.body)
				}
				c.csrf = c.cookie("gatehouse_csrf")
			default:
				r := c.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": c.pendingCookie(), "code": code})
				wantStatus(t, r, 200, "")
				var out struct {
					CSRF string `json:"csrf_token"`
				}
				r.json(t, &out)
				c.csrf = out.CSRF
			}
			wantStatus(t, c.do("POST", "/api/auth/2fa/step-up", map[string]string{"code": h.code(sec)}), 200, "")
			passwordOnlyRoutes(t, c, tc.first == "password")
			if m := c.currentAuthMethod(t); m != tc.wantMethod {
				t.Errorf("session auth_method %q, want %q", m, tc.wantMethod)
			}
		})
	}
}

// TestOAuthPlusTOTPBearerChainIsNotRecordedAsPassword: the JSON second
// step after a provider login with ?transport=bearer stores its refresh
// chain under the real first factor, and rotation keeps it.
func TestOAuthPlusTOTPBearerChainIsNotRecordedAsPassword(t *testing.T) {
	s := newOAuthSetup(t, func(o *loginui.Options, p *loginui.OAuthProvider) {
		withTOTP(t, nil)(o)
		p.AssociateByEmail = true
	})
	h := s.h
	u, sec, _ := h.totpUser("alice@example.test", false)
	c := h.client()
	if r := c.oauthLogin(t, "idp", ""); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/2fa") {
		t.Fatalf("oauth step: %d %q %s", r.status, r.header.Get("Location"), r.body)
	}
	r := c.do("POST", "/api/auth/2fa/verify?transport=bearer", map[string]string{"pending_token": c.pendingCookie(), "code": h.code(sec)})
	wantStatus(t, r, 200, "")
	var tk tokens
	r.json(t, &tk)
	r = h.client().do("POST", "/api/auth/refresh", map[string]string{"refresh_token": tk.RefreshToken})
	wantStatus(t, r, 200, "")
	ss, err := h.store.ListUserSessions(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range ss {
		if x.Kind == "refresh" {
			n++
			if x.AuthMethod != "oauth:idp+totp" {
				t.Fatalf("refresh record auth method %q, want oauth:idp+totp", x.AuthMethod)
			}
		}
	}
	if n < 2 {
		t.Fatalf("want the first and the rotated refresh records, got %d", n)
	}
}

// TestLegacyTOTPSessionIsNotAPasswordSession: a session stored by an
// earlier version with the bare AuthMethod "totp" does not say whether a
// password came first, so it is not a password session (fail closed).
func TestLegacyTOTPSessionIsNotAPasswordSession(t *testing.T) {
	s := newOAuthSetup(t, func(o *loginui.Options, p *loginui.OAuthProvider) {
		withTOTP(t, nil)(o)
		withAPIKeys(t, nil)(o)
	})
	h := s.h
	u, sec, _ := h.totpUser("alice@example.test", true)
	tok, err := signing.NewOpaqueToken()
	if err != nil {
		t.Fatal(err)
	}
	d := signing.TokenDigest(secret("th"), []byte(tok))
	now := h.clock.Now()
	if err := h.store.CreateSession(context.Background(), &keystore.Session{Digest: d[:], UserID: u.ID, Kind: "session", AuthMethod: "totp",
		CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now}); err != nil {
		t.Fatal(err)
	}
	c := h.client()
	base := mustURL(h.srv.URL)
	c.c.Jar.SetCookies(base, []*http.Cookie{{Name: "gatehouse_session", Value: tok, Path: "/"}})
	// A CSRF token for this session: the account page sets it.
	wantStatus(t, c.do("GET", "/account", nil), 200, "")
	c.csrf = c.cookie("gatehouse_csrf")
	wantStatus(t, c.do("GET", "/api/users/me", nil), 200, "")
	wantStatus(t, c.do("POST", "/api/auth/2fa/step-up", map[string]string{"code": h.code(sec)}), 200, "")
	passwordOnlyRoutes(t, c, false)
}
