package signing_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

func TestJWKS(t *testing.T) {
	f := newJWTFixture(t)
	out, err := signing.JWKS([]signing.JWTKey{f.hs, f.ed, f.ec})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, f.hsSecret) || bytes.Contains(out, []byte(base64.RawURLEncoding.EncodeToString(f.hsSecret))) {
		t.Fatal("JWKS leaks the HS256 secret")
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(out, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 2 {
		t.Fatalf("keys: %s", out)
	}
	ed, ec := set.Keys[0], set.Keys[1]
	edPub := f.ed.Ed25519Private.Public().(ed25519.PublicKey)
	if ed["kty"] != "OKP" || ed["crv"] != "Ed25519" || ed["kid"] != "ed1" || ed["alg"] != "EdDSA" || ed["use"] != "sig" ||
		ed["x"] != base64.RawURLEncoding.EncodeToString(edPub) || len(ed) != 6 {
		t.Fatalf("ed25519 JWK %v", ed)
	}
	pt, err := f.ec.ECDSAPrivate.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	raw := pt.Bytes()
	if ec["kty"] != "EC" || ec["crv"] != "P-256" || ec["kid"] != "ec1" || ec["alg"] != "ES256" || ec["use"] != "sig" ||
		ec["x"] != base64.RawURLEncoding.EncodeToString(raw[1:33]) || ec["y"] != base64.RawURLEncoding.EncodeToString(raw[33:]) {
		t.Fatalf("P-256 JWK %v", ec)
	}
	if _, ok := ec["d"]; ok {
		t.Fatal("private part published")
	}
	empty, err := signing.JWKS(nil)
	if err != nil || string(empty) != `{"keys":[]}` {
		t.Fatalf("empty set %s %v", empty, err)
	}
}

func TestParseJWTKeyPEM(t *testing.T) {
	key, pemBytes, err := signing.GenerateEd25519Key("ed-new")
	if err != nil {
		t.Fatal(err)
	}
	if key.Alg != signing.AlgEdDSA || key.KID != "ed-new" || len(key.Ed25519Public) != ed25519.PublicKeySize {
		t.Fatalf("generated %+v", key.KID)
	}
	parsed, err := signing.ParseJWTKeyPEM("ed-new", pemBytes)
	if err != nil || !parsed.Ed25519Private.Equal(key.Ed25519Private) || !parsed.Ed25519Public.Equal(key.Ed25519Public) {
		t.Fatalf("round trip: %v", err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(key.Ed25519Public)
	pubOnly, err := signing.ParseJWTKeyPEM("ed-pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	if err != nil || pubOnly.Ed25519Private != nil || !pubOnly.Ed25519Public.Equal(key.Ed25519Public) {
		t.Fatalf("public PEM: %v", err)
	}
	// A token signed with the generated key verifies with the public PEM.
	iss, err := signing.NewJWTIssuer(signing.JWTIssuerConfig{Issuer: testIss, Audience: testAud, Key: parsed})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := iss.Issue(signing.IssueClaims{Subject: "u", Lifetime: time.Minute}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	pubOnly.KID = "ed-new"
	v, err := signing.NewJWTVerifier(signing.JWTVerifierConfig{Issuer: testIss, Audience: testAud, Keys: []signing.JWTKey{pubOnly}})
	if err != nil {
		t.Fatal(err)
	}
	var s signing.JWTScratch
	var out signing.AccessClaims
	if err := v.Verify([]byte(tok), testNow, &s, &out); err != nil {
		t.Fatal(err)
	}

	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	ecParsed, err := signing.ParseJWTKeyPEM("ec", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err != nil || ecParsed.Alg != signing.AlgES256 || !ecParsed.ECDSAPrivate.Equal(ecKey) {
		t.Fatalf("P-256 PKCS#8: %v", err)
	}
	sec1, _ := x509.MarshalECPrivateKey(ecKey)
	if k, err := signing.ParseJWTKeyPEM("ec", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})); err != nil || k.Alg != signing.AlgES256 {
		t.Fatalf("P-256 SEC 1: %v", err)
	}

	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER, _ := x509.MarshalPKCS8PrivateKey(p384)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024) //nolint:gosec // test only: a refused key type
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	bad := map[string][]byte{
		"empty":         nil,
		"not PEM":       []byte("hello"),
		"P-384":         pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p384DER}),
		"RSA":           pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rsaDER}),
		"wrong type":    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		"garbage DER":   pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}),
		"trailing data": append(bytes.Clone(pemBytes), []byte("extra")...),
		"two blocks":    append(bytes.Clone(pemBytes), pemBytes...),
	}
	for name, b := range bad {
		if _, err := signing.ParseJWTKeyPEM("k", b); !errors.Is(err, signing.ErrJWTKey) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := signing.GenerateEd25519Key(""); err == nil {
		t.Error("EdDSA key without kid accepted")
	}
}

func TestJWTKeyNeverPrintsMaterial(t *testing.T) {
	f := newJWTFixture(t)
	for _, k := range []signing.JWTKey{f.hs, f.ed, f.ec} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
			out := fmt.Sprintf(verb, k)
			if strings.Contains(out, string(f.hsSecret)) || strings.Contains(out, fmt.Sprintf("%x", []byte(f.ed.Ed25519Private))) ||
				strings.Contains(out, fmt.Sprint([]byte(f.ed.Ed25519Private))) || strings.Contains(out, "D:") {
				t.Fatalf("%s printed key material: %s", verb, out)
			}
			if !strings.Contains(out, k.KID) {
				t.Fatalf("%s lost the kid: %s", verb, out)
			}
		}
		if out := fmt.Sprintf("%v", []signing.JWTKey{k}); strings.Contains(out, string(f.hsSecret)) {
			t.Fatal("slice printing leaked")
		}
	}
}

// TestActiveJWTKeyNeverFallsBackToAnotherKey: the signing key is the one
// the active kid names, wherever it sits in the list; a kid that names no
// key (or two) is an error, never "the first key".
func TestActiveJWTKeyNeverFallsBackToAnotherKey(t *testing.T) {
	f := newJWTFixture(t)
	ed2 := signing.JWTKey{KID: "ed2", Alg: signing.AlgEdDSA, Ed25519Private: f.otherEd}
	noKID := signing.JWTKey{Alg: signing.AlgHS256, HMAC: signing.NewSecret(f.hsSecret)}
	cases := []struct {
		name    string
		keys    []signing.JWTKey
		kid     string
		want    string // kid of the chosen key
		wantErr bool
	}{
		{"active is last", []signing.JWTKey{f.ed, ed2}, "ed2", "ed2", false},
		{"active is first", []signing.JWTKey{f.ed, ed2}, "ed1", "ed1", false},
		{"active in the middle", []signing.JWTKey{f.ed, ed2, f.ec}, "ed2", "ed2", false},
		{"HS256 secret without kid", []signing.JWTKey{noKID}, "", "", false},
		{"unknown kid", []signing.JWTKey{f.ed, ed2}, "ed3", "", true},
		{"empty kid with kids only", []signing.JWTKey{f.ed, ed2}, "", "", true},
		{"no keys", nil, "ed1", "", true},
		{"duplicate kid", []signing.JWTKey{f.ed, {KID: "ed1", Alg: signing.AlgEdDSA, Ed25519Private: f.otherEd}}, "ed1", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k, err := signing.ActiveJWTKey(tc.keys, tc.kid)
			if tc.wantErr {
				if !errors.Is(err, signing.ErrJWTKey) {
					t.Fatalf("err = %v, want ErrJWTKey", err)
				}
				return
			}
			if err != nil || k.KID != tc.want {
				t.Fatalf("got kid %q, err %v; want %q", k.KID, err, tc.want)
			}
		})
	}
}
