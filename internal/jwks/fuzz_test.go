package jwks_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"testing"

	"github.com/gatehouse/gatehouse/internal/jwks"
)

var fuzzAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "HS256", "none", ""}

// FuzzParseJWKS: the parser never panics, and a parsed set never hands out
// a key for an alg its type does not fit.
func FuzzParseJWKS(f *testing.F) {
	k := tk(f)
	f.Add(setOf(rsaJWK("a", "RS256", &k.rsa.PublicKey), ecJWK("b", &k.p256.PublicKey)))
	f.Add(setOf(ecJWK("c", &k.p384.PublicKey), edJWK("d", k.ed.Public().(ed25519.PublicKey))))
	f.Add(setOf(with(ecJWK("e", &k.p256.PublicKey), "alg", "ES384")))
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"AA"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","alg":"none"}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := jwks.ParseJWKS(data)
		if err != nil {
			if set != nil {
				t.Fatal("a set with an error")
			}
			return
		}
		kids := []string{""}
		for _, key := range set.Keys() {
			kids = append(kids, key.KID())
		}
		for _, kid := range kids {
			for _, alg := range fuzzAlgs {
				key, err := set.Key(kid, alg)
				if err != nil {
					continue
				}
				if key.Alg() != "" && key.Alg() != alg {
					t.Fatalf("key stating %q returned for %q", key.Alg(), alg)
				}
				if !typeFits(key.Public(), alg) {
					t.Fatalf("%T returned for %q", key.Public(), alg)
				}
			}
		}
	})
}

// typeFits is the fuzz oracle, written independently of the package's table.
func typeFits(pub any, alg string) bool {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return alg[:2] == "RS" || alg[:2] == "PS"
	case *ecdsa.PublicKey:
		return alg == "ES256" && p.Curve == elliptic.P256() || alg == "ES384" && p.Curve == elliptic.P384()
	case ed25519.PublicKey:
		return alg == "EdDSA" && len(p) == ed25519.PublicKeySize
	}
	return false
}
