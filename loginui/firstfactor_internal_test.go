package loginui

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

// TestPendingTokenWithoutFirstFactorIsRefused: a pending token that does
// not name its first factor (as every earlier version issued them) does
// not verify, so the second step never guesses what came first.
func TestPendingTokenWithoutFirstFactorIsRefused(t *testing.T) {
	c, err := newJWTCodec("https://auth.example.test", audTOTPPending,
		[]signing.JWTKey{{Alg: signing.AlgHS256, HMAC: signing.NewSecret([]byte("pending-test-key-0123456789abcdef"))}}, "")
	if err != nil {
		t.Fatal(err)
	}
	c.firstFactor = true
	now := time.Now()
	jti, _ := signing.RandomHex(16)
	old, err := c.issue("u1", jti, "binding", "", time.Minute, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.verify(old, now); err == nil {
		t.Fatal("a pending token without ff verified")
	}
	if _, err := c.issueFirstFactor("u1", jti, "binding", "", time.Minute, now); err == nil {
		t.Fatal("issued a pending token with an empty first factor")
	}
	for _, ff := range []string{methodPassword, methodOAuthPrefix + "github"} {
		tok, err := c.issueFirstFactor("u1", jti, "binding", ff, time.Minute, now)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := c.verify(tok, now)
		if err != nil || cl.FirstFactor != ff {
			t.Fatalf("ff %q: got %q, %v", ff, cl.FirstFactor, err)
		}
	}
}

// TestOnlyAPasswordFirstFactorMakesAPasswordSession pins the one rule
// every "password session" check uses.
func TestOnlyAPasswordFirstFactorMakesAPasswordSession(t *testing.T) {
	cases := []struct {
		method   string
		password bool
		first    bool // valid as a pending token's first factor
	}{
		{"password", true, true},
		{"password+totp", true, false},
		{"oauth:github", false, true},
		{"oauth:github+totp", false, false},
		{"totp", false, false}, // stored by earlier versions: first factor unknown
		{"oauth:", false, false},
		{"", false, false},
		{"Password", false, false},
		{"password+totp+totp", false, false},
	}
	for _, tc := range cases {
		if got := passwordFirstFactor(tc.method); got != tc.password {
			t.Errorf("passwordFirstFactor(%q) = %t, want %t", tc.method, got, tc.password)
		}
		if got := validFirstFactor(tc.method); got != tc.first {
			t.Errorf("validFirstFactor(%q) = %t, want %t", tc.method, got, tc.first)
		}
	}
	for _, first := range []string{"password", "oauth:github"} {
		m := sessionMethodAfterTOTP(first)
		if passwordFirstFactor(m) != (first == "password") {
			t.Errorf("after TOTP, %q counts wrongly", m)
		}
	}
}
