package signing

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
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

// JWTIssuer signs compact JWS tokens with one key. Safe for concurrent use.
type JWTIssuer struct {
	issuer   string
	audience string
	key      JWTKey
	header   string // encoded header segment
	macKey   []byte // private copy of the HS256 key
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
	// Header members in a fixed order; kid needs no escaping (jwtValidKID).
	h := `{"alg":"` + k.Alg + `","typ":"JWT"`
	if k.KID != "" {
		h += `,"kid":"` + k.KID + `"`
	}
	h += "}"
	iss := &JWTIssuer{
		issuer:   cfg.Issuer,
		audience: cfg.Audience,
		key:      k,
		header:   base64.RawURLEncoding.EncodeToString([]byte(h)),
	}
	if k.Alg == AlgHS256 {
		iss.macKey = append([]byte(nil), k.HMAC.Bytes()...)
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
	claims := make(map[string]any, len(c.Extra)+9)
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
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", errors.New("signing: jwt claims cannot be encoded")
	}
	input := make([]byte, 0, MaxTokenLen)
	input = append(input, i.header...)
	input = append(input, '.')
	input = base64.RawURLEncoding.AppendEncode(input, payload)
	sig, err := i.sign(input)
	if err != nil {
		return "", err
	}
	input = append(input, '.')
	input = base64.RawURLEncoding.AppendEncode(input, sig)
	if len(input) > MaxTokenLen {
		return "", ErrJWTTooLarge
	}
	return string(input), nil
}

func (i *JWTIssuer) sign(input []byte) ([]byte, error) {
	switch i.key.Alg {
	case AlgHS256:
		m := hmac.New(sha256.New, i.macKey)
		m.Write(input)
		return m.Sum(nil), nil
	case AlgEdDSA:
		return ed25519.Sign(i.key.Ed25519Private, input), nil
	case AlgES256:
		digest := sha256.Sum256(input)
		r, s, err := ecdsa.Sign(rand.Reader, i.key.ECDSAPrivate, digest[:])
		if err != nil {
			return nil, errors.New("signing: es256 signing failed")
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig, nil
	}
	return nil, ErrJWTAlgorithm
}

// NewJTI returns 128 random bits as 32 lower-case hex characters.
func NewJTI() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", errors.New("signing: random source failed")
	}
	return hex.EncodeToString(b[:]), nil
}
