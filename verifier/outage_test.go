package verifier_test

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/verifier"
)

// TestStoreOutageFailsClosed: every credential kind answers 503
// TOKEN_PROCESSING_FAILED, never 200, when the store errors or hangs, and
// a hanging store is cut off by StoreTimeout.
func TestStoreOutageFailsClosed(t *testing.T) {
	const timeout = 50 * time.Millisecond
	for _, mode := range []string{"error", "hang"} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, func(o *verifier.Options) { o.StoreTimeout = timeout })
			cookie := e.session(aliceID, nil)
			jwt := e.jwt(aliceID)
			raw, _, _ := e.apiKey(aliceID, []string{"read"}, nil)
			keyID, secret := e.signingKey(aliceID, []string{"read"})
			const u = "https://app.example.test/api/x"
			reqs := map[string]func() *fasthttp.Request{
				"cookie": func() *fasthttp.Request { return withCookie(fwd("nginx", "GET", "https://app.example.test/x"), cookie) },
				"jwt":    func() *fasthttp.Request { return bearer(fwd("traefik", "GET", u), jwt) },
				"apikey": func() *fasthttp.Request { return bearer(fwd("caddy", "GET", u), raw) },
				"signed": func() *fasthttp.Request {
					return e.signed(t, keyID, secret, signReq{dialect: "envoy", method: "GET", url: u})
				},
			}
			e.st.setMode(mode)
			for name, mk := range reqs {
				start := time.Now()
				a := e.do(mk())
				took := time.Since(start)
				if a.status != 503 || a.code() != "TOKEN_PROCESSING_FAILED" {
					t.Fatalf("%s: %d %s, want 503 TOKEN_PROCESSING_FAILED", name, a.status, a.code())
				}
				if took > timeout+500*time.Millisecond {
					t.Fatalf("%s: took %v with StoreTimeout %v", name, took, timeout)
				}
			}
			// Under bypass an outage still answers 200, with no identity.
			h := wantAllow(t, e.do(bearer(fwd("nginx", "GET", "https://app.example.test/public/x"), jwt)))
			if h.Get("Remote-User-Id") != "" {
				t.Fatalf("identity during outage: %v", h)
			}
			// Recovery: the failure was not cached.
			e.st.setMode("")
			for name, mk := range reqs {
				if a := e.do(mk()); a.status != 200 {
					t.Fatalf("%s after recovery: %d %s", name, a.status, a.code())
				}
			}
		})
	}
}

// TestWarmCacheSurvivesOutageBriefly documents the trade-off of the
// snapshot cache: within CacheTTL a known user is served from memory, and
// after it the outage shows as 503.
func TestWarmCacheSurvivesOutageBriefly(t *testing.T) {
	e := newEnv(t, func(o *verifier.Options) { o.StoreTimeout = 20 * time.Millisecond })
	jwt := e.jwt(aliceID)
	req := func() *fasthttp.Request { return bearer(fwd("nginx", "GET", "https://app.example.test/x"), jwt) }
	wantAllow(t, e.do(req()))
	e.st.setMode("error")
	wantAllow(t, e.do(req()))
	e.clk.Advance(1001 * time.Millisecond)
	wantDeny(t, e.do(req()), 503, "TOKEN_PROCESSING_FAILED")
}
