package feature

import (
	"testing"

	"github.com/gatehouse/gatehouse/keystore"
)

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
		{"password+passkey", true, false},
		{"passkey+uv", true, false},
		{"passkey", false, true},
		{"passkey+totp", false, false},
		{"oauth:github+passkey", false, false},
		{"passkey+passkey", false, false},
		{"passkey+uv+totp", false, false},
		{"password+uv", false, false},
		{"oauth:github+uv", false, false},
	}
	for _, tc := range cases {
		if got := PasswordFirstFactor(tc.method); got != tc.password {
			t.Errorf("PasswordFirstFactor(%q) = %t, want %t", tc.method, got, tc.password)
		}
		if got := ValidFirstFactor(tc.method); got != tc.first {
			t.Errorf("ValidFirstFactor(%q) = %t, want %t", tc.method, got, tc.first)
		}
	}
	for _, first := range []string{"password", "oauth:github"} {
		m := MethodAfterTOTP(first)
		if PasswordFirstFactor(m) != (first == "password") {
			t.Errorf("after TOTP, %q counts wrongly", m)
		}
		m = MethodAfterPasskey(first)
		if PasswordFirstFactor(m) != (first == "password") {
			t.Errorf("after a passkey, %q counts wrongly", m)
		}
	}
}

// TestPasskeyMethodsFollowTheRule pins the AuthMethod of each passkey
// login (docs/design.md "Passkeys") and when a second step follows.
func TestPasskeyMethodsFollowTheRule(t *testing.T) {
	if PasswordlessMethod(true) != "passkey+uv" || PasswordlessMethod(false) != "passkey" {
		t.Fatal("passwordless methods")
	}
	if MethodAfterPasskey("password") != "password+passkey" || MethodAfterPasskey("oauth:github") != "oauth:github+passkey" {
		t.Fatal("passkey as the second step")
	}
	for _, first := range []string{"passkey", "passkey+uv", "password+totp", "", "totp"} {
		if m := MethodAfterPasskey(first); m != "" {
			t.Errorf("MethodAfterPasskey(%q) = %q, want none", first, m)
		}
	}
	if OAuthFirstFactor("passkey") || OAuthFirstFactor("password") || !OAuthFirstFactor("oauth:x") {
		t.Fatal("OAuthFirstFactor")
	}
	cases := []struct {
		method         string
		totp, passkeys bool
		want           bool
	}{
		{"password", false, false, false},
		{"password", true, false, true},
		{"password", false, true, true},
		{"oauth:github", false, true, true},
		{"passkey+uv", true, true, false},
		{"passkey", false, true, false},
		{"passkey", true, true, true},
	}
	for _, tc := range cases {
		if got := NeedsSecondStep(tc.method, tc.totp, tc.passkeys); got != tc.want {
			t.Errorf("NeedsSecondStep(%q, totp=%t, passkeys=%t) = %t", tc.method, tc.totp, tc.passkeys, got)
		}
	}
	if HasSecondFactor(false, false) || !HasSecondFactor(true, false) || !HasSecondFactor(false, true) {
		t.Fatal("HasSecondFactor")
	}
}

// TestEveryComposedMethodParses prevents the portal's AuthMethod strings
// from drifting from the one parser the verifier's auth_methods rules use
// (keystore.ParseAuthMethod): every method a login can store parses, with
// the factors it was made of.
func TestEveryComposedMethodParses(t *testing.T) {
	firsts := map[string]keystore.AuthFactors{
		MethodPassword:               keystore.FactorPassword,
		MethodOAuthPrefix + "github": keystore.FactorOAuth,
		MethodPasskey:                keystore.FactorPasskey,
	}
	for first, ff := range firsts {
		if !ValidFirstFactor(first) {
			t.Fatalf("%q is not a first factor", first)
		}
		cases := map[string]keystore.AuthFactors{first: ff, MethodAfterTOTP(first): ff | keystore.FactorTOTP}
		if m := MethodAfterPasskey(first); m != "" {
			cases[m] = ff | keystore.FactorPasskey
		}
		for m, want := range cases {
			if got := keystore.ParseAuthMethod(m); got != want {
				t.Errorf("ParseAuthMethod(%q) = %b, want %b", m, got, want)
			}
		}
	}
	for _, uv := range []bool{true, false} {
		m := PasswordlessMethod(uv)
		want := keystore.FactorPasskey
		if uv {
			want |= keystore.FactorUserVerified
		}
		if got := keystore.ParseAuthMethod(m); got != want {
			t.Errorf("ParseAuthMethod(%q) = %b, want %b", m, got, want)
		}
	}
}
