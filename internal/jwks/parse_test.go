package jwks_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/internal/jwks"
)

// Every supported JWK kind parses into a key that verifies a signature
// made in the test with the matching private key.
func TestParseJWKSEveryKindVerifiesARealSignature(t *testing.T) {
	k := tk(t)
	msg := []byte("header.payload")
	h256 := sha256.Sum256(msg)
	h384 := sha512.Sum384(msg)
	rs256, _ := rsa.SignPKCS1v15(rand.Reader, k.rsa, crypto.SHA256, h256[:])
	ps256, _ := rsa.SignPSS(rand.Reader, k.rsa, crypto.SHA256, h256[:], nil)
	es256, _ := ecdsa.SignASN1(rand.Reader, k.p256, h256[:])
	es384, _ := ecdsa.SignASN1(rand.Reader, k.p384, h384[:])
	eddsa := ed25519.Sign(k.ed, msg)
	cases := []struct {
		name, kid, alg string
		jwk            obj
		verify         func(pub crypto.PublicKey) bool
	}{
		{"RSA RS256", "r", "RS256", rsaJWK("r", "", &k.rsa.PublicKey), func(p crypto.PublicKey) bool {
			return rsa.VerifyPKCS1v15(p.(*rsa.PublicKey), crypto.SHA256, h256[:], rs256) == nil
		}},
		{"RSA PS256 with stated alg", "r", "PS256", rsaJWK("r", "PS256", &k.rsa.PublicKey), func(p crypto.PublicKey) bool {
			return rsa.VerifyPSS(p.(*rsa.PublicKey), crypto.SHA256, h256[:], ps256, nil) == nil
		}},
		{"EC P-256 ES256", "e", "ES256", ecJWK("e", &k.p256.PublicKey), func(p crypto.PublicKey) bool {
			return ecdsa.VerifyASN1(p.(*ecdsa.PublicKey), h256[:], es256)
		}},
		{"EC P-384 ES384", "e", "ES384", ecJWK("e", &k.p384.PublicKey), func(p crypto.PublicKey) bool {
			return ecdsa.VerifyASN1(p.(*ecdsa.PublicKey), h384[:], es384)
		}},
		{"OKP Ed25519 EdDSA", "o", "EdDSA", edJWK("o", k.ed.Public().(ed25519.PublicKey)), func(p crypto.PublicKey) bool {
			return ed25519.Verify(p.(ed25519.PublicKey), msg, eddsa)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set, err := jwks.ParseJWKS(setOf(c.jwk))
			if err != nil {
				t.Fatal(err)
			}
			key, err := set.Key(c.kid, c.alg)
			if err != nil {
				t.Fatal(err)
			}
			if key.KID() != c.kid || !c.verify(key.Public()) {
				t.Fatalf("kid %q, signature did not verify", key.KID())
			}
			// A signature over another message does not verify.
			msg[0] ^= 1
			h256, h384 = sha256.Sum256(msg), sha512.Sum384(msg)
			if c.verify(key.Public()) {
				t.Fatal("a signature over another message verified")
			}
			msg[0] ^= 1
			h256, h384 = sha256.Sum256(msg), sha512.Sum384(msg)
		})
	}
}

// Hostile or broken sets are refused as a whole, so a Source keeps its
// last good set instead of adopting part of a tampered one.
func TestParseJWKSRefusesHostileSets(t *testing.T) {
	k := tk(t)
	good := rsaJWK("a", "", &k.rsa.PublicKey)
	p256 := ecJWK("e", &k.p256.PublicKey)
	offCurve := with(p256, "y", b64(append(make([]byte, 31), 1)))
	cases := []struct {
		name string
		doc  []byte
		want error
	}{
		{"private RSA exponent d", setOf(good, with(rsaJWK("b", "", &k.rsa2.PublicKey), "d", b64(k.rsa2.D.Bytes()))), jwks.ErrPrivateKey},
		{"private EC d", setOf(with(p256, "d", b64(k.p256.D.Bytes()))), jwks.ErrPrivateKey},
		{"private Ed25519 d", setOf(with(edJWK("o", k.ed.Public().(ed25519.PublicKey)), "d", b64(k.ed.Seed()))), jwks.ErrPrivateKey},
		{"null d still counts", []byte(`{"keys":[{"kty":"EC","crv":"P-256","d":null}]}`), jwks.ErrPrivateKey},
		{"symmetric oct key k", setOf(obj{"kty": "oct", "k": b64([]byte("secret"))}), jwks.ErrPrivateKey},
		{"private material on a skipped enc key", setOf(good, with(p256, "use", "enc", "d", "AA")), jwks.ErrPrivateKey},
		{"RSA 1024", setOf(rsaJWK("a", "", &k.rsa1024.PublicKey)), jwks.ErrInvalidKey},
		{"RSA even exponent", setOf(with(good, "e", b64([]byte{1, 0, 0}))), jwks.ErrInvalidKey},
		{"RSA padded base64", setOf(with(good, "e", "AQAB==")), jwks.ErrInvalidKey},
		{"EC point off the curve", setOf(offCurve), jwks.ErrInvalidKey},
		{"EC P-384 point under crv P-256", setOf(with(ecJWK("e", &k.p384.PublicKey), "crv", "P-256")), jwks.ErrInvalidKey},
		{"EC P-256 point under crv P-384", setOf(with(p256, "crv", "P-384")), jwks.ErrInvalidKey},
		{"Ed25519 short x", setOf(obj{"kty": "OKP", "crv": "Ed25519", "x": b64(make([]byte, 31))}), jwks.ErrInvalidKey},
		{"duplicate kid", setOf(good, rsaJWK("a", "", &k.rsa2.PublicKey)), jwks.ErrDuplicateKID},
		{"duplicate kid across kinds", setOf(good, with(p256, "kid", "a")), jwks.ErrDuplicateKID},
		{"not JSON", []byte("keys"), jwks.ErrInvalidSet},
		{"HTML error page", []byte("<html><body>502 Bad Gateway</body></html>"), jwks.ErrInvalidSet},
		{"no keys member", []byte(`{"jwks":[]}`), jwks.ErrInvalidSet},
		{"keys not an array", []byte(`{"keys":{}}`), jwks.ErrInvalidSet},
		{"key not an object", []byte(`{"keys":["x"]}`), jwks.ErrInvalidSet},
		{"kty not a string", []byte(`{"keys":[{"kty":1}]}`), jwks.ErrInvalidSet},
		{"trailing data", append(setOf(good), []byte(`{}`)...), jwks.ErrInvalidSet},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set, err := jwks.ParseJWKS(c.doc)
			if !errors.Is(err, c.want) || set != nil {
				t.Fatalf("got %v, %v; want %v", set, err, c.want)
			}
		})
	}
}

// Keys not meant for signature verification are skipped, not errors.
func TestParseJWKSSkipsKeysNotForVerification(t *testing.T) {
	k := tk(t)
	good := rsaJWK("a", "", &k.rsa.PublicKey)
	cases := []struct {
		name string
		jwk  obj
	}{
		{"use enc", with(good, "use", "enc")},
		{"key_ops without verify", with(good, "use", nil, "key_ops", []string{"encrypt"})},
		{"empty key_ops", with(good, "key_ops", []string{})},
		{"unknown kty", obj{"kty": "XYZ", "kid": "x"}},
		{"EC P-521", with(ecJWK("e", &k.p256.PublicKey), "crv", "P-521")},
		{"OKP X25519", with(edJWK("o", k.ed.Public().(ed25519.PublicKey)), "crv", "X25519")},
		{"RSA stating RSA-OAEP", with(good, "use", nil, "alg", "RSA-OAEP")},
		{"RSA stating ES256", with(good, "alg", "ES256")},
		{"EC stating HS256", with(ecJWK("e", &k.p256.PublicKey), "alg", "HS256")},
		{"RSA stating none", with(good, "alg", "none")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set, err := jwks.ParseJWKS(setOf(c.jwk, edJWK("kept", k.ed.Public().(ed25519.PublicKey))))
			if err != nil {
				t.Fatal(err)
			}
			if set.Len() != 1 || set.Keys()[0].KID() != "kept" {
				t.Fatalf("kept %d keys", set.Len())
			}
		})
	}
	// key_ops with verify is kept.
	set, err := jwks.ParseJWKS(setOf(with(good, "use", nil, "key_ops", []string{"verify"})))
	if err != nil || set.Len() != 1 {
		t.Fatalf("key_ops [verify]: %v, %d keys", err, set.Len())
	}
}

// Set.Key: the alg must fit the key's type and the JWK's stated alg; kid is
// required when there are several keys.
func TestSetKeyRefusesAlgConfusion(t *testing.T) {
	k := tk(t)
	set, err := jwks.ParseJWKS(setOf(
		rsaJWK("rsa", "", &k.rsa.PublicKey),
		rsaJWK("rsa-rs512", "RS512", &k.rsa2.PublicKey),
		ecJWK("p256", &k.p256.PublicKey),
		ecJWK("p384", &k.p384.PublicKey),
		edJWK("ed", k.ed.Public().(ed25519.PublicKey)),
	))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		kid, alg string
		want     error
	}{
		{"rsa", "RS256", nil}, {"rsa", "RS384", nil}, {"rsa", "RS512", nil},
		{"rsa", "PS256", nil}, {"rsa", "PS384", nil}, {"rsa", "PS512", nil},
		{"rsa", "HS256", jwks.ErrAlgMismatch}, {"rsa", "none", jwks.ErrAlgMismatch},
		{"rsa", "", jwks.ErrAlgMismatch}, {"rsa", "ES256", jwks.ErrAlgMismatch},
		{"rsa", "rs256", jwks.ErrAlgMismatch},
		{"rsa-rs512", "RS512", nil}, {"rsa-rs512", "RS256", jwks.ErrAlgMismatch},
		{"p256", "ES256", nil}, {"p256", "ES384", jwks.ErrAlgMismatch}, {"p256", "RS256", jwks.ErrAlgMismatch},
		{"p384", "ES384", nil}, {"p384", "ES256", jwks.ErrAlgMismatch}, {"p384", "ES512", jwks.ErrAlgMismatch},
		{"ed", "EdDSA", nil}, {"ed", "ES256", jwks.ErrAlgMismatch}, {"ed", "HS512", jwks.ErrAlgMismatch},
		{"missing", "RS256", jwks.ErrUnknownKID},
		{"missing", "none", jwks.ErrAlgMismatch}, // an unusable alg never asks for a refresh
		{"", "RS256", jwks.ErrKIDRequired},
	}
	for _, c := range cases {
		t.Run(c.kid+"/"+c.alg, func(t *testing.T) {
			key, err := set.Key(c.kid, c.alg)
			if err != c.want {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if err == nil && (key.KID() != c.kid || !key.Fits(c.alg)) {
				t.Fatalf("wrong key %q", key.KID())
			}
			if err != nil && key != nil {
				t.Fatal("a key came with an error")
			}
		})
	}
	// One key: a token without kid gets it.
	one, _ := jwks.ParseJWKS(setOf(ecJWK("only", &k.p256.PublicKey)))
	if key, err := one.Key("", "ES256"); err != nil || key.KID() != "only" {
		t.Fatalf("single key without kid: %v", err)
	}
	empty, _ := jwks.ParseJWKS(setOf())
	if _, err := empty.Key("", "ES256"); err != jwks.ErrUnknownKID {
		t.Fatalf("empty set: %v", err)
	}
}
