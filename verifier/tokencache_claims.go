package verifier

import (
	"math"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

// cloneClaims copies what checkJWT reads out of verified claims into one
// buffer of its own, so a cached entry never aliases a JWTScratch or the
// request. Payload is not kept (the hot path does not read it); the
// sub-slices are capped so no append can reach a neighbour.
func cloneClaims(c *signing.AccessClaims) signing.AccessClaims {
	buf := make([]byte, 0, len(c.Sub)+len(c.JTI)+len(c.SFP)+len(c.SID)+len(c.KeyID))
	part := func(b []byte) []byte {
		if len(b) == 0 {
			return nil
		}
		start := len(buf)
		buf = append(buf, b...)
		return buf[start:len(buf):len(buf)]
	}
	return signing.AccessClaims{
		Sub:       part(c.Sub),
		JTI:       part(c.JTI),
		SFP:       part(c.SFP),
		SID:       part(c.SID),
		KeyID:     part(c.KeyID),
		IssuedAt:  c.IssuedAt,
		NotBefore: c.NotBefore,
		ExpiresAt: c.ExpiresAt,
		Alg:       c.Alg,
	}
}

// cacheToken keeps the claims of a token checkJWT has just accepted, until
// min(now + Options.TokenCacheTTL, the token's exp).
func (v *Verifier) cacheToken(token []byte, c *signing.AccessClaims, now int64) {
	if v.tokens == nil {
		return
	}
	until := int64(math.MaxInt64)
	if c.ExpiresAt < math.MaxInt64/int64(time.Second) {
		until = c.ExpiresAt * int64(time.Second)
	}
	v.tokens.put(token, cloneClaims(c), c.JTI, c.SID, until, now)
}
