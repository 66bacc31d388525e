package signing_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/signing"
)

func BenchmarkLSA1Canonical(b *testing.B) {
	headers := map[string][][]byte{
		"host":         {[]byte("api.example.test")},
		"x-auth-date":  {[]byte("2026-11-25T12:00:00Z")},
		"x-auth-nonce": {[]byte("0123456789abcdef0123456789abcdef")},
	}
	authz := []byte("LSA1-HMAC-SHA256 Credential=AAECAwQFBgcICQoLDA0ODw, SignedHeaders=host;x-auth-date;x-auth-nonce, Signature=" +
		"686ac408f5a837cb27634d666c5a5a09cf22a15d5238bbbdb927cf8adc452767")
	in := signing.LSA1Input{
		Method:   []byte("GET"),
		RawPath:  []byte("/v1/items/42/caf%C3%A9"),
		RawQuery: []byte("z=1&a=hello+world&m=%7Ex&tag=b&tag=a"),
		Header:   func(name []byte) [][]byte { return headers[string(name)] },
	}
	secret := []byte("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		a, err := signing.ParseLSA1Authorization(authz)
		if err != nil {
			b.Fatal(err)
		}
		in.SignedHeaders = a.SignedHeaders
		buf, err = signing.LSA1Canonical(buf[:0], in)
		if err != nil {
			b.Fatal(err)
		}
		_ = signing.LSA1Verify(secret, buf, a.Signature)
	}
}
