package integration

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/hydratest"
)

// hydraAudience is the audience gatehouse's external_jwt issuer accepts.
const hydraAudience = "gatehouse-it"

// TestExternalJWTAgainstHydra runs external_jwt against a real OpenID
// provider, ORY Hydra (internal/hydratest), found by discovery at its
// loopback issuer URL (plain http: development mode). Two gatehouses
// trust it: "cached" keeps Hydra's key set for an hour (Hydra sends
// no-store, so the lifetime is min_ttl) and learns new keys only when a
// token names an unknown kid; "ttl" keeps it one second, so it follows
// Hydra by Cache-Control/min_ttl alone. Requests to "cached" go through the
// real Traefik (the config `gatehouse proxyconf traefik` prints) to an echo
// upstream; those to "ttl" ask /auth/traefik directly.
//
//  1. client A's access token passes as A: Remote-User = client id (sub),
//     Remote-Auth-Method external_jwt, Remote-Issuer = Hydra's issuer;
//     client B's token (same audience) is refused (403) by the rule whose
//     claims name A, not passed on to the catch-all rule after it; client
//     C's token (another audience) is refused (401);
//  2. Hydra rotates its signing key and the old key leaves its JWKS:
//     "ttl" refuses A's old token after its next refresh; "cached" still
//     takes it (no fetch per request) until A's new token, whose kid it
//     does not know, makes it refresh, and then refuses it;
//  3. Hydra rotates again and stops: "cached" still takes the token of
//     the key it holds, refuses the token with the new kid with 503 (it
//     cannot fetch the key, fail closed), and counts the failed fetch in
//     /metrics; "ttl" keeps answering from its expired set (stale_for).
func TestExternalJWTAgainstHydra(t *testing.T) {
	needGatehouse(t)
	traefikBinary(t) // before Hydra: skip (or build) early
	h := hydratest.Start(t)
	a := h.CreateClient(t, hydraAudience)
	b := h.CreateClient(t, hydraAudience)
	c := h.CreateClient(t, "another-api")

	rules := fmt.Sprintf(`  - name: deploy-by-a
    paths: ["/m2m/"]
    policy: authenticated
    credentials: [external_jwt]
    issuers: [%q]
    claims: {client_id: %q}
`, h.Issuer(), a.ID)
	external := func(ttl string) string {
		return fmt.Sprintf(`external_jwt:
  issuers:
    - issuer: %q
      discovery: true
      audiences: [%s]
      jwks: {min_ttl: %s, max_ttl: %s}
`, h.Issuer(), hydraAudience, ttl, ttl)
	}
	cached := startGatehouseWith(t, rules, external("1h"))
	ttl := startGatehouseWith(t, rules, external("1s"))
	up := startUpstream(t)
	base := startTraefik(t, cliRenderer(cached), up.srv.URL)

	through := func(t *testing.T, tok, path string) result {
		t.Helper()
		return call(t, http.MethodGet, base+path, with(apiHeaders, "Authorization", "Bearer "+tok))
	}
	wantStatus := func(t *testing.T, what string, r result, want int) {
		t.Helper()
		if r.resp.StatusCode != want || (want != http.StatusOK && r.resp.Header.Get("X-Echo") != "") {
			t.Fatalf("%s: status %d (upstream reached: %v), want %d; body %.200s", what, r.resp.StatusCode, r.resp.Header.Get("X-Echo") != "", want, r.body)
		}
	}

	tokA1 := h.Token(t, a)
	t.Run("client A passes with its mapped identity", func(t *testing.T) {
		// A forged Remote-Issuer must not survive either.
		e := upstreamSaw(t, call(t, http.MethodGet, base+"/m2m/deploy",
			with(apiHeaders, "Authorization", "Bearer "+tokA1, "Remote-Issuer", "https://evil.example.test/", "Remote-User", "evil")))
		wantOnly(t, e, "Remote-User", a.ID)
		wantOnly(t, e, "Remote-Auth-Method", "external_jwt")
		wantOnly(t, e, "Remote-Issuer", h.Issuer())
		if st, hdr := askVerifier(t, ttl, "/app/page", tokA1); st != http.StatusOK || hdr.Get("Remote-Issuer") != h.Issuer() {
			t.Fatalf("ttl gatehouse: %d, Remote-Issuer %q; want 200 from %s", st, hdr.Get("Remote-Issuer"), h.Issuer())
		}
	})
	t.Run("client B is refused by the claims rule", func(t *testing.T) {
		tokB := h.Token(t, b)
		wantStatus(t, "B on /m2m/", through(t, tokB, "/m2m/deploy"), http.StatusForbidden)
		e := upstreamSaw(t, through(t, tokB, "/app/page"))
		wantOnly(t, e, "Remote-User", b.ID)
	})
	t.Run("client C of another audience is refused", func(t *testing.T) {
		tokC := h.Token(t, c)
		wantStatus(t, "C", through(t, tokC, "/app/page"), http.StatusUnauthorized)
	})
	if t.Failed() {
		return
	}

	h.RotateSigningKey(t)
	tokA2 := h.Token(t, a)
	t.Run("after a key rotation the old key's token is refused", func(t *testing.T) {
		// A kid the set does not hold is 503 (README "Machine-to-machine
		// tokens": the key may be newer than the set).
		eventually(t, 30*time.Second, "ttl gatehouse refuses the old key's token after its refresh", func() (bool, string) {
			st, _ := askVerifier(t, ttl, "/app/page", tokA1)
			return st == http.StatusServiceUnavailable, fmt.Sprintf("status %d", st)
		})
		// Within its hour the cached gatehouse has not fetched again.
		upstreamSaw(t, through(t, tokA1, "/m2m/deploy"))
		eventually(t, 30*time.Second, "cached gatehouse takes the new key's token after the unknown-kid refresh", func() (bool, string) {
			r := through(t, tokA2, "/m2m/deploy")
			return r.resp.StatusCode == http.StatusOK, fmt.Sprintf("status %d", r.resp.StatusCode)
		})
		wantStatus(t, "old key's token after the refresh", through(t, tokA1, "/m2m/deploy"), http.StatusServiceUnavailable)
		if n := metricValue(t, cached, "gatehouse_jwks_unknown_kid_refreshes_total", h.Issuer()); n < 1 {
			t.Errorf("gatehouse_jwks_unknown_kid_refreshes_total = %v, want at least 1", n)
		}
	})
	if t.Failed() {
		return
	}

	h.RotateSigningKey(t)
	tokA3 := h.Token(t, a)
	h.Stop()
	t.Run("with Hydra stopped cached keys work and a new kid is 503", func(t *testing.T) {
		upstreamSaw(t, through(t, tokA2, "/m2m/deploy"))
		// The new kid asks for a refresh (at most one per 10 s, and the
		// last was granted in the step before), which fails: every answer
		// is 503 until then and after.
		eventually(t, 30*time.Second, "the refresh the new kid asks for is tried and fails", func() (bool, string) {
			wantStatus(t, "the new kid's token", through(t, tokA3, "/m2m/deploy"), http.StatusServiceUnavailable)
			n := metricValue(t, cached, "gatehouse_jwks_fetch_failures_total", h.Issuer())
			return n >= 1, fmt.Sprintf("%v failed fetches", n)
		})
		wantStatus(t, "the new kid's token after the failed fetch", through(t, tokA3, "/m2m/deploy"), http.StatusServiceUnavailable)
		upstreamSaw(t, through(t, tokA2, "/m2m/deploy"))
	})
	t.Run("with Hydra stopped an expired key set stays usable for stale_for", func(t *testing.T) {
		// A fetch has failed and the last good set is past its 1 s.
		eventually(t, 30*time.Second, "ttl gatehouse's set expires while its fetches fail", func() (bool, string) {
			n := metricValue(t, ttl, "gatehouse_jwks_fetch_failures_total", h.Issuer())
			fetched := metricValue(t, ttl, "gatehouse_jwks_fetched_timestamp_seconds", h.Issuer())
			age := float64(time.Now().UnixNano())/1e9 - fetched
			return n >= 1 && age > 1.5, fmt.Sprintf("%v failures, set fetched %.1f s ago", n, age)
		})
		// Its last set held the second key, the third, or both (the
		// rotation adds before it deletes): one of the tokens passes.
		st2, _ := askVerifier(t, ttl, "/app/page", tokA2)
		st3, _ := askVerifier(t, ttl, "/app/page", tokA3)
		if st2 != http.StatusOK && st3 != http.StatusOK {
			t.Fatalf("statuses %d and %d: the expired set was not used while Hydra is down", st2, st3)
		}
	})
}

// askVerifier asks g's /auth/traefik directly, as Traefik would for
// GET http://127.0.0.1<path> with the bearer token, and returns the status
// and the answer's headers.
func askVerifier(t *testing.T, g *gatehouse, path, token string) (int, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+g.verifier+"/auth/traefik", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"X-Forwarded-Method": "GET", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "127.0.0.1",
		"X-Forwarded-Uri": path, "X-Forwarded-For": "127.0.0.1", "Accept": "application/json",
		"Authorization": "Bearer " + token,
	} {
		req.Header.Set(k, v)
	}
	resp, err := noRedirectClient.Do(req)
	if err != nil {
		t.Fatalf("/auth/traefik: %v", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, resp.Header
}

// eventually polls cond every 100 ms until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	last := ""
	for {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s (last: %s)", what, within, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// metricValue reads one series of g's /metrics labelled issuer=iss; a
// missing series fails the test.
func metricValue(t *testing.T, g *gatehouse, name, iss string) float64 {
	t.Helper()
	resp, err := noRedirectClient.Get("http://" + g.admin + "/metrics")
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	defer resp.Body.Close()
	prefix := name + `{issuer="` + iss + `"} `
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 4<<20))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %q is not a number", name, v)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no %s for issuer %s", name, iss)
	return 0
}
