package feature

import "testing"

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
	}
}
