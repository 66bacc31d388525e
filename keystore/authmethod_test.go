package keystore_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/keystore"
)

const (
	fPW  = keystore.FactorPassword
	fOA  = keystore.FactorOAuth
	fTO  = keystore.FactorTOTP
	fPK  = keystore.FactorPasskey
	fUV  = keystore.FactorUserVerified
	none = keystore.AuthFactors(0)
)

func TestParseAuthMethod(t *testing.T) {
	cases := []struct {
		in   string
		want keystore.AuthFactors
	}{
		{"password", fPW},
		{"password+totp", fPW | fTO},
		{"password+passkey", fPW | fPK},
		{"oauth:github", fOA},
		{"oauth:my-idp", fOA},
		{"oauth:github+totp", fOA | fTO},
		{"oauth:github+passkey", fOA | fPK},
		{"passkey", fPK},
		{"passkey+uv", fPK | fUV},
		{"passkey+totp", fPK | fTO},
		{"passkey+uv+totp", fPK | fUV | fTO},
		{"totp", fTO},
		// Malformed: zero, never a partial set.
		{"", none},
		{"Password", none},
		{"password ", none},
		{" password", none},
		{"passwordx", none},
		{"password+", none},
		{"password+totp+totp", none},
		{"password+totp+passkey", none},
		{"password+uv", none},
		{"password+passkey+uv", none},
		{"oauth:", none},
		{"oauth:+totp", none},
		{"oauth:git hub", none},
		{"oauth:github+", none},
		{"oauth:github:x", none},
		{"oauth:" + strings.Repeat("a", 65), none},
		{"passkey+passkey", none},
		{"passkey+uv+passkey", none},
		{"passkey+uv+uv", none},
		{"passkey+UV", none},
		{"totp+totp", none},
		{"totp+passkey", none},
		{"+totp", none},
		{"passkey\x00", none},
		{"password\n+totp", none},
		{"uv", none},
		{"oauth", none},
		{strings.Repeat("p", keystore.MaxAuthMethodLen+1), none},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if got := keystore.ParseAuthMethod(c.in); got != c.want {
				t.Fatalf("ParseAuthMethod(%q) = %05b, want %05b", c.in, got, c.want)
			}
		})
	}
}

func TestParseAuthFactorName(t *testing.T) {
	cases := []struct {
		in   string
		want keystore.AuthFactors
		ok   bool
	}{
		{"password", fPW, true},
		{"oauth", fOA, true},
		{"totp", fTO, true},
		{"passkey", fPK, true},
		// user-verified is a property of a passkey login, not a rule name.
		{"uv", 0, false},
		{"user_verified", 0, false},
		{"Passkey", 0, false},
		{"oauth:github", 0, false},
		{"", 0, false},
	}
	for _, c := range cases {
		got, ok := keystore.ParseAuthFactorName(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseAuthFactorName(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	for _, n := range keystore.AuthFactorNames {
		if _, ok := keystore.ParseAuthFactorName(n); !ok {
			t.Errorf("AuthFactorNames holds %q, which does not parse", n)
		}
	}
}

// FuzzParseAuthMethod: whatever a record holds, the parser never panics,
// "+uv" only comes with a passkey, every accepted method but the legacy
// "totp" names a first factor, and nothing with white space, NUL or more
// than two suffixes is accepted.
func FuzzParseAuthMethod(f *testing.F) {
	for _, s := range []string{"password", "password+totp", "oauth:github+passkey", "passkey+uv", "passkey+totp", "totp", "passkey+passkey", "oauth:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := keystore.ParseAuthMethod(s)
		if got == 0 {
			return
		}
		if len(s) > keystore.MaxAuthMethodLen {
			t.Fatalf("%q: accepted beyond the length bound", s)
		}
		if got&fUV != 0 && got&fPK == 0 {
			t.Fatalf("%q: user verified without a passkey: %05b", s, got)
		}
		if s != "totp" && got&(fPW|fOA|fPK) == 0 {
			t.Fatalf("%q: no first factor: %05b", s, got)
		}
		if strings.ContainsAny(s, " \t\r\n\x00") {
			t.Fatalf("%q: accepted white space or NUL", s)
		}
		if strings.Count(s, "+") > 2 {
			t.Fatalf("%q: more than two suffixes accepted", s)
		}
	})
}
