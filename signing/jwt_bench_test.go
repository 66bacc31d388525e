package signing_test

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

func benchJWTVerify(b *testing.B, key signing.JWTKey) {
	f := newJWTFixture(b)
	switch key.Alg {
	case signing.AlgEdDSA:
		key = f.ed
	case signing.AlgES256:
		key = f.ec
	default:
		key = f.hs
	}
	iss, err := signing.NewJWTIssuer(signing.JWTIssuerConfig{Issuer: testIss, Audience: testAud, Key: key})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := iss.Issue(signing.IssueClaims{Subject: "user-1", SFP: "fp", SID: "s", Lifetime: time.Minute}, testNow)
	if err != nil {
		b.Fatal(err)
	}
	token := []byte(tok)
	s := new(signing.JWTScratch)
	out := new(signing.AccessClaims)
	b.ReportAllocs()
	b.SetBytes(int64(len(token)))
	for b.Loop() {
		if err := f.v.Verify(token, testNow, s, out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJWTVerifyHS256(b *testing.B) { benchJWTVerify(b, signing.JWTKey{Alg: signing.AlgHS256}) }
func BenchmarkJWTVerifyEdDSA(b *testing.B) { benchJWTVerify(b, signing.JWTKey{Alg: signing.AlgEdDSA}) }
func BenchmarkJWTVerifyES256(b *testing.B) { benchJWTVerify(b, signing.JWTKey{Alg: signing.AlgES256}) }

// BenchmarkJWTIssue: one portal/CLI token per login (not the hot path).
func BenchmarkJWTIssue(b *testing.B) {
	f := newJWTFixture(b)
	for _, key := range []signing.JWTKey{f.hs, f.ed, f.ec} {
		b.Run(key.Alg, func(b *testing.B) {
			iss, err := signing.NewJWTIssuer(signing.JWTIssuerConfig{Issuer: testIss, Audience: testAud, Key: key})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := iss.Issue(signing.IssueClaims{Subject: "user-1", SFP: "fp", SID: "s", Lifetime: time.Minute}, testNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
