package verifier

import (
	"hash/maphash"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

// Test hooks into the verified-token cache, for the API tests in
// package verifier_test.

// TokenCached reports whether tok has a live cache entry now.
func (v *Verifier) TokenCached(tok string) bool {
	var c signing.AccessClaims
	return v.tokens.get([]byte(tok), v.now().UnixNano(), &c)
}

// TokenCacheLen counts the cache's entries.
func (v *Verifier) TokenCacheLen() int { return v.tokens.len() }

// CollideTokenHashes makes every token hash to the same value, so every
// lookup lands on whichever token was cached last.
func (v *Verifier) CollideTokenHashes() {
	v.tokens.hash = func(maphash.Seed, []byte) uint64 { return 0x5eed }
}

// CacheTokenUntil verifies tok now and caches its claims until until,
// even past the token's exp (which the verifier itself never does), to
// check that a hit still applies the time window.
func (v *Verifier) CacheTokenUntil(tok string, until time.Time) error {
	var s signing.JWTScratch
	var c signing.AccessClaims
	now := v.now()
	if err := v.jwt.Verify([]byte(tok), now, &s, &c); err != nil {
		return err
	}
	v.tokens.put([]byte(tok), cloneClaims(&c), c.JTI, c.SID, until.UnixNano(), now.UnixNano())
	return nil
}
