package signing

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"sync"
	"time"
)

// JWTVerifierConfig configures a JWTVerifier.
type JWTVerifierConfig struct {
	// Issuer is the exact "iss" required (docs/design.md "Access JWT": public_url without a
	// trailing slash).
	Issuer string
	// Audience must equal "aud" or be one element of an "aud" array
	// ("gatehouse:access", "gatehouse:verify", ...).
	Audience string
	// Leeway is the clock tolerance for exp, nbf and iat; 0 means 30 s.
	// A token is accepted until (not at) exp+leeway.
	// It is used in whole seconds.
	Leeway time.Duration
	// Keys are the accepted keys. A token with a "kid" is checked only with
	// the key of that id, and only when its "alg" is that key's algorithm.
	// A token without "kid" must be HS256 and is checked with the first
	// HS256 key of the list (the default key).
	Keys []JWTKey
}

// JWTVerifier checks compact JWS tokens against a fixed key set, issuer and
// audience. It is safe for concurrent use. Verify of an HS256 token
// allocates nothing.
type JWTVerifier struct {
	issuer    string
	audience  string
	leeway    int64
	keys      []jwtVerifyKey
	defaultHS *jwtVerifyKey
}

type jwtVerifyKey struct {
	kid  string
	alg  string
	ed   ed25519.PublicKey
	ec   *ecdsa.PublicKey
	macs *sync.Pool // of hash.Hash (HMAC-SHA256 keyed with the HS256 key)
}

// NewJWTVerifier validates cfg and builds a verifier. Configuration errors
// wrap ErrJWTKey and name the offending kid, never key material.
// Issuer is the exact iss the verifier requires.
func (v *JWTVerifier) Issuer() string { return v.issuer }

func NewJWTVerifier(cfg JWTVerifierConfig) (*JWTVerifier, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("signing: jwt verifier needs an issuer and an audience")
	}
	if cfg.Leeway < 0 {
		return nil, errors.New("signing: jwt leeway must not be negative")
	}
	if len(cfg.Keys) == 0 {
		return nil, fmt.Errorf("%w: no keys", ErrJWTKey)
	}
	v := &JWTVerifier{
		issuer:   cfg.Issuer,
		audience: cfg.Audience,
		leeway:   int64(cfg.Leeway / time.Second),
		keys:     make([]jwtVerifyKey, 0, len(cfg.Keys)),
	}
	if cfg.Leeway == 0 {
		v.leeway = jwtDefaultLeeway
	}
	for _, k := range cfg.Keys {
		k, err := jwtNormalizeKey(k, false)
		if err != nil {
			return nil, err
		}
		for i := range v.keys {
			if v.keys[i].kid == k.KID {
				return nil, fmt.Errorf("%w: duplicated kid %q", ErrJWTKey, k.KID)
			}
		}
		vk := jwtVerifyKey{kid: k.KID, alg: k.Alg, ed: k.Ed25519Public, ec: k.ECDSAPublic}
		if k.Alg == AlgHS256 {
			vk.macs = jwtHMACPool(k.HMAC.Bytes())
		}
		v.keys = append(v.keys, vk)
	}
	for i := range v.keys {
		if v.keys[i].alg == AlgHS256 {
			v.defaultHS = &v.keys[i]
			break
		}
	}
	return v, nil
}

// jwtHMACPool returns a pool of HMAC-SHA256 instances keyed with a private
// copy of key.
func jwtHMACPool(key []byte) *sync.Pool {
	k := bytes.Clone(key)
	return &sync.Pool{New: func() any { return hmac.New(sha256.New, k) }}
}

// jwtMAC computes HMAC-SHA256(msg) with a pooled instance into out.
func jwtMAC(p *sync.Pool, msg []byte, out *[32]byte) {
	h := p.Get().(hash.Hash)
	h.Reset()
	h.Write(msg)
	h.Sum(out[:0])
	p.Put(h)
}

// Verify checks token at time now and fills out. The order of checks is
// fixed: size (ErrJWTTooLarge), three non-empty strict-base64url segments,
// the header (strict JSON object without duplicated names, then typ exactly
// "JWT" before anything else, no crit, alg in the allow-list and bound to
// the key chosen by kid, or the default HS256 key when there is no kid), the
// signature, and only then the claims: all of sub, aud, iss, iat, nbf, exp,
// jti present (ErrJWTMissingClaim), iss exact, aud equal or in the array,
// now < exp+leeway, nbf-leeway <= now, iat-leeway <= now, jti 32 lower-case
// hex, optional sfp/sid strings and amr array. Every failure is one of the
// ErrJWT* sentinels. out's byte slices point into s (see AccessClaims); on
// error out is zeroed. Verify does not consult the jti denylist: that is the
// caller's next step.
func (v *JWTVerifier) Verify(token []byte, now time.Time, s *JWTScratch, out *AccessClaims) error {
	*out = AccessClaims{}
	err := v.verify(token, now, s, out)
	if err != nil {
		*out = AccessClaims{}
	}
	return err
}

func (v *JWTVerifier) verify(token []byte, now time.Time, s *JWTScratch, out *AccessClaims) error {
	if len(token) > MaxTokenLen {
		return ErrJWTTooLarge
	}
	d1 := bytes.IndexByte(token, '.')
	if d1 <= 0 {
		return ErrJWTMalformed
	}
	d2 := bytes.IndexByte(token[d1+1:], '.')
	if d2 <= 0 {
		return ErrJWTMalformed
	}
	d2 += d1 + 1
	hseg, pseg, sseg := token[:d1], token[d1+1:d2], token[d2+1:]
	if len(sseg) == 0 || bytes.IndexByte(sseg, '.') >= 0 {
		return ErrJWTMalformed
	}

	// Header.
	header, ok := jwtB64Decode(s.header[:], hseg)
	if !ok {
		return ErrJWTMalformed
	}
	n, err := jwtParseObject(header, s.members[:])
	if err != nil {
		return err
	}
	hm := s.members[:n]
	if m, ok := jwtLookup(hm, "typ"); !ok || m.kind != jwtKindString || m.escaped || string(m.value) != "JWT" {
		return ErrJWTType
	}
	if _, ok := jwtLookup(hm, "crit"); ok {
		return ErrJWTCritical
	}
	am, ok := jwtLookup(hm, "alg")
	if !ok || am.kind != jwtKindString || am.escaped {
		return ErrJWTAlgorithm
	}
	alg := am.value
	if string(alg) != AlgHS256 && string(alg) != AlgEdDSA && string(alg) != AlgES256 {
		return ErrJWTAlgorithm
	}
	var key *jwtVerifyKey
	var kid []byte
	if km, ok := jwtLookup(hm, "kid"); ok {
		if km.kind != jwtKindString {
			return ErrJWTMalformed
		}
		if km.escaped || len(km.value) > jwtMaxKIDLen {
			return ErrJWTUnknownKey
		}
		kid = km.value
		for i := range v.keys {
			if v.keys[i].kid == string(kid) {
				key = &v.keys[i]
				break
			}
		}
		if key == nil {
			return ErrJWTUnknownKey
		}
	} else {
		if string(alg) != AlgHS256 {
			return ErrJWTUnknownKey
		}
		if v.defaultHS == nil {
			return ErrJWTAlgorithm
		}
		key = v.defaultHS
	}
	if key.alg != string(alg) {
		return ErrJWTAlgorithm
	}

	// Signature, before any claim is looked at.
	sig, ok := jwtB64Decode(s.sig[:], sseg)
	if !ok {
		return ErrJWTMalformed
	}
	if len(sig) != jwtSigLen(key.alg) {
		return ErrJWTSignature
	}
	// The payload is decoded (strictly) before the signature check but only
	// parsed after it.
	payload, ok := jwtB64Decode(s.payload[:], pseg)
	if !ok {
		return ErrJWTMalformed
	}
	input := token[:d2]
	switch key.alg {
	case AlgHS256:
		jwtMAC(key.macs, input, &s.mac)
		if !hmac.Equal(s.mac[:], sig) {
			return ErrJWTSignature
		}
	case AlgEdDSA:
		if !ed25519.Verify(key.ed, input, sig) {
			return ErrJWTSignature
		}
	case AlgES256:
		digest := sha256.Sum256(input)
		r := new(big.Int).SetBytes(sig[:32])
		ss := new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(key.ec, digest[:], r, ss) {
			return ErrJWTSignature
		}
	default:
		return ErrJWTAlgorithm
	}

	// Claims.
	n, err = jwtParseObject(payload, s.members[:])
	if err != nil {
		return err
	}
	return v.checkClaims(s.members[:n], now, s, out, key, kid, payload)
}

func (v *JWTVerifier) checkClaims(cm []jwtMember, now time.Time, s *JWTScratch, out *AccessClaims, key *jwtVerifyKey, kid, payload []byte) error {
	var req [7]*jwtMember
	for i, name := range [...]string{"sub", "aud", "iss", "iat", "nbf", "exp", "jti"} {
		m, ok := jwtLookup(cm, name)
		if !ok {
			return ErrJWTMissingClaim
		}
		req[i] = m
	}
	sub, aud, iss, iat, nbf, exp, jti := req[0], req[1], req[2], req[3], req[4], req[5], req[6]
	arena := s.arena[:0]

	if iss.kind != jwtKindString {
		return ErrJWTIssuer
	}
	if !jwtStringEquals(iss, v.issuer, arena) {
		return ErrJWTIssuer
	}
	switch aud.kind {
	case jwtKindString:
		if !jwtStringEquals(aud, v.audience, arena) {
			return ErrJWTAudience
		}
	case jwtKindArray:
		found, ok := jwtArrayHas(aud.value, v.audience, arena)
		if !ok {
			return ErrJWTClaimInvalid
		}
		if !found {
			return ErrJWTAudience
		}
	default:
		return ErrJWTClaimInvalid
	}

	var times [3]int64
	for i, m := range [...]*jwtMember{iat, nbf, exp} {
		if m.kind != jwtKindNumber {
			return ErrJWTClaimInvalid
		}
		t, ok := jwtParseInt(m.value)
		if !ok {
			return ErrJWTClaimInvalid
		}
		times[i] = t
	}
	if err := v.checkTimes(times[0], times[1], times[2], now.Unix()); err != nil {
		return err
	}

	if jti.kind != jwtKindString || jti.escaped || !jwtIsLowerHex(jti.value, jwtJTIHexLen) {
		return ErrJWTClaimInvalid
	}
	if sub.kind != jwtKindString {
		return ErrJWTClaimInvalid
	}
	subV, ok := jwtString(sub, &arena)
	if !ok || len(subV) == 0 {
		return ErrJWTClaimInvalid
	}
	var sfpV, sidV []byte
	if m, ok := jwtLookup(cm, "sfp"); ok {
		if m.kind != jwtKindString {
			return ErrJWTClaimInvalid
		}
		if sfpV, ok = jwtString(m, &arena); !ok {
			return ErrJWTClaimInvalid
		}
	}
	if m, ok := jwtLookup(cm, "sid"); ok {
		if m.kind != jwtKindString {
			return ErrJWTClaimInvalid
		}
		if sidV, ok = jwtString(m, &arena); !ok {
			return ErrJWTClaimInvalid
		}
	}
	if m, ok := jwtLookup(cm, "amr"); ok && m.kind != jwtKindArray {
		return ErrJWTClaimInvalid
	}

	out.Sub, out.JTI, out.SFP, out.SID, out.KeyID = subV, jti.value, sfpV, sidV, kid
	out.IssuedAt, out.NotBefore, out.ExpiresAt = times[0], times[1], times[2]
	out.Alg = key.alg
	out.Payload = payload
	return nil
}

// CheckTimes applies Verify's time window to claims Verify accepted
// earlier: now < exp+leeway (RFC 7519 4.1.4), nbf-leeway <= now, iat-leeway <= now, with
// the same errors. A caller that keeps verified claims (the verifier's
// token cache) runs it on every later use, so a kept token expires, and a
// clock stepped back refuses it, exactly as a fresh Verify would.
func (v *JWTVerifier) CheckTimes(c *AccessClaims, now time.Time) error {
	return v.checkTimes(c.IssuedAt, c.NotBefore, c.ExpiresAt, now.Unix())
}

func (v *JWTVerifier) checkTimes(iat, nbf, exp, unix int64) error {
	if exp+v.leeway <= unix {
		return ErrJWTExpired
	}
	if nbf-v.leeway > unix {
		return ErrJWTNotYetValid
	}
	if iat-v.leeway > unix {
		return ErrJWTIssuedInFuture
	}
	return nil
}

// jwtString returns the decoded value of a string member, appending it to
// arena when it has escapes.
func jwtString(m *jwtMember, arena *[]byte) ([]byte, bool) {
	if !m.escaped {
		return m.value, true
	}
	start := len(*arena)
	a, ok := jwtUnescape(*arena, m.value)
	*arena = a
	return a[start:], ok
}

// jwtStringEquals compares a string member's decoded value with want, using
// the spare capacity of arena as temporary space.
func jwtStringEquals(m *jwtMember, want string, arena []byte) bool {
	if !m.escaped {
		return string(m.value) == want
	}
	dec, ok := jwtUnescape(arena[len(arena):], m.value)
	return ok && string(dec) == want
}

// jwtArrayHas reports whether the raw JSON array arr has a string element
// equal to want. ok is false when an element is not a string.
func jwtArrayHas(arr []byte, want string, arena []byte) (found, ok bool) {
	i := jwtSkipWS(arr, 1)
	if i < len(arr) && arr[i] == ']' {
		return false, true
	}
	for i < len(arr) {
		if arr[i] != '"' {
			return false, false
		}
		end, escaped, ok := jwtScanString(arr, i)
		if !ok {
			return false, false
		}
		m := jwtMember{value: arr[i+1 : end-1], kind: jwtKindString, escaped: escaped}
		if jwtStringEquals(&m, want, arena) {
			found = true
		}
		i = jwtSkipWS(arr, end)
		if i < len(arr) && arr[i] == ',' {
			i = jwtSkipWS(arr, i+1)
		} else {
			break
		}
	}
	return found, true
}

// jwtIsLowerHex reports whether b is exactly n lower-case hex characters.
func jwtIsLowerHex(b []byte, n int) bool {
	if len(b) != n {
		return false
	}
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
