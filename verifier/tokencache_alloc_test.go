//go:build !race

package verifier_test

import (
	"testing"
	"time"
)

// TestZeroAllocsTokenCacheHit: an asymmetric JWT the cache has seen is
// decided without allocating (the miss that fills the cache allocates; an
// ES256 verification alone allocates several big.Ints).
func TestZeroAllocsTokenCacheHit(t *testing.T) {
	ce := newCacheEnv(t, nil)
	for _, alg := range cacheAlgs {
		t.Run(alg, func(t *testing.T) {
			tok := ce.token(alg, aliceID, "", "0123456789abcdef0123456789abcdef", 15*time.Minute)
			req := bearer(fwd("traefik", "GET", "https://app.example.test/api/items"), tok)
			if n := allocsThroughHandler(t, ce.env, req); n != 0 {
				t.Fatalf("%v allocations per cached %s decision, want 0", n, alg)
			}
			if !ce.v.TokenCached(tok) {
				t.Fatal("the measured decisions were not cache hits")
			}
		})
	}
}
