package signing_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/signing"
)

func BenchmarkAPIKeyParseDigest(b *testing.B) {
	h, err := signing.NewAPIKeyHasher(signing.NewSecret([]byte(akTestKey)))
	if err != nil {
		b.Fatal(err)
	}
	raw, _, secret, err := signing.GenerateAPIKey("ak", "prod")
	if err != nil {
		b.Fatal(err)
	}
	stored := h.Digest([]byte(secret))
	rawB := []byte(raw)
	b.ReportAllocs()
	for b.Loop() {
		p, err := signing.ParseAPIKey(rawB, "ak")
		if err != nil || !h.Match(p.Secret, stored[:]) {
			b.Fatal("refused")
		}
	}
}
