package jwks

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
)

// RSA modulus bounds: under 2048 bits is weak; over 8192 bits makes every
// verification needlessly expensive (an attacker-chosen cost per token).
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// jwk holds the members of RFC 7517/7518 that decide whether a JWK is a
// signature key. The private members are read only to refuse them: their
// presence (even as null) fails the whole set.
type jwk struct {
	Kty    string   `json:"kty"`
	Use    string   `json:"use"`
	KeyOps []string `json:"key_ops"`
	Alg    string   `json:"alg"`
	Kid    string   `json:"kid"`
	Crv    string   `json:"crv"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	X      string   `json:"x"`
	Y      string   `json:"y"`

	D   json.RawMessage `json:"d"`
	P   json.RawMessage `json:"p"`
	Q   json.RawMessage `json:"q"`
	DP  json.RawMessage `json:"dp"`
	DQ  json.RawMessage `json:"dq"`
	QI  json.RawMessage `json:"qi"`
	Oth json.RawMessage `json:"oth"`
	K   json.RawMessage `json:"k"`
}

func (j *jwk) private() bool {
	return j.D != nil || j.P != nil || j.Q != nil || j.DP != nil || j.DQ != nil ||
		j.QI != nil || j.Oth != nil || j.K != nil
}

// ParseJWKS parses a JWKS document into its signature keys.
//
// Skipped (not an error): keys whose use is not "sig", whose key_ops omit
// "verify", of an unknown kty or crv, or whose stated alg is not a
// signature alg of their type (RSA-OAEP, ES512...). Refused (an error for
// the whole set, so a Source keeps its last good set): a document that is
// not a JSON object with a "keys" array, any private key material,
// malformed or weak material of a supported type (bad base64, RSA under
// 2048 bits, an EC point off its curve), and two signature keys with the
// same kid.
func ParseJWKS(data []byte) (*Set, error) {
	var doc struct {
		Keys *[]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSet, err)
	}
	if doc.Keys == nil {
		return nil, fmt.Errorf("%w: no \"keys\" array", ErrInvalidSet)
	}
	set := &Set{byKID: make(map[string]*Key)}
	for i, raw := range *doc.Keys {
		var j jwk
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("%w: key %d: %v", ErrInvalidSet, i, err)
		}
		if j.private() {
			return nil, fmt.Errorf("%w: key %d", ErrPrivateKey, i)
		}
		k, err := parseKey(&j)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		if k == nil {
			continue
		}
		if k.kid != "" {
			if set.byKID[k.kid] != nil {
				return nil, fmt.Errorf("%w: key %d", ErrDuplicateKID, i)
			}
			set.byKID[k.kid] = k
		}
		set.keys = append(set.keys, k)
	}
	return set, nil
}

// parseKey returns nil, nil for a JWK that is not a signature key we use.
func parseKey(j *jwk) (*Key, error) {
	if j.Use != "" && j.Use != "sig" {
		return nil, nil
	}
	if j.KeyOps != nil && !slices.Contains(j.KeyOps, "verify") {
		return nil, nil
	}
	k := &Key{kid: j.Kid, alg: j.Alg}
	switch {
	case j.Kty == "RSA":
		k.kind = kindRSA
	case j.Kty == "EC" && j.Crv == "P-256":
		k.kind = kindP256
	case j.Kty == "EC" && j.Crv == "P-384":
		k.kind = kindP384
	case j.Kty == "OKP" && j.Crv == "Ed25519":
		k.kind = kindEd25519
	default:
		return nil, nil
	}
	if j.Alg != "" && algKind(j.Alg) != k.kind {
		return nil, nil
	}
	var err error
	switch k.kind {
	case kindRSA:
		k.public, err = parseRSA(j)
	case kindP256:
		k.public, err = parseEC(j, elliptic.P256(), 32)
	case kindP384:
		k.public, err = parseEC(j, elliptic.P384(), 48)
	case kindEd25519:
		k.public, err = parseEd25519(j)
	}
	if err != nil {
		return nil, err
	}
	return k, nil
}

func b64(field, s string) ([]byte, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not unpadded base64url", ErrInvalidKey, field)
	}
	return b, nil
}

func parseRSA(j *jwk) (*rsa.PublicKey, error) {
	nb, err := b64("n", j.N)
	if err != nil {
		return nil, err
	}
	eb, err := b64("e", j.E)
	if err != nil {
		return nil, err
	}
	n := new(big.Int).SetBytes(nb)
	if bits := n.BitLen(); bits < minRSABits || bits > maxRSABits {
		return nil, fmt.Errorf("%w: RSA modulus of %d bits (want %d to %d)", ErrInvalidKey, bits, minRSABits, maxRSABits)
	}
	if len(eb) == 0 || len(eb) > 4 {
		return nil, fmt.Errorf("%w: RSA exponent of %d bytes", ErrInvalidKey, len(eb))
	}
	e := 0
	for _, b := range eb {
		e = e<<8 | int(b)
	}
	if e < 3 || e%2 == 0 || e > 1<<31-1 {
		return nil, fmt.Errorf("%w: RSA exponent %d", ErrInvalidKey, e)
	}
	return &rsa.PublicKey{N: n, E: e}, nil
}

func parseEC(j *jwk, curve elliptic.Curve, size int) (*ecdsa.PublicKey, error) {
	x, err := b64("x", j.X)
	if err != nil {
		return nil, err
	}
	y, err := b64("y", j.Y)
	if err != nil {
		return nil, err
	}
	if len(x) != size || len(y) != size {
		return nil, fmt.Errorf("%w: %s coordinates must be %d bytes", ErrInvalidKey, j.Crv, size)
	}
	point := make([]byte, 0, 1+2*size)
	point = append(append(append(point, 4), x...), y...)
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil, fmt.Errorf("%w: %s point: %v", ErrInvalidKey, j.Crv, err)
	}
	return pub, nil
}

func parseEd25519(j *jwk) (ed25519.PublicKey, error) {
	x, err := b64("x", j.X)
	if err != nil {
		return nil, err
	}
	if len(x) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: Ed25519 x must be %d bytes", ErrInvalidKey, ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(x), nil
}
