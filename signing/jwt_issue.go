package signing

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// JWTIssuerConfig configures a JWTIssuer.
type JWTIssuerConfig struct {
	Issuer   string // "iss" of every token
	Audience string // "aud" of every token
	Key      JWTKey // the active signing key (with private material)
}

// IssueClaims are the per-token claims. JTI is generated when empty.
// Extra claims must not use a registered name (iss, sub, aud, exp, nbf, iat,
// jti, sfp, sid).
type IssueClaims struct {
	Subject  string
	JTI      string
	SFP      string
	SID      string
	Lifetime time.Duration
	Extra    map[string]any
}

// JWTIssuer signs compact JWS tokens (docs/design.md "Access JWT") with one
// key through golang-jwt, so every token gatehouse issues comes out of one
// maintained JWS implementation.
// Verification of own tokens on the hot path stays in JWTVerifier, held
// equal to golang-jwt by FuzzJWTVerifierMatchesGolangJWT. Safe for
// concurrent use.
type JWTIssuer struct {
	issuer   string
	audience string
	kid      string
	method   jwt.SigningMethod
	signKey  any // []byte (a private copy of the HS256 key), ed25519.PrivateKey or *ecdsa.PrivateKey
}

// NewJWTIssuer validates cfg and builds an issuer.
func NewJWTIssuer(cfg JWTIssuerConfig) (*JWTIssuer, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("signing: jwt issuer needs an issuer and an audience")
	}
	k, err := jwtNormalizeKey(cfg.Key, true)
	if err != nil {
		return nil, err
	}
	iss := &JWTIssuer{issuer: cfg.Issuer, audience: cfg.Audience, kid: k.KID}
	switch k.Alg {
	case AlgHS256:
		iss.method, iss.signKey = jwt.SigningMethodHS256, bytes.Clone(k.HMAC.Bytes())
	case AlgEdDSA:
		iss.method, iss.signKey = jwt.SigningMethodEdDSA, k.Ed25519Private
	case AlgES256:
		iss.method, iss.signKey = jwt.SigningMethodES256, k.ECDSAPrivate
	default:
		return nil, ErrJWTAlgorithm
	}
	return iss, nil
}

// ActiveJWTKey returns the key among keys whose kid is activeKID. It is
// the one place every issuer (portal, CLI, admin API) picks its signing
// key, so making a new key active reaches all of them at once; verifiers
// keep accepting every key. An empty activeKID names the key without a kid
// (the HS256 secret). It never falls back to another key: no key with that
// kid, or more than one, is an error wrapping ErrJWTKey.
func ActiveJWTKey(keys []JWTKey, activeKID string) (JWTKey, error) {
	var found JWTKey
	n := 0
	for _, k := range keys {
		if k.KID == activeKID {
			found = k
			n++
		}
	}
	switch n {
	case 1:
		return found, nil
	case 0:
		return JWTKey{}, fmt.Errorf("%w: active kid %q is not among the keys", ErrJWTKey, activeKID)
	default:
		return JWTKey{}, fmt.Errorf("%w: kid %q names more than one key", ErrJWTKey, activeKID)
	}
}

// jwtRegistered are the claim names Issue sets itself.
var jwtRegistered = map[string]bool{
	"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true,
	"iat": true, "jti": true, "sfp": true, "sid": true,
}

// Issue signs a token for c at time now: iat = nbf = now, exp = now +
// Lifetime.
func (i *JWTIssuer) Issue(c IssueClaims, now time.Time) (string, error) {
	if c.Subject == "" {
		return "", errors.New("signing: jwt subject is empty")
	}
	if c.Lifetime < time.Second {
		return "", errors.New("signing: jwt lifetime must be at least 1s")
	}
	jti := c.JTI
	if jti == "" {
		var err error
		if jti, err = NewJTI(); err != nil {
			return "", err
		}
	} else if !jwtIsLowerHex([]byte(jti), jwtJTIHexLen) {
		return "", errors.New("signing: jti must be 32 lower-case hex characters")
	}
	claims := make(jwt.MapClaims, len(c.Extra)+9)
	for k, v := range c.Extra {
		if jwtRegistered[k] {
			return "", fmt.Errorf("signing: extra claim %q is reserved", k)
		}
		claims[k] = v
	}
	t := now.Unix()
	claims["iss"] = i.issuer
	claims["sub"] = c.Subject
	claims["aud"] = i.audience
	claims["iat"] = t
	claims["nbf"] = t
	claims["exp"] = t + int64(c.Lifetime/time.Second)
	claims["jti"] = jti
	if c.SFP != "" {
		claims["sfp"] = c.SFP
	}
	if c.SID != "" {
		claims["sid"] = c.SID
	}
	// Header: alg and typ "JWT" (set by NewWithClaims; JWTVerifier requires
	// typ), and kid unless the key has none (the default HS256 key). It is
	// a map, so its members come out in name order (alg, kid, typ).
	tok := jwt.NewWithClaims(i.method, claims)
	if i.kid != "" {
		tok.Header["kid"] = i.kid
	}
	// SignedString's two steps, apart, so an encoding failure is told from
	// a signing failure; neither error carries claims or key material.
	input, err := tok.SigningString()
	if err != nil {
		return "", errors.New("signing: jwt claims cannot be encoded")
	}
	sig, err := i.method.Sign(input, i.signKey)
	if err != nil {
		return "", errors.New("signing: jwt signing failed")
	}
	out := input + "." + base64.RawURLEncoding.EncodeToString(sig)
	if len(out) > MaxTokenLen {
		return "", ErrJWTTooLarge
	}
	return out, nil
}

// NewJTI returns 128 random bits as 32 lower-case hex characters.
func NewJTI() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", errors.New("signing: random source failed")
	}
	return hex.EncodeToString(b[:]), nil
}
