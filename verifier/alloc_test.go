//go:build !race

package verifier_test

import (
	"net"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/keystore"
)

// allocsThroughHandler runs one warm decision repeatedly on a reused
// RequestCtx and reports allocations per decision.
func allocsThroughHandler(t *testing.T, e *env, req *fasthttp.Request) float64 {
	t.Helper()
	var ctx fasthttp.RequestCtx
	ctx.Init(req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, nil)
	e.v.Handler(&ctx) // warm the caches and pools
	if ctx.Response.StatusCode() != 200 {
		t.Fatalf("warm-up status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	return testing.AllocsPerRun(200, func() {
		e.v.Handler(&ctx)
		if ctx.Response.StatusCode() != 200 {
			t.Fatal("decision not allowed")
		}
	})
}

func TestZeroAllocsAllowedDecisions(t *testing.T) {
	e := newEnv(t, nil)
	raw, _, _ := e.apiKey(aliceID, []string{"read"}, nil)
	cases := []struct {
		name string
		req  *fasthttp.Request
	}{
		{"hs256 jwt nginx", bearer(fwd("nginx", "GET", "https://app.example.test/api/items?x=1"), e.jwt(aliceID))},
		{"hs256 jwt traefik", bearer(fwd("traefik", "POST", "https://app.example.test/api/items"), e.jwt(aliceID))},
		{"hs256 jwt envoy", bearer(fwd("envoy", "GET", "https://app.example.test/api/items"), e.jwt(aliceID))},
		{"hs256 jwt in a refresh chain", bearer(fwd("nginx", "GET", "https://app.example.test/api/items"), e.jwtInChain(aliceID, "0123456789abcdef0123456789abcdef"))},
		{"session cookie traefik", func() *fasthttp.Request {
			r := fwd("traefik", "GET", "https://app.example.test/portal/x")
			r.Header.Set("Cookie", "theme=dark; gatehouse_session="+e.session(aliceID, nil)+"; lang=en")
			return r
		}()},
		{"api key caddy", bearer(fwd("caddy", "GET", "https://app.example.test/api/items"), raw)},
		{"api key haproxy x-api-key", func() *fasthttp.Request {
			r := fwd("haproxy", "GET", "https://app.example.test/api/items")
			r.Header.Set("X-API-Key", raw)
			return r
		}()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if n := allocsThroughHandler(t, e, c.req); n != 0 {
				t.Fatalf("%v allocations per allowed decision, want 0", n)
			}
		})
	}
}

// TestZeroAllocsAuthMethodsAndStepUpRules: a cookie through an
// auth_methods rule (the factors are parsed once, into the cached session
// snapshot) and through a step_up rule for a user without TOTP (the
// cached "has passkeys" answer) allocates nothing.
func TestZeroAllocsAuthMethodsAndStepUpRules(t *testing.T) {
	e := newEnv(t, authMethodRules)
	cookie := func(method string) string {
		return e.session(aliceID, func(s *keystore.Session) { s.AuthMethod = method })
	}
	cases := []struct{ name, path, cookie string }{
		{"auth_methods passkey", "/am-passkey/x", cookie("passkey+uv")},
		{"auth_methods totp or passkey", "/am-2fa/x", cookie("password+totp")},
		{"auth_methods any", "/am-any/x", cookie("oauth:github")},
		{"step_up, no totp, no passkey", "/billing/x", cookie("password")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := fwd("nginx", "GET", "https://app.example.test"+c.path)
			r.Header.Set("Cookie", "gatehouse_session="+c.cookie)
			if n := allocsThroughHandler(t, e, r); n != 0 {
				t.Fatalf("%v allocations per allowed decision, want 0", n)
			}
		})
	}
}
