//go:build !race

package verifier_test

import (
	"net"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/keystore/memory"
	"github.com/gatehouse/gatehouse/metrics"
	"github.com/gatehouse/gatehouse/verifier"
)

// TestZeroAllocsDecisionsWithMetrics runs the decisions the server serves
// most (an allowed cookie, HS256 JWT and API key, and a 401 deny) through
// the full handler with the Prometheus observer attached, as internal/serve
// wires it: none may allocate once the caches and series are warm.
func TestZeroAllocsDecisionsWithMetrics(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	e := newEnv(t, func(o *verifier.Options) { o.Metrics = metrics.New() })
	raw, _, _ := e.apiKey(aliceID, []string{"read"}, nil)
	const u = "https://app.example.test/api/items?limit=10"
	cases := []struct {
		name   string
		req    *fasthttp.Request
		status int
	}{
		{"cookie", withCookie(fwd("traefik", "GET", "https://app.example.test/portal/x"), e.session(aliceID, nil)), 200},
		{"hs256 jwt", bearer(fwd("traefik", "GET", u), e.jwt(aliceID)), 200},
		{"api key", bearer(fwd("traefik", "GET", u), raw), 200},
		{"401 without credential", fwd("traefik", "GET", u), 401},
		{"401 bad jwt", bearer(fwd("traefik", "GET", u), "eyJhbGciOiJIUzI1NiJ9.e30.AAAA"), 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ctx fasthttp.RequestCtx
			ctx.Init(c.req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, nil)
			e.v.Handler(&ctx) // warm caches, pools and metric series
			if got := ctx.Response.StatusCode(); got != c.status {
				t.Fatalf("warm-up status %d, want %d: %s", got, c.status, ctx.Response.Body())
			}
			n := testing.AllocsPerRun(200, func() {
				e.v.Handler(&ctx)
				if ctx.Response.StatusCode() != c.status {
					t.Fatal("status changed")
				}
			})
			if n != 0 {
				t.Fatalf("%v allocations per decision, want 0", n)
			}
		})
	}
}

// TestZeroAllocsSignedReplay runs a signed request through the handler
// with the in-process nonce store, then measures its replay: the whole
// check (Authorization parse, canonical request, HMAC with the cached key,
// nonce lookup) up to the 401 must not allocate. (A fresh nonce adds one
// map insert, amortised growth of the nonce table.)
func TestZeroAllocsSignedReplay(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	e := newEnv(t, func(o *verifier.Options) { o.Nonces = memory.New(memory.Options{Clock: o.Now}) })
	keyID, secret := e.signingKey(aliceID, []string{"read"})
	req := e.signed(t, keyID, secret, signReq{dialect: "traefik", method: "GET", url: "https://app.example.test/api/items?b=2&a=1&limit=10"})
	var ctx fasthttp.RequestCtx
	ctx.Init(req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, nil)
	e.v.Handler(&ctx)
	if got := ctx.Response.StatusCode(); got != 200 {
		t.Fatalf("first use: status %d: %s", got, ctx.Response.Body())
	}
	e.v.Handler(&ctx) // warm the deny path
	n := testing.AllocsPerRun(200, func() {
		e.v.Handler(&ctx)
		if ctx.Response.StatusCode() != 401 {
			t.Fatal("replay not refused")
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations per replayed signed request, want 0", n)
	}
}

// TestZeroAllocsAssertion: with Gatehouse-Assertion on, an allowed
// decision signs a fresh EdDSA assertion into the request's scratch and
// still allocates nothing. This is why the assertion is not created with
// golang-jwt like the tokens gatehouse issues on login (docs/design.md
// "Access JWT"): its header map and encoding/json would allocate per
// request.
func TestZeroAllocsAssertion(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	e := newEnv(t, func(o *verifier.Options) {
		o.Metrics = metrics.New()
		o.Assertion = &verifier.AssertionOptions{Key: edPriv(t), KeyID: "assert1"}
	})
	var ctx fasthttp.RequestCtx
	ctx.Init(bearer(fwd("traefik", "GET", "https://app.example.test/api/items"), e.jwt(aliceID)), &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, nil)
	e.v.Handler(&ctx)
	if ctx.Response.StatusCode() != 200 {
		t.Fatalf("warm-up status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	verifyAssertion(t, string(ctx.Response.Header.Peek("Gatehouse-Assertion")), aliceID)
	n := testing.AllocsPerRun(200, func() {
		e.v.Handler(&ctx)
		if ctx.Response.StatusCode() != 200 || len(ctx.Response.Header.Peek("Gatehouse-Assertion")) == 0 {
			t.Fatal("decision changed")
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations per decision with an assertion, want 0", n)
	}
}
