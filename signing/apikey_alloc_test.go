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
