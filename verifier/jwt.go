package verifier

import (
	"crypto/subtle"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

// checkJWT verifies a gatehouse access token: signature, typ, alg, claims
// (signing.JWTVerifier), then the jti and refresh-chain denylist, an active
// user and the session fingerprint of the user's current email and
// password hash. A token in the verified-token cache skips only the
// signature check and the parse: its time window is checked again, and
// everything after that runs as for a fresh token.
func (v *Verifier) checkJWT(s *scratch, token []byte, now int64) Reason {
	if v.jwt == nil {
		return ReasonAuthenticationFailed
	}
	hit := v.tokens.get(token, now, &s.claims)
	if hit {
		if v.jwt.CheckTimes(&s.claims, time.Unix(0, now)) != nil {
			return ReasonAuthenticationFailed
		}
	} else if err := v.jwt.Verify(token, time.Unix(0, now), &s.jwtScratch, &s.claims); err != nil {
		return ReasonAuthenticationFailed
	}
	c := &s.claims
	denied, r := v.isDenied(c.JTI, now)
	if r != ReasonNone {
		return r
	}
	if denied {
		return ReasonAuthenticationFailed
	}
	if len(c.SID) > 0 {
		s.chainKey = append(append(s.chainKey[:0], keystore.ChainDenyPrefix...), c.SID...)
		denied, r = v.isDenied(s.chainKey, now)
		if r != ReasonNone {
			return r
		}
		if denied {
			return ReasonAuthenticationFailed
		}
	}
	u, r := v.lookupUser(c.Sub, now)
	if r != ReasonNone {
		return r
	}
	if !u.found || !u.active || len(u.fingerprint) == 0 || len(c.SFP) != len(u.fingerprint) ||
		subtle.ConstantTimeCompare(c.SFP, u.fingerprint) != 1 {
		return ReasonAuthenticationFailed
	}
	s.id.kind = KindJWT
	s.id.user = u
	if !hit {
		v.cacheToken(token, c, now)
	}
	return ReasonNone
}
