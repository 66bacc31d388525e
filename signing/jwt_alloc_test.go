//go:build !race

package signing_test

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

// TestJWTVerifyHS256AllocatesNothing guards the hot path: an allowed HS256
// access token is verified without a single allocation.
func TestJWTVerifyHS256AllocatesNothing(t *testing.T) {
	f := newJWTFixture(t)
	iss, err := signing.NewJWTIssuer(signing.JWTIssuerConfig{Issuer: testIss, Audience: testAud, Key: f.hs})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := iss.Issue(signing.IssueClaims{Subject: "user-1", SFP: "fp", SID: "s", Lifetime: time.Minute}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	// A token with escaped strings and an array aud takes the slower paths.
	escaped := mkToken(hsHeader, `{"sub":"us\u00e9r","aud":["x","gatehouse:access"],"iss":"https:\/\/auth.example.test","iat":1800000000,"nbf":1800000000,"exp":1800000060,"jti":"`+testJTI+`"}`, signHS(f.hsSecret))
	s := new(signing.JWTScratch)
	out := new(signing.AccessClaims)
	for _, token := range [][]byte{[]byte(tok), []byte(escaped)} {
		allocs := testing.AllocsPerRun(200, func() {
			if err := f.v.Verify(token, testNow, s, out); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Fatalf("Verify allocated %v times per run", allocs)
		}
	}
	// Refusals allocate nothing either.
	bad := []byte(mkToken(hsHeader, claims(map[string]any{"aud": "other"}), signHS(f.hsSecret)))
	if allocs := testing.AllocsPerRun(200, func() { _ = f.v.Verify(bad, testNow, s, out) }); allocs != 0 {
		t.Fatalf("refusal allocated %v times per run", allocs)
	}
}

// TestPeekIssuerAllocatesNothing: the issuer lookup runs before every
// bearer token check when external issuers are configured.
func TestPeekIssuerAllocatesNothing(t *testing.T) {
	buf := make([]byte, 4096)
	for _, tok := range []string{peekToken(`{"sub":"x","iss":"https://idp.example","aud":["a"]}`), peekToken(`{"iss":"https:\/\/idp.example"}`)} {
		token := []byte(tok)
		if n := testing.AllocsPerRun(200, func() {
			if _, ok := signing.PeekIssuer(token, buf); !ok {
				t.Fatal("not ok")
			}
		}); n != 0 {
			t.Fatalf("%v allocations", n)
		}
	}
}
