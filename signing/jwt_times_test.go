package signing_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

// TestJWTCheckTimesAgreesWithVerify: claims kept after a Verify and checked
// again later with CheckTimes are refused exactly when a fresh Verify at
// that time would refuse them, so a cache of verified claims cannot stretch
// a token's window.
func TestJWTCheckTimesAgreesWithVerify(t *testing.T) {
	f := newJWTFixture(t)
	v, err := signing.NewJWTVerifier(signing.JWTVerifierConfig{Issuer: testIss, Audience: testAud, Leeway: 5 * time.Second, Keys: []signing.JWTKey{f.hs}})
	if err != nil {
		t.Fatal(err)
	}
	now := testNow.Unix()
	tok := []byte(mkToken(hsHeader, claims(map[string]any{"iat": now - 10, "nbf": now, "exp": now + 60}), signHS(f.hsSecret)))
	var s signing.JWTScratch
	var kept signing.AccessClaims
	if err := v.Verify(tok, testNow, &s, &kept); err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{-16 * time.Second, -15 * time.Second, -6 * time.Second, -5 * time.Second, 0, 65 * time.Second, 66 * time.Second} {
		at := testNow.Add(d)
		var out signing.AccessClaims
		want := v.Verify(tok, at, &s, &out)
		got := v.CheckTimes(&kept, at)
		if !errors.Is(got, want) || (got == nil) != (want == nil) {
			t.Errorf("at now%+v: CheckTimes = %v, Verify = %v", d, got, want)
		}
	}
}
