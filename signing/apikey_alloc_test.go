//go:build !race

package signing_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/signing"
)

// TestAPIKeyParseDigestMatchAllocatesNothing guards the hot path of an
// allowed API key, and of an unknown key id (dummy digest).
func TestAPIKeyParseDigestMatchAllocatesNothing(t *testing.T) {
	h, err := signing.NewAPIKeyHasher(signing.NewSecret([]byte(akTestKey)))
	if err != nil {
		t.Fatal(err)
	}
	raw, _, secret, err := signing.GenerateAPIKey("ak", "prod")
	if err != nil {
		t.Fatal(err)
	}
	stored := h.Digest([]byte(secret))
	rawB := []byte(raw)
	allocs := testing.AllocsPerRun(200, func() {
		p, err := signing.ParseAPIKey(rawB, "ak")
		if err != nil {
			t.Fatal(err)
		}
		if !h.Match(p.Secret, stored[:]) {
			t.Fatal("no match")
		}
		dummy := h.DummyDigest()
		if h.Match(p.Secret, dummy[:]) {
			t.Fatal("dummy matched")
		}
	})
	if allocs != 0 {
		t.Fatalf("allocated %v times per run", allocs)
	}
}

// TestLSA1KeyAndCanonicalAllocateNothing guards the signed-request check:
// the canonical request (a query to sort included) and the signature check
// with a pooled key allocate nothing once warm.
func TestLSA1KeyAndCanonicalAllocateNothing(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	k := signing.NewLSA1Key(secret)
	hdr := map[string][][]byte{"x-auth-date": {[]byte("2030-01-01T00:00:00Z")}, "x-auth-nonce": {[]byte("n-1")}}
	in := signing.LSA1Input{
		Method: []byte("GET"), RawPath: []byte("/api/items"), RawQuery: []byte("limit=10&b=2&a=1&a=%7E0"),
		Host: []byte("app.example.test"), SignedHeaders: []byte("host;x-auth-date;x-auth-nonce"),
		Header: func(name []byte) [][]byte { return hdr[string(name)] },
	}
	buf := make([]byte, 0, 512)
	canon, err := signing.LSA1Canonical(buf, in)
	if err != nil {
		t.Fatal(err)
	}
	sig := signing.LSA1Signature(secret, canon)
	n := testing.AllocsPerRun(200, func() {
		c, err := signing.LSA1Canonical(buf[:0], in)
		if err != nil || !k.Verify(c, sig) {
			t.Fatal("refused")
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations per canonical request and check, want 0", n)
	}
}
