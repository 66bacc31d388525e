//go:build !race

package verifier_test

import (
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/metrics"
	"github.com/gatehouse/gatehouse/verifier"
)

// TestZeroAllocsExternalJWTCacheHit: an external token served from the
// verified-token cache (issuer lookup, key re-check, times, rule claims
// and issuers, scopes, identity headers) allocates nothing.
func TestZeroAllocsExternalJWTCacheHit(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	x := newExtEnv(t, func(a, _ *config.ExternalIssuer, o *verifier.Options) {
		a.Audiences = append(a.Audiences, "https://github.com/acme")
		o.Metrics = metrics.New()
	})
	gh := mint(t, jwt.SigningMethodRS256, rsaA, "a1", x.ghClaims(extIssA, "groups", []string{"dev", "sre"}, "scope", "read write"))
	k8s := mint(t, jwt.SigningMethodES256, ecA, "a-ec", x.k8sClaims(extIssA, "aud", []string{extAud}))
	req := func(d, method, path, tok string) *fasthttp.Request {
		return bearer(fwd(d, method, "https://"+appHost+path), tok)
	}
	cases := []struct {
		name string
		req  *fasthttp.Request
	}{
		{"rs256 nginx", req("nginx", "GET", "/m2m/x", x.tokA("groups", []string{"ops"}, "name", "Bot", "email", "b@x.test"))},
		{"es256 traefik", req("traefik", "GET", "/m2m/x", mint(t, jwt.SigningMethodES256, ecA, "a-ec", x.claims(extIssA)))},
		{"claims exact", req("envoy", "POST", "/deploy", gh)},
		{"claims regex", req("caddy", "GET", "/deploy", gh)},
		{"claims list", req("haproxy", "GET", "/ops/", gh)},
		{"claims json pointer", req("nginx", "GET", "/k8s/x", k8s)},
		{"issuers", req("nginx", "GET", "/only-a/x", gh)},
		{"scopes", req("nginx", "GET", "/m2m-read/x", gh)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if n := allocsThroughHandler(t, x.env, c.req); n != 0 {
				t.Fatalf("%v allocations per cached external decision, want 0", n)
			}
		})
	}
}

// TestZeroAllocsOwnJWTWithExternalIssuers: configuring external issuers
// adds the unverified-iss lookup to own tokens, and nothing allocated.
func TestZeroAllocsOwnJWTWithExternalIssuers(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	x := newExtEnv(t, func(_, _ *config.ExternalIssuer, o *verifier.Options) { o.Metrics = metrics.New() })
	for _, d := range []string{"nginx", "traefik"} {
		r := bearer(fwd(d, "GET", "https://app.example.test/api/items"), x.jwt(aliceID))
		if n := allocsThroughHandler(t, x.env, r); n != 0 {
			t.Fatalf("%s: %v allocations per own-JWT decision, want 0", d, n)
		}
	}
}
