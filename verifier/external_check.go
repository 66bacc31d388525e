package verifier

import (
	"errors"
	"math"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/jwks"
)

// extEntry is what one verified external token yields: its issuer and
// key, its time claims and the mapped identity, and its claims for rule
// conditions. It is immutable once built, so the verified-token cache hands
// out the pointer and a hit allocates nothing.
type extEntry struct {
	iss      *extIssuer
	key      *jwks.Key // the key that verified the signature
	kid, alg string
	iat      int64 // seconds; the issuer's max_lifetime makes iat required
	nbf      int64 // seconds; math.MinInt64: absent
	exp      int64 // seconds

	subject, name, email string
	groups, scopesCSV    string   // comma-separated
	scopes               []string // for rule scopes
	claims               map[string]any
}

// checkExternal verifies a bearer token whose unverified iss names the
// external issuer x (docs/design.md "External issuers"). A token in the
// verified-token cache skips the signature check and the parse, but its
// key must still be in the issuer's current key set (the same *jwks.Key:
// a set refreshed since gives a new one and the token is verified afresh)
// and its time window is checked again.
func (v *Verifier) checkExternal(s *scratch, x *extIssuer, token []byte, now int64) Reason {
	if len(token) > maxExternalTokenLen {
		return ReasonAuthenticationFailed
	}
	var e *extEntry
	if v.extTokens.get(token, now, &e) && e.iss == x {
		k, err := x.keys.Key(e.kid, e.alg)
		if err != nil {
			return v.externalKeyFailure(x, err, now)
		}
		if k == e.key {
			if !x.timesOK(e.iat, e.nbf, e.exp, now) {
				return ReasonAuthenticationFailed
			}
			s.id.kind = KindExternalJWT
			s.id.ext = e
			return ReasonNone
		}
	}
	e, r := v.verifyExternal(x, token, now)
	if r != ReasonNone {
		return r
	}
	until := int64(math.MaxInt64)
	if e.exp < math.MaxInt64/int64(time.Second) {
		until = e.exp * int64(time.Second)
	}
	v.extTokens.put(token, e, nil, nil, until, now)
	s.id.kind = KindExternalJWT
	s.id.ext = e
	return ReasonNone
}

// externalKeyFailure maps a key lookup error: no current key set (the
// endpoint has failed past stale_for, or never answered) and a kid the set
// does not hold (yet: the refresher was asked for the set again) are
// failures to check the token, 503, reported like a store failure; any
// other (kid missing from a several-key set, alg that does not fit) is the
// token's fault, 401. Anyone can send tokens with made-up kids, so the log
// line is written at most once per externalWarnEvery and issuer; the
// metric counts every one.
func (v *Verifier) externalKeyFailure(x *extIssuer, err error, now int64) Reason {
	if !errors.Is(err, jwks.ErrStale) && !errors.Is(err, jwks.ErrUnknownKID) {
		return ReasonAuthenticationFailed
	}
	if v.metrics != nil {
		v.metrics.StoreError("external_jwks")
	}
	if last := x.lastWarn.Load(); now-last >= int64(externalWarnEvery) && x.lastWarn.CompareAndSwap(last, now) {
		// The issuer is configuration and the error a jwks sentinel; the
		// token is never logged.
		v.log.Warn().Str("issuer", x.iss).Err(err).Msg("verifier: external issuer keys unavailable; denying with 503 (logged at most every 10 s)")
	}
	return ReasonTokenProcessingFailed
}

// Sentinels of verifyExternal's key function; they never leave this file.
var (
	errExtHeader = errors.New("verifier: external token header refused")
	errExtAlg    = errors.New("verifier: external token alg does not fit its key")
)

// verifyExternal checks a token of issuer x with golang-jwt: header (typ,
// crit, kid), alg in the issuer's allow-list and fitting the key, the
// signature, then the claims.
func (v *Verifier) verifyExternal(x *extIssuer, token []byte, now int64) (*extEntry, Reason) {
	if x.parser == nil {
		return nil, ReasonAuthenticationFailed
	}
	e := &extEntry{iss: x}
	var keyErr error
	tok, err := x.parser.Parse(string(token), func(t *jwt.Token) (any, error) {
		if !externalTypOK(t.Header["typ"]) {
			return nil, errExtHeader
		}
		if _, crit := t.Header["crit"]; crit {
			return nil, errExtHeader
		}
		if k, present := t.Header["kid"]; present {
			kid, ok := k.(string)
			if !ok || kid == "" {
				return nil, errExtHeader
			}
			e.kid = kid
		}
		e.alg = t.Method.Alg()
		k, err := x.keys.Key(e.kid, e.alg)
		if err != nil {
			keyErr = err
			return nil, err
		}
		if !k.Fits(e.alg) {
			return nil, errExtAlg
		}
		e.key = k
		return k.Public(), nil
	})
	if keyErr != nil {
		return nil, v.externalKeyFailure(x, keyErr, now)
	}
	if err != nil || !tok.Valid {
		return nil, ReasonAuthenticationFailed
	}
	claims, ok := tok.Claims.(jwt.MapClaims)
	if !ok || !x.claimsOK(e, claims, now) {
		return nil, ReasonAuthenticationFailed
	}
	return e, ReasonNone
}

// externalTypOK: typ absent, "JWT", "at+jwt" or "application/at+jwt"
// (RFC 9068), case-insensitively; anything else (an ID token's
// "id+jwt"? a logout token's "logout+jwt") is another kind of token.
func externalTypOK(v any) bool {
	if v == nil {
		return true
	}
	s, ok := v.(string)
	if !ok {
		return false
	}
	b := roBytes(s)
	return asciiEqualFold(b, "jwt") || asciiEqualFold(b, "at+jwt") || asciiEqualFold(b, "application/at+jwt")
}

// claimsOK checks the verified claims of issuer x and fills e: exact iss,
// an aud naming one of the audiences, exp required, nbf and iat with the
// leeway, exp - iat within max_lifetime (iat then required), the required
// claims present, and the identity mapping.
func (x *extIssuer) claimsOK(e *extEntry, c jwt.MapClaims, now int64) bool {
	if iss, ok := c["iss"].(string); !ok || iss != x.iss {
		return false
	}
	aud, err := c.GetAudience()
	if err != nil || !anyIn(aud, x.audiences) {
		return false
	}
	exp, err := c.GetExpirationTime()
	if err != nil || exp == nil {
		return false
	}
	iat, err := c.GetIssuedAt()
	if err != nil || iat == nil {
		return false
	}
	nbf, err := c.GetNotBefore()
	if err != nil {
		return false
	}
	e.exp, e.iat, e.nbf = clampSeconds(exp.Unix()), clampSeconds(iat.Unix()), math.MinInt64
	if nbf != nil {
		e.nbf = clampSeconds(nbf.Unix())
	}
	if e.exp-e.iat > x.maxLife || !x.timesOK(e.iat, e.nbf, e.exp, now) {
		return false
	}
	for _, p := range x.required {
		if _, found := p.resolve(c); !found {
			return false
		}
	}
	var ok bool
	sub, found := x.subject.resolve(c)
	if e.subject, ok = sub.(string); !found || !ok || e.subject == "" || len(e.subject) > maxMappedValue || !headerSafe(e.subject) {
		return false
	}
	if e.name, ok = mappedString(c, x.name); !ok {
		return false
	}
	if e.email, ok = mappedString(c, x.email); !ok {
		return false
	}
	if e.groups, _, ok = mappedList(c, x.groups, false); !ok {
		return false
	}
	if e.scopesCSV, e.scopes, ok = mappedList(c, x.scopes, true); !ok {
		return false
	}
	e.claims = c
	return true
}

// timesOK is the one time check of external tokens, on a miss and on every
// cache hit: accepted until (not at) exp+leeway, not before nbf-leeway, and
// never with an iat later than now+leeway.
func (x *extIssuer) timesOK(iat, nbf, exp, now int64) bool {
	sec := now / int64(time.Second)
	return sec < exp+x.leeway && sec >= iat-x.leeway && (nbf == math.MinInt64 || sec >= nbf-x.leeway)
}

// clampSeconds keeps NumericDates in a range where adding a leeway cannot
// overflow (year 36812 and its negative).
func clampSeconds(s int64) int64 {
	const lim = 1 << 40
	return max(-lim, min(s, lim))
}

func anyIn(have []string, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if h == w {
				return true
			}
		}
	}
	return false
}
