package jwks

import "crypto"

// kind is the type of a key as far as algorithms are concerned.
type kind uint8

const (
	kindNone kind = iota
	kindRSA
	kindP256
	kindP384
	kindEd25519
)

// algKind is the one table of which token alg fits which key type. Any
// other alg (none, HS*, ES512, RSA-OAEP...) fits no key.
func algKind(alg string) kind {
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		return kindRSA
	case "ES256":
		return kindP256
	case "ES384":
		return kindP384
	case "EdDSA":
		return kindEd25519
	}
	return kindNone
}

// Key is one signature-verification key of a set. It is immutable and
// stays valid after the set it came from is replaced.
type Key struct {
	kid    string
	alg    string
	kind   kind
	public crypto.PublicKey
}

// KID is the JWK's kid ("" when it has none).
func (k *Key) KID() string { return k.kid }

// Alg is the alg the JWK states ("" when it states none).
func (k *Key) Alg() string { return k.alg }

// Public is the key: *rsa.PublicKey, *ecdsa.PublicKey (P-256 or P-384), or
// ed25519.PublicKey. Callers must not modify it.
func (k *Key) Public() crypto.PublicKey { return k.public }

// Fits reports whether a token signed with alg may be verified with k: alg
// fits the key's type and equals the JWK's alg when it states one.
func (k *Key) Fits(alg string) bool {
	return algKind(alg) == k.kind && k.kind != kindNone && (k.alg == "" || k.alg == alg)
}
