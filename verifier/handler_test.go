package verifier_test

import (
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/verifier"
)

func TestDialectAllowShapes(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.jwt(aliceID)
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			h := wantAllow(t, e.do(bearer(fwd(d, "POST", "https://app.example.test/api/items?x=1"), tok)))
			want := map[string]string{
				"Remote-User": aliceEmail, "Remote-User-Id": aliceID, "Remote-Email": aliceEmail,
				"Remote-Name": "Alice A.", "Remote-Groups": "admin,read", "Remote-Auth-Method": "jwt",
				"Remote-Api-Key-Id": "", "Remote-Scopes": "", "Remote-Content-Sha256": "",
			}
			for k, v := range want {
				if got := h.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestDialectDenyShapes(t *testing.T) {
	e := newEnv(t, nil)
	const html = "text/html,application/xhtml+xml"
	rd := url.QueryEscape("https://app.example.test/dash?a=1")
	cases := []struct {
		name, dialect, method string
		accept, xrw, fetch    string
		status                int
		location              bool
	}{
		{"nginx api", "nginx", "GET", "application/json", "", "", 401, false},
		{"nginx browser", "nginx", "GET", html, "", "navigate", 401, true},
		{"nginx browser post", "nginx", "POST", html, "", "", 401, true},
		{"traefik browser get", "traefik", "GET", html, "", "", 302, true},
		{"traefik browser head", "traefik", "HEAD", html, "", "", 302, true},
		{"traefik browser post", "traefik", "POST", html, "", "", 303, true},
		{"traefik xhr", "traefik", "GET", html, "XMLHttpRequest", "", 401, false},
		{"traefik fetch cors", "traefik", "GET", html, "", "cors", 401, false},
		{"traefik api", "traefik", "GET", "*/*", "", "", 401, false},
		{"caddy browser get", "caddy", "GET", html, "", "", 302, true},
		{"caddy browser put", "caddy", "PUT", html, "", "", 303, true},
		{"envoy browser get", "envoy", "GET", html, "", "navigate", 302, true},
		{"envoy browser delete", "envoy", "DELETE", html, "", "", 303, true},
		{"envoy api", "envoy", "GET", "application/json", "", "", 401, false},
		{"haproxy browser", "haproxy", "GET", html, "", "", 302, true},
		{"haproxy api", "haproxy", "POST", "", "", "", 401, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := fwd(c.dialect, c.method, "https://app.example.test/dash?a=1")
			if c.accept != "" {
				req.Header.Set("Accept", c.accept)
			}
			if c.xrw != "" {
				req.Header.Set("X-Requested-With", c.xrw)
			}
			if c.fetch != "" {
				req.Header.Set("Sec-Fetch-Mode", c.fetch)
			}
			a := e.do(req)
			if a.status != c.status {
				t.Fatalf("status %d, want %d", a.status, c.status)
			}
			loc := a.header.Get("Location")
			if c.location {
				if want := publicURL + "/login?rd=" + rd; loc != want {
					t.Fatalf("Location %q, want %q", loc, want)
				}
			} else if loc != "" {
				t.Fatalf("unexpected Location %q", loc)
			}
			if c.status == 401 {
				if a.code() != "AUTHENTICATION_FAILED" {
					t.Fatalf("code %q", a.code())
				}
				if got := a.header.Get("Www-Authenticate"); got != `Bearer realm="gatehouse"` {
					t.Fatalf("WWW-Authenticate %q", got)
				}
				if ct := a.header.Get("Content-Type"); ct != "application/json" {
					t.Fatalf("Content-Type %q", ct)
				}
			}
		})
	}
}

func TestDenyStatusPerReason(t *testing.T) {
	e := newEnv(t, nil)
	cases := []struct {
		name, url, tok string
		status         int
		code           string
	}{
		{"deny rule", "https://app.example.test/forbidden/x", e.jwt(aliceID), 403, "AUTHORIZATION_DENIED"},
		{"default deny", "https://other.example.test/x", "", 401, "AUTHENTICATION_FAILED"},
		{"missing role", "https://app.example.test/admin/", e.jwt(bobID), 403, "INSUFFICIENT_ROLES"},
		{"roles_all partial", "https://app.example.test/both/x", e.jwt(rootID), 403, "INSUFFICIENT_ROLES"},
		{"roles_all", "https://app.example.test/both/x", e.jwt(aliceID), 200, ""},
		{"not superuser", "https://app.example.test/root", e.jwt(aliceID), 403, "INSUFFICIENT_ROLES"},
		{"superuser", "https://app.example.test/root", e.jwt(rootID), 200, ""},
		{"cookie-only rule refuses jwt", "https://app.example.test/portal/", e.jwt(aliceID), 403, "AUTHORIZATION_DENIED"},
		{"verified_email", "https://app.example.test/verified/", e.jwt(bobID), 403, "AUTHORIZATION_DENIED"},
		{"verified ok", "https://app.example.test/verified/", e.jwt(aliceID), 200, ""},
		{"step_up without totp passes", "https://app.example.test/billing/x", e.jwt(aliceID), 200, ""},
		{"step_up jwt with totp", "https://app.example.test/billing/x", e.jwt(bobID), 403, "TOTP_STEPUP_REQUIRED"},
		{"require_totp without totp", "https://app.example.test/secure/x", e.jwt(aliceID), 403, "TOTP_STEPUP_REQUIRED"},
		{"jwt ignores scopes", "https://app.example.test/write/x", e.jwt(aliceID), 200, ""},
		{"regex bypass", "https://app.example.test/status/42", "", 200, ""},
		{"regex no match", "https://app.example.test/status/42x", "", 401, "AUTHENTICATION_FAILED"},
		{"wildcard host", "https://a.b.open.example.test/x", "", 200, ""},
		{"wildcard apex not matched", "https://open.example.test/x", "", 401, "AUTHENTICATION_FAILED"},
		{"host case-insensitive", "https://APP.Example.Test:8443/public/x", "", 200, ""},
		{"path case-sensitive", "https://app.example.test/PUBLIC/x", "", 401, "AUTHENTICATION_FAILED"},
		{"prefix covers bare", "https://app.example.test/admin", e.jwt(bobID), 403, "INSUFFICIENT_ROLES"},
		{"network rule from outside", "https://app.example.test/intranet/x", e.jwt(aliceID), 403, "AUTHORIZATION_DENIED"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := fwd("traefik", "GET", c.url)
			req.Header.Set("X-Forwarded-For", "203.0.113.9") // as Traefik appends it
			if c.tok != "" {
				bearer(req, c.tok)
			}
			a := e.do(req)
			if c.status == 200 {
				wantAllow(t, a)
				return
			}
			wantDeny(t, a, c.status, c.code)
		})
	}
}

func TestDefaultPolicyAuthenticatedAndBypass(t *testing.T) {
	for _, pol := range []string{"authenticated", "bypass"} {
		e := newEnv(t, func(o *verifier.Options) { o.Rules = nil; o.DefaultPolicy = pol })
		a := e.do(fwd("nginx", "GET", "https://x.example.test/"))
		if pol == "bypass" {
			wantAllow(t, a)
		} else {
			wantDeny(t, a, 401, "AUTHENTICATION_FAILED")
		}
	}
}

func TestNetworksUseTrustedHops(t *testing.T) {
	e := newEnv(t, nil)
	cases := []struct {
		xff  []string
		want int
	}{
		{[]string{"10.1.2.3"}, 200},
		{[]string{"203.0.113.9, 10.1.2.3"}, 200},
		{[]string{"10.1.2.3, 203.0.113.9"}, 403}, // client spoofed the left entry
		{[]string{"10.9.9.9", "203.0.113.9"}, 403},
		{[]string{"garbage"}, 400}, // client unknown: never the peer's address
		{nil, 400},
	}
	for _, c := range cases {
		req := fwd("haproxy", "GET", "https://app.example.test/intranet/x")
		for _, x := range c.xff {
			req.Header.Add("X-Forwarded-For", x)
		}
		a := e.do(req)
		if a.status != c.want {
			t.Errorf("XFF %q: status %d, want %d", c.xff, a.status, c.want)
		}
	}
}

func TestRedirectOnlyForValidOriginalURL(t *testing.T) {
	e := newEnv(t, nil)
	dev := newEnv(t, func(o *verifier.Options) { o.Development = true })
	cases := []struct {
		name   string
		e      *env
		url    string
		withRD bool
	}{
		{"https on cookie domain", e, "https://app.example.test/x", true},
		{"https on apex", e, "https://example.test/x", true},
		{"https on public host", e, "https://auth.example.test/account", true},
		{"http in production", e, "http://app.example.test/x", false},
		{"other domain", e, "https://evil.test/x", false},
		{"suffix trick", e, "https://evilexample.test/x", false},
		{"http loopback in dev", dev, "http://127.0.0.1:8080/x", true},
		{"http localhost in dev", dev, "http://localhost:3000/x", true},
		{"http non-loopback in dev", dev, "http://app.example.test/x", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := fwd("caddy", "GET", c.url)
			req.Header.Set("Accept", "text/html")
			a := c.e.do(req)
			if a.status != 302 {
				t.Fatalf("status %d", a.status)
			}
			loc := a.header.Get("Location")
			want := publicURL + "/login"
			if c.withRD {
				want += "?rd=" + url.QueryEscape(c.url)
			}
			if loc != want {
				t.Fatalf("Location %q, want %q", loc, want)
			}
		})
	}
}

func TestMissingOrMalformedForwardedHeadersNeverAllow(t *testing.T) {
	e := newEnv(t, nil)
	const good = "https://app.example.test/public/x"
	type mut func(r *fasthttp.Request)
	del := func(h string) mut { return func(r *fasthttp.Request) { r.Header.Del(h) } }
	dup := func(h, v string) mut { return func(r *fasthttp.Request) { r.Header.Add(h, v) } }
	set := func(h, v string) mut { return func(r *fasthttp.Request) { r.Header.Set(h, v) } }
	cases := []struct {
		dialect string
		name    string
		m       mut
	}{
		{"nginx", "no method", del("X-Original-Method")},
		{"nginx", "no url", del("X-Original-URL")},
		{"nginx", "dup url", dup("X-Original-URL", "https://app.example.test/public/y")},
		{"nginx", "relative url", set("X-Original-URL", "/public/x")},
		{"nginx", "userinfo", set("X-Original-URL", "https://user@app.example.test/public/x")},
		{"nginx", "bad scheme", set("X-Original-URL", "ftp://app.example.test/public/x")},
		{"nginx", "bad method", set("X-Original-Method", "GE T")},
		{"traefik", "no proto", del("X-Forwarded-Proto")},
		{"traefik", "dup proto", dup("X-Forwarded-Proto", "http")},
		{"traefik", "no host", del("X-Forwarded-Host")},
		{"traefik", "no uri", del("X-Forwarded-Uri")},
		{"traefik", "no method", del("X-Forwarded-Method")},
		{"traefik", "dup method", dup("X-Forwarded-Method", "POST")},
		{"traefik", "host with @", set("X-Forwarded-Host", "evil@app.example.test")},
		{"traefik", "host with /", set("X-Forwarded-Host", "app.example.test/x")},
		{"traefik", "host with space", set("X-Forwarded-Host", "app.example.test x")},
		{"traefik", "host with backslash", set("X-Forwarded-Host", `app.example.test\x`)},
		{"traefik", "empty host", set("X-Forwarded-Host", "")},
		{"haproxy", "no proto", del("X-Forwarded-Proto")},
		{"haproxy", "dup uri", dup("X-Forwarded-Uri", "/public/y")},
		{"haproxy", "uri not absolute path", set("X-Forwarded-Uri", "public/x")},
		{"haproxy", "encoded slash", set("X-Forwarded-Uri", "/public%2F..%2Fadmin")},
		{"haproxy", "encoded backslash", set("X-Forwarded-Uri", "/public/%5C")},
		{"haproxy", "encoded nul", set("X-Forwarded-Uri", "/public/%00")},
		{"haproxy", "raw backslash", set("X-Forwarded-Uri", `/public\..\admin`)},
		{"haproxy", "bad escape", set("X-Forwarded-Uri", "/public/%zz")},
		{"haproxy", "truncated escape", set("X-Forwarded-Uri", "/public/%2")},
		{"haproxy", "bad escape in query", set("X-Forwarded-Uri", "/public/x?a=%g0")},
		{"haproxy", "invalid utf-8", set("X-Forwarded-Uri", "/public/\xff\xfe")},
		{"haproxy", "control byte", set("X-Forwarded-Uri", "/public/\x01")},
		{"caddy", "no uri", del("X-Forwarded-Uri")},
		{"caddy", "no method", del("X-Forwarded-Method")},
		{"caddy", "dup host", dup("X-Forwarded-Host", "other.example.test")},
		{"envoy", "bad host", func(r *fasthttp.Request) { r.Header.SetHost("a@b") }},
		{"envoy", "encoded slash", func(r *fasthttp.Request) { r.SetRequestURI("/auth/envoy/public/%2f") }},
	}
	for _, c := range cases {
		t.Run(c.dialect+" "+c.name, func(t *testing.T) {
			req := fwd(c.dialect, "GET", good)
			c.m(req)
			wantDeny(t, e.do(req), 400, "REQUEST_INVALID")
		})
	}
	// The bare envoy prefix has no original path.
	req := fwd("envoy", "GET", good)
	req.SetRequestURI("/auth/envoy")
	if a := e.do(req); a.status == 200 {
		t.Fatal("bare /auth/envoy allowed")
	}
}

func TestPathTricksNeverReachTheWrongRule(t *testing.T) {
	e := newEnv(t, nil)
	bob := e.jwt(bobID)
	long := "/public/" + strings.Repeat("a/", 4096)
	cases := []struct {
		uri    string
		status int
	}{
		{"/public/x", 200},
		{"/public/../admin/x", 403},
		{"/public/%2e%2e/admin/x", 400},
		{"/public/%2E%2E/admin/", 400},
		{"/public/.%2e/admin", 400},
		{"/public//..//admin/x", 400},
		{"/public/./../admin", 403},
		{"/../../public/x", 200},
		{"/public/../../../admin", 403},
		{"//public/x", 200},
		{"/public", 200},
		{"/%70ublic/x", 200},
		{"/public/%2Fadmin", 400},
		{"/public/%5cadmin", 400},
		{"/public\\admin", 400},
		{"/public/%00", 400},
		{"/public/%", 400},
		{long, 200},
		{"/admin/" + strings.Repeat("b", 8192), 403},
		{"/public/x#/../../admin", 400},
		{"/admin/x?/public/", 403},
	}
	for _, c := range cases {
		name := c.uri
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			for _, d := range []string{"traefik", "envoy"} {
				req := bearer(fwd(d, "GET", "https://app.example.test/"), bob)
				if d == "traefik" {
					req.Header.Set("X-Forwarded-Uri", c.uri)
				} else {
					req.SetRequestURI("/auth/envoy" + c.uri)
				}
				a := e.do(req)
				if a.status != c.status {
					t.Fatalf("%s: status %d (%s), want %d", d, a.status, a.code(), c.status)
				}
			}
		})
	}
}

func TestSpoofedIdentityHeadersAreOverwritten(t *testing.T) {
	e := newEnv(t, nil)
	spoof := func(r *fasthttp.Request) *fasthttp.Request {
		for _, h := range identityHeaders {
			r.Header.Set(h, "spoofed")
		}
		r.Header.Set("Gatehouse-Assertion", "spoofed")
		return r
	}
	// Bypass without credential: every identity header present and empty.
	h := wantAllow(t, e.do(spoof(fwd("traefik", "GET", "https://app.example.test/public/x"))))
	for _, n := range identityHeaders {
		if h.Get(n) != "" {
			t.Fatalf("%s = %q on anonymous bypass", n, h.Get(n))
		}
	}
	// Authenticated: our values only.
	h = wantAllow(t, e.do(spoof(bearer(fwd("nginx", "GET", "https://app.example.test/x"), e.jwt(bobID)))))
	if h.Get("Remote-User-Id") != bobID || h.Get("Remote-Api-Key-Id") != "" || h.Get("Remote-Scopes") != "" {
		t.Fatalf("identity headers %v", h)
	}
	for _, n := range identityHeaders {
		if h.Get(n) == "spoofed" {
			t.Fatalf("%s echoed the client's value", n)
		}
	}
	// Bypass with an invalid credential: 200 with empty identity.
	h = wantAllow(t, e.do(bearer(fwd("caddy", "GET", "https://app.example.test/public/x"), "not-a-jwt")))
	if h.Get("Remote-User-Id") != "" || h.Get("Remote-Auth-Method") != "" {
		t.Fatalf("invalid credential reported identity: %v", h)
	}
	// Bypass with a valid credential still reports identity.
	h = wantAllow(t, e.do(bearer(fwd("caddy", "GET", "https://app.example.test/public/x"), e.jwt(aliceID))))
	if h.Get("Remote-User-Id") != aliceID {
		t.Fatalf("bypass lost identity: %v", h)
	}
}

func TestDenyNeverEchoesInput(t *testing.T) {
	e := newEnv(t, nil)
	marker := "zq9marker"
	req := fwd("traefik", "GET", "https://app.example.test/"+marker+"?"+marker+"=1")
	bearer(req, marker+".eyJ."+marker)
	req.Header.Set("Accept", "application/json")
	a := e.do(req)
	if a.status != 401 || strings.Contains(string(a.body), marker) {
		t.Fatalf("deny %d %q", a.status, a.body)
	}
	for k, vs := range a.header {
		for _, v := range vs {
			if strings.Contains(v, marker) {
				t.Fatalf("header %s echoes input: %q", k, v)
			}
		}
	}
}

func TestUntrustedProxyRefusedEverywhere(t *testing.T) {
	e := newEnv(t, nil)
	outside := &net.TCPAddr{IP: net.ParseIP("203.0.113.5"), Port: 5555}
	tok := e.jwt(aliceID)
	for _, uri := range []string{"/auth/nginx", "/auth/traefik", "/auth/caddy", "/auth/haproxy", "/auth/envoy/x", "/healthz", "/.well-known/jwks.json", "/nope"} {
		req := bearer(fwd("traefik", "GET", "https://app.example.test/public/x"), tok)
		req.Header.Set("X-Original-Method", "GET")
		req.Header.Set("X-Original-URL", "https://app.example.test/public/x")
		req.SetRequestURI(uri)
		wantDeny(t, e.doFrom(req, outside), 403, "UNTRUSTED_PROXY")
	}
	// A configured proxy network is trusted; loopback then is not.
	e2 := newEnv(t, func(o *verifier.Options) { o.TrustedProxies = mustPrefixes("203.0.113.0/24") })
	wantAllow(t, e2.doFrom(fwd("traefik", "GET", "https://app.example.test/public/x"), outside))
	wantDeny(t, e2.do(fwd("traefik", "GET", "https://app.example.test/public/x")), 403, "UNTRUSTED_PROXY")
}

func TestHealthzAndJWKS(t *testing.T) {
	e := newEnv(t, nil)
	req := &fasthttp.Request{}
	req.SetRequestURI("/healthz")
	if a := e.do(req); a.status != 200 || string(a.body) != `{"status":"ok"}` {
		t.Fatalf("healthz %d %q", a.status, a.body)
	}
	req.SetRequestURI("/.well-known/jwks.json")
	if a := e.do(req); a.status != 200 || string(a.body) != `{"keys":[]}` || a.header.Get("Content-Type") != "application/json" {
		t.Fatalf("jwks %d %q", a.status, a.body)
	}
	req.SetRequestURI("/auth/unknown")
	wantDeny(t, e.do(req), 404, "NOT_FOUND")
}

func TestReloadSwapsRulesAtomically(t *testing.T) {
	e := newEnv(t, nil)
	req := func() *fasthttp.Request { return fwd("nginx", "GET", "https://app.example.test/new/x") }
	wantDeny(t, e.do(req()), 401, "AUTHENTICATION_FAILED")
	if err := e.v.Reload([]config.Rule{{Name: "new", Paths: []string{"/new/"}, Policy: "bypass"}}, "deny"); err != nil {
		t.Fatal(err)
	}
	wantAllow(t, e.do(req()))
	bad := []config.Rule{{Name: "bad", Paths: []string{"~("}, Policy: "bypass"}, {Name: "bad2", Policy: "maybe"}}
	err := e.v.Reload(bad, "deny")
	if err == nil || !strings.Contains(err.Error(), "bad path regex") || !strings.Contains(err.Error(), "policy") {
		t.Fatalf("Reload(bad) = %v", err)
	}
	wantAllow(t, e.do(req())) // old rules still in force
}

func TestNewReportsEveryProblem(t *testing.T) {
	_, err := verifier.New(verifier.Options{
		PublicURL:     "not a url",
		DefaultPolicy: "sometimes",
		Users:         newFakeStore(time.Now),
		Sessions:      newFakeStore(time.Now),
		ForwardsBody:  []string{"lighttpd"},
	})
	if err == nil {
		t.Fatal("New accepted bad options")
	}
	for _, want := range []string{"public_url", "default_policy", "forwards_body", "token_hash"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestCookieSessions(t *testing.T) {
	e := newEnv(t, nil)
	fresh := e.session(aliceID, nil)
	expired := e.session(aliceID, func(s *keystore.Session) { s.ExpiresAt = t0.Add(-time.Second) })
	refresh := e.session(aliceID, func(s *keystore.Session) { s.Kind = "refresh" })
	inactive := e.session(carolID, nil)
	stepped := e.session(bobID, func(s *keystore.Session) { s.StepUpUntil = t0.Add(4 * time.Minute) })
	stale := e.session(bobID, func(s *keystore.Session) { s.StepUpUntil = t0.Add(-time.Second) })
	plainBob := e.session(bobID, nil)
	cases := []struct {
		name, cookie, path string
		status             int
		code               string
	}{
		{"fresh", fresh, "/x", 200, ""},
		{"expired", expired, "/x", 401, "AUTHENTICATION_FAILED"},
		{"refresh token as cookie", refresh, "/x", 401, "AUTHENTICATION_FAILED"},
		{"unknown", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "/x", 401, "AUTHENTICATION_FAILED"},
		{"oversize", strings.Repeat("a", 600), "/x", 401, "AUTHENTICATION_FAILED"},
		{"inactive user", inactive, "/x", 401, "AUTHENTICATION_FAILED"},
		{"cookie on api rule", fresh, "/api/x", 403, "AUTHORIZATION_DENIED"},
		{"cookie ignores scopes", fresh, "/write/x", 200, ""},
		{"step-up fresh", stepped, "/billing/x", 200, ""},
		{"step-up expired", stale, "/billing/x", 403, "TOTP_STEPUP_REQUIRED"},
		{"no step-up", plainBob, "/billing/x", 403, "TOTP_STEPUP_REQUIRED"},
		{"require_totp with step-up", stepped, "/secure/x", 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := e.do(withCookie(fwd("traefik", "GET", "https://app.example.test"+c.path), c.cookie))
			if c.status == 200 {
				if h := wantAllow(t, a); h.Get("Remote-Auth-Method") != "cookie" {
					t.Fatalf("method %q", h.Get("Remote-Auth-Method"))
				}
				return
			}
			wantDeny(t, a, c.status, c.code)
		})
	}
}

func TestStepUpWindowOfRule(t *testing.T) {
	// The portal's step-up marker lasts 10 min; a rule asking for a proof
	// within 5 min refuses a proof made 6 min ago.
	e := newEnv(t, func(o *verifier.Options) { o.StepUpTTL = 10 * time.Minute })
	old := e.session(bobID, func(s *keystore.Session) { s.StepUpUntil = t0.Add(4 * time.Minute) }) // proof at t0-6m
	recent := e.session(bobID, func(s *keystore.Session) { s.StepUpUntil = t0.Add(8 * time.Minute) })
	wantDeny(t, e.do(withCookie(fwd("nginx", "GET", "https://app.example.test/billing/"), old)), 403, "TOTP_STEPUP_REQUIRED")
	wantAllow(t, e.do(withCookie(fwd("nginx", "GET", "https://app.example.test/billing/"), recent)))
}

func TestPresentButInvalidCredentialDoesNotFallThrough(t *testing.T) {
	e := newEnv(t, nil)
	cookie := e.session(aliceID, nil)
	raw, _, _ := e.apiKey(aliceID, []string{"read"}, nil)
	cases := []struct {
		name string
		mut  func(*fasthttp.Request)
		code string
	}{
		{"bad jwt + cookie", func(r *fasthttp.Request) { bearer(r, "eyJhbGciOiJub25lIn0.e30."); withCookie(r, cookie) }, "AUTHENTICATION_FAILED"},
		{"bad api key + cookie", func(r *fasthttp.Request) { bearer(r, "ak_prod_zzz.yyy"); withCookie(r, cookie) }, "API_KEY_INVALID"},
		{"bad x-api-key + jwt", func(r *fasthttp.Request) { r.Header.Set("X-API-Key", "nope"); bearer(r, e.jwt(aliceID)) }, "API_KEY_INVALID"},
		{"bad signature + api key", func(r *fasthttp.Request) {
			r.Header.Set("Authorization", "LSA1-HMAC-SHA256 Credential=x, SignedHeaders=host, Signature=00")
			r.Header.Set("X-API-Key", raw)
		}, "API_KEY_SIGNATURE_INVALID"},
		{"two authorization headers", func(r *fasthttp.Request) {
			r.Header.Add("Authorization", "Bearer "+e.jwt(aliceID))
			r.Header.Add("Authorization", "Bearer "+e.jwt(aliceID))
		}, "AUTHENTICATION_FAILED"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := fwd("envoy", "GET", "https://app.example.test/x")
			c.mut(req)
			wantDeny(t, e.do(req), 401, c.code)
		})
	}
}

func TestAssertionHeader(t *testing.T) {
	e := newEnv(t, func(o *verifier.Options) {
		o.Assertion = &verifier.AssertionOptions{Key: edPriv(t), KeyID: "assert1"}
	})
	h := wantAllow(t, e.do(bearer(fwd("nginx", "GET", "https://app.example.test/x"), e.jwt(aliceID))))
	verifyAssertion(t, h.Get("Gatehouse-Assertion"), aliceID)
	h = wantAllow(t, e.do(fwd("nginx", "GET", "https://app.example.test/public/x")))
	if v, ok := h["Gatehouse-Assertion"]; !ok || v[0] != "" {
		t.Fatalf("anonymous assertion %q", v)
	}
}
