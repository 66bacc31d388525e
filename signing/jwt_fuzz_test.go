package signing_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

// FuzzJWTVerify: Verify never panics and never accepts a token whose signed
// part (header.payload) was not issued by one of the fixture's keys.
func FuzzJWTVerify(f *testing.F) {
	fx := newJWTFixture(f)
	issued := map[string]bool{}
	for _, key := range []signing.JWTKey{fx.hs, fx.ed, fx.ec, {Alg: signing.AlgHS256, HMAC: fx.hs.HMAC}} {
		iss, err := signing.NewJWTIssuer(signing.JWTIssuerConfig{Issuer: testIss, Audience: testAud, Key: key})
		if err != nil {
			f.Fatal(err)
		}
		tok, err := iss.Issue(signing.IssueClaims{Subject: "user-1", JTI: testJTI, SFP: "fp", SID: "s", Lifetime: time.Hour,
			Extra: map[string]any{"amr": []string{"pwd"}, "x": map[string]any{"y": []any{1.5, "\u00e9", nil}}}}, testNow)
		if err != nil {
			f.Fatal(err)
		}
		issued[tok[:strings.LastIndexByte(tok, '.')]] = true
		f.Add([]byte(tok))
	}
	hs := signHS(fx.hsSecret)
	signedByUs := mkToken(hsHeader, claims(nil), hs)
	issued[signedByUs[:strings.LastIndexByte(signedByUs, '.')]] = true
	for _, tok := range []string{
		signedByUs,
		mkToken(`{"alg":"HS256","typ":"JWT","kid":"ed1"}`, claims(nil), hs),
		mkToken(`{"alg":"none","typ":"JWT"}`, claims(nil), hs),
		mkToken(`{"alg":"HS256","alg":"none","typ":"JWT"}`, claims(nil), hs),
		mkToken(hsHeader, `{"sub":"\ud83d\ude00","aud":["a","gatehouse:access"],"exp":1.0}`, hs),
		"a.b.c", "..", "", "eyJ.eyJ.",
	} {
		f.Add([]byte(tok))
	}
	s := new(signing.JWTScratch)
	f.Fuzz(func(t *testing.T, token []byte) {
		var out signing.AccessClaims
		err := fx.v.Verify(token, testNow, s, &out)
		if err != nil {
			if out.Sub != nil || out.Alg != "" {
				t.Fatal("claims on error")
			}
			return
		}
		signed := string(token[:strings.LastIndexByte(string(token), '.')])
		if !issued[signed] {
			t.Fatalf("accepted a token that was never issued: %q", token)
		}
		if len(out.Sub) == 0 || len(out.JTI) != 32 || out.Alg == "" {
			t.Fatalf("accepted without required claims: %+v", out)
		}
	})
}
