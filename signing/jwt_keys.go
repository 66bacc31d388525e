package signing

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
)

// jwtJWK is one entry of a JSON Web Key Set (RFC 7517, RFC 8037).
type jwtJWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y,omitempty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// JWKS returns the JSON Web Key Set of the public EdDSA (OKP, Ed25519) and
// ES256 (EC, P-256) keys among keys, for /.well-known/jwks.json. HS256 keys
// are secret and never listed. Keys are listed in the given order.
func JWKS(keys []JWTKey) ([]byte, error) {
	set := struct {
		Keys []jwtJWK `json:"keys"`
	}{Keys: []jwtJWK{}}
	for _, k := range keys {
		if k.Alg == AlgHS256 {
			continue
		}
		k, err := jwtNormalizeKey(k, false)
		if err != nil {
			return nil, err
		}
		switch k.Alg {
		case AlgEdDSA:
			set.Keys = append(set.Keys, jwtJWK{
				Kty: "OKP", Crv: "Ed25519",
				X:   base64.RawURLEncoding.EncodeToString(k.Ed25519Public),
				Kid: k.KID, Alg: AlgEdDSA, Use: "sig",
			})
		case AlgES256:
			pub, err := k.ECDSAPublic.ECDH()
			if err != nil {
				return nil, fmt.Errorf("%w: ES256 key %q", ErrJWTKey, k.KID)
			}
			pt := pub.Bytes() // 0x04 || X || Y
			if len(pt) != 65 {
				return nil, fmt.Errorf("%w: ES256 key %q", ErrJWTKey, k.KID)
			}
			set.Keys = append(set.Keys, jwtJWK{
				Kty: "EC", Crv: "P-256",
				X:   base64.RawURLEncoding.EncodeToString(pt[1:33]),
				Y:   base64.RawURLEncoding.EncodeToString(pt[33:]),
				Kid: k.KID, Alg: AlgES256, Use: "sig",
			})
		}
	}
	return json.Marshal(set)
}

// ParseJWTKeyPEM reads one PEM block: a PKCS#8 "PRIVATE KEY" (Ed25519 or
// ECDSA P-256), a SEC 1 "EC PRIVATE KEY" (P-256), or a PKIX "PUBLIC KEY"
// (Ed25519 or P-256). The algorithm follows from the key type. Anything after
// the block other than white space is refused. Errors never include key
// bytes.
func ParseJWTKeyPEM(kid string, pemBytes []byte) (JWTKey, error) {
	block, rest := pem.Decode(pemBytes)
	if block == nil {
		return JWTKey{}, fmt.Errorf("%w: %q: no PEM block", ErrJWTKey, kid)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return JWTKey{}, fmt.Errorf("%w: %q: data after the PEM block", ErrJWTKey, kid)
	}
	var parsed any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		parsed, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		parsed, err = x509.ParseECPrivateKey(block.Bytes)
	case "PUBLIC KEY":
		parsed, err = x509.ParsePKIXPublicKey(block.Bytes)
	default:
		return JWTKey{}, fmt.Errorf("%w: %q: PEM type not supported", ErrJWTKey, kid)
	}
	if err != nil {
		return JWTKey{}, fmt.Errorf("%w: %q: cannot parse key", ErrJWTKey, kid)
	}
	k := JWTKey{KID: kid}
	switch key := parsed.(type) {
	case ed25519.PrivateKey:
		k.Alg, k.Ed25519Private = AlgEdDSA, key
	case ed25519.PublicKey:
		k.Alg, k.Ed25519Public = AlgEdDSA, key
	case *ecdsa.PrivateKey:
		k.Alg, k.ECDSAPrivate = AlgES256, key
	case *ecdsa.PublicKey:
		k.Alg, k.ECDSAPublic = AlgES256, key
	default:
		return JWTKey{}, fmt.Errorf("%w: %q: key type not supported (want Ed25519 or P-256)", ErrJWTKey, kid)
	}
	if k.Alg == AlgES256 && ((k.ECDSAPrivate != nil && k.ECDSAPrivate.Curve != elliptic.P256()) ||
		(k.ECDSAPublic != nil && k.ECDSAPublic.Curve != elliptic.P256())) {
		return JWTKey{}, fmt.Errorf("%w: %q: ECDSA key is not on P-256", ErrJWTKey, kid)
	}
	return jwtNormalizeKey(k, false)
}

// GenerateEd25519Key makes a new EdDSA key and returns it with its PKCS#8
// PEM encoding (to be written with mode 0600).
func GenerateEd25519Key(kid string) (JWTKey, []byte, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return JWTKey{}, nil, errors.New("signing: random source failed")
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return JWTKey{}, nil, errors.New("signing: cannot encode Ed25519 key")
	}
	k, err := jwtNormalizeKey(JWTKey{KID: kid, Alg: AlgEdDSA, Ed25519Private: priv, Ed25519Public: pub}, true)
	if err != nil {
		return JWTKey{}, nil, err
	}
	return k, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
