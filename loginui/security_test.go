package loginui_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/loginui"
	"github.com/gatehouse/gatehouse/signing"
)

// TestCSRFRequiredForCookieAuthenticatedWrites: without a token, with a
// wrong one, or with another session's token, a cookie-authenticated POST
// is 403 CSRF_FAILED; a bearer POST needs none.
func TestCSRFRequiredForCookieAuthenticatedWrites(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("tia@example.test", false)
	h.addUser("uma@example.test", false)
	a := h.client()
	a.login("tia@example.test", testPassword)
	other := h.client()
	other.login("uma@example.test", testPassword)
	good := a.csrf

	for _, tc := range []struct {
		name, header, cookie string
	}{
		{"no token", "", good},
		{"wrong token", "AAAAAAAAAAAAAAAAAAAAAA.AAAA", good},
		{"header differs from cookie", other.csrf, good},
		{"other session's pair", other.csrf, other.csrf},
		{"no cookie", good, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := h.client()
			hdr := []string{"Cookie", "gatehouse_session=" + a.cookie("gatehouse_session")}
			if tc.cookie != "" {
				hdr[1] += "; gatehouse_csrf=" + tc.cookie
			}
			if tc.header != "" {
				hdr = append(hdr, "X-CSRF-Token", tc.header)
			}
			wantStatus(t, c.do("POST", "/api/auth/sessions/revoke-others", nil, hdr...), 403, loginui.CodeCSRFFailed)
			wantStatus(t, c.do("PATCH", "/api/users/me", map[string]string{"display_name": "x"}, hdr...), 403, loginui.CodeCSRFFailed)
			wantStatus(t, c.do("POST", "/api/auth/logout", nil, hdr...), 403, loginui.CodeCSRFFailed)
		})
	}
	// Still logged in: none of the forged requests did anything.
	wantStatus(t, a.do("GET", "/api/users/me", nil), 200, "")
	wantStatus(t, a.do("POST", "/api/auth/sessions/revoke-others", nil), 200, "")

	tk := h.loginBearer("tia@example.test", testPassword)
	wantStatus(t, h.bearer(tk.AccessToken).do("PATCH", "/api/users/me", map[string]string{"display_name": "T"}), 200, "")
}

func TestCSRFOnForms(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("vic@example.test", false)
	c := h.client()
	form := url.Values{"identifier": {"vic@example.test"}, "password": {testPassword}}
	// No pre-session token: refused, the form is shown again.
	r := c.do("POST", "/login", form)
	if r.status != 403 || !strings.Contains(string(r.body), "expired") {
		t.Fatalf("login form without CSRF: %d", r.status)
	}
	r = c.do("GET", "/login", nil)
	form.Set("csrf", c.cookie("gatehouse_csrf"))
	r = c.do("POST", "/login", form)
	if r.status != 303 {
		t.Fatalf("login form: %d %s", r.status, r.body)
	}
}

// TestRateLimitAnswers429WithRetryAfter.
func TestRateLimitAnswers429WithRetryAfter(t *testing.T) {
	var hits []string
	h := newHarness(t, func(o *loginui.Options) {
		o.RateLimits[loginui.SlotLogin] = loginui.RateLimit{Max: 2, Window: time.Minute}
		o.OnRateLimited = func(slot string) { hits = append(hits, slot) }
	})
	c := h.client()
	body := map[string]string{"identifier": "x@example.test", "password": "whatever it is"}
	for i := 0; i < 2; i++ {
		wantStatus(t, c.do("POST", "/api/auth/login", body), 400, loginui.CodeLoginBadCredentials)
	}
	r := c.do("POST", "/api/auth/login", body)
	wantStatus(t, r, 429, loginui.CodeRateLimited)
	if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("Retry-After = %q", ra)
	}
	if len(hits) != 1 || hits[0] != loginui.SlotLogin {
		t.Fatalf("rate-limit hook calls: %v", hits)
	}
	h.clock.Advance(time.Minute + time.Second)
	wantStatus(t, c.do("POST", "/api/auth/login", body), 400, loginui.CodeLoginBadCredentials)
}

// TestLocalLimiterAtKeyCapRefusesNewKeys: with the in-process limiter
// full, requests that need a new key are refused (fail closed).
func TestLocalLimiterAtKeyCapRefusesNewKeys(t *testing.T) {
	h := newHarness(t, func(o *loginui.Options) {
		o.Counters = nil
		o.LocalLimiterMaxKeys = 2 // one login uses two keys: address and identifier
	})
	c := h.client()
	wantStatus(t, c.do("POST", "/api/auth/login", map[string]string{"identifier": "a@example.test", "password": "whatever it is"}), 400, loginui.CodeLoginBadCredentials)
	r := c.do("POST", "/api/auth/login", map[string]string{"identifier": "b@example.test", "password": "whatever it is"})
	wantStatus(t, r, 429, loginui.CodeRateLimited)
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
}

// TestLockoutLooksLikeBadPassword: once locked, even the right password
// gets exactly the bad-password answer.
func TestLockoutLooksLikeBadPassword(t *testing.T) {
	h := newHarness(t, func(o *loginui.Options) { o.Lockout = loginui.RateLimit{Max: 3, Window: 10 * time.Minute} })
	h.addUser("wes@example.test", false)
	c := h.client()
	var bad resp
	for i := 0; i < 3; i++ {
		bad = c.do("POST", "/api/auth/login", map[string]string{"identifier": "wes@example.test", "password": "wrong password"})
		wantStatus(t, bad, 400, loginui.CodeLoginBadCredentials)
	}
	locked := c.do("POST", "/api/auth/login", map[string]string{"identifier": "wes@example.test", "password": testPassword})
	if locked.status != bad.status || string(locked.body) != string(bad.body) {
		t.Fatalf("locked answer differs: %d %s", locked.status, locked.body)
	}
	h.clock.Advance(11 * time.Minute)
	c.login("wes@example.test", testPassword)
}

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	h := newHarness(t, nil)
	c := h.client()
	for _, path := range []string{"/login", "/register", "/forgot-password", "/reset-password", "/verify", "/account", "/admin", "/setup", "/static/style.css", "/api/users/me", "/api/nope"} {
		r := c.do("GET", path, nil)
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if r.header.Get("X-Frame-Options") != "DENY" || r.header.Get("Referrer-Policy") == "" {
			t.Errorf("%s: missing frame/referrer headers", path)
		}
	}
}

// TestNoSecretsInLogs drives the main flows and checks that no password,
// token, secret or email address reaches the log.
func TestNoSecretsInLogs(t *testing.T) {
	h := newHarness(t, func(o *loginui.Options) { o.Secrets.Telemetry = secret("te") })
	h.addUser("xena@example.test", false)
	c := h.client()
	c.login("xena@example.test", testPassword)
	wantStatus(t, h.client().do("POST", "/api/auth/login", map[string]string{"identifier": "xena@example.test", "password": "wrong password 1"}), 400, loginui.CodeLoginBadCredentials)
	wantStatus(t, h.client().do("POST", "/api/auth/login", map[string]string{"identifier": "ghost@example.test", "password": "wrong password 2"}), 400, loginui.CodeLoginBadCredentials)
	tk := h.loginBearer("xena@example.test", testPassword)
	r := h.client().do("POST", "/api/auth/refresh", map[string]string{"refresh_token": tk.RefreshToken})
	wantStatus(t, r, 200, "")
	wantStatus(t, h.client().do("POST", "/api/auth/refresh", map[string]string{"refresh_token": tk.RefreshToken}), 401, loginui.CodeRefreshTokenInvalid)
	wantStatus(t, h.client().do("POST", "/api/auth/forgot-password", map[string]string{"email": "xena@example.test"}), 202, "")
	reset := tokenOf(t, h.mail.next(t, loginui.EventReset).Link)
	wantStatus(t, h.client().do("POST", "/api/auth/reset-password", map[string]string{"token": reset, "password": "the new password"}), 200, "")
	wantStatus(t, h.client().do("POST", "/api/auth/register", map[string]string{"email": "yuri@example.test", "password": "yuri's password"}), 202, "")

	logs := h.logs.String()
	if !strings.Contains(logs, `"audit":"login_failed"`) || !strings.Contains(logs, "identifier_digest") {
		t.Fatalf("failed-login audit with digest missing:\n%s", logs)
	}
	for _, bad := range []string{
		"xena@", "ghost@", "yuri@", "example.test",
		testPassword, "wrong password", "the new password", "yuri's password",
		tk.AccessToken, tk.RefreshToken, reset, c.cookie("gatehouse_session"), c.csrf,
		string(secret("th").Bytes()), string(secret("te").Bytes()),
	} {
		if strings.Contains(logs, bad) {
			t.Errorf("log contains %q", bad)
		}
	}
}

func TestFailedLoginDigestOnlyWithTelemetry(t *testing.T) {
	h := newHarness(t, nil)
	wantStatus(t, h.client().do("POST", "/api/auth/login", map[string]string{"identifier": "zed@example.test", "password": "wrong password"}), 400, loginui.CodeLoginBadCredentials)
	logs := h.logs.String()
	if !strings.Contains(logs, "login_failed") || strings.Contains(logs, "identifier_digest") || strings.Contains(logs, "zed@") {
		t.Fatalf("log: %s", logs)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	h := newHarness(t, nil)
	base := h.opts
	for _, tc := range []struct {
		name string
		mod  func(o *loginui.Options)
	}{
		{"short csrf secret", func(o *loginui.Options) { o.Secrets.CSRF = signing.NewSecret([]byte("short")) }},
		{"no token hash", func(o *loginui.Options) { o.Secrets.TokenHash = signing.Secret{} }},
		{"short telemetry", func(o *loginui.Options) { o.Secrets.Telemetry = signing.NewSecret([]byte("x")) }},
		{"no users", func(o *loginui.Options) { o.Users = nil }},
		{"bad public url", func(o *loginui.Options) { o.PublicURL = "ftp://x" }},
		{"public url with path", func(o *loginui.Options) { o.PublicURL = "https://a.test/x" }},
		{"cookie name", func(o *loginui.Options) { o.CookieName = "bad name;" }},
		{"rate limit without window", func(o *loginui.Options) {
			o.RateLimits = map[string]loginui.RateLimit{loginui.SlotLogin: {Max: 1}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			tc.mod(&o)
			if _, err := loginui.New(o); err == nil {
				t.Fatal("New accepted bad options")
			}
		})
	}
}
