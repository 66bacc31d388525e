package keystore_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/keystore"
)

func TestValidEmail(t *testing.T) {
	cases := []struct {
		in   string
		want bool
	}{
		{"a@b.test", true},
		{"Ünïcode@exämple.test", true},
		{"first.last+tag@example.test", true},
		{"", false},
		{"@b.test", false},
		{"a@", false},
		{"a@b@c", false},
		{"no-at.example.test", false},
		{"a b@example.test", false},
		{"a@b.test\r\nBcc: x@y.test", false},
		{"a@b.test\x00", false},
		{"<a@b.test>", false},
		{`"a"@b.test`, false},
		{"a,b@c.test", false},
		{"a;b@c.test", false},
		{`a\b@c.test`, false},
		{"a\u0085@b.test", false},
		{"a@b.test\xff", false},
		{strings.Repeat("a", 250) + "@b.test", false},
	}
	for _, tc := range cases {
		if got := keystore.ValidEmail(tc.in); got != tc.want {
			t.Errorf("ValidEmail(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestValidRoleName(t *testing.T) {
	cases := []struct {
		in   string
		want bool
	}{
		{"admin", true},
		{"team:billing.read-only_2", true},
		{"", false},
		{"a,b", false},
		{"a b", false},
		{"rôle", false},
		{"a\nb", false},
		{strings.Repeat("r", 65), false},
	}
	for _, tc := range cases {
		if got := keystore.ValidRoleName(tc.in); got != tc.want {
			t.Errorf("ValidRoleName(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestValidIDBounds(t *testing.T) {
	long := strings.Repeat("a", keystore.MaxIDLen)
	for _, tc := range []struct {
		id   string
		want bool
	}{{"", false}, {"u", true}, {long, true}, {long + "a", false}} {
		if got := keystore.ValidID(tc.id); got != tc.want {
			t.Errorf("ValidID(len %d) = %v, want %v", len(tc.id), got, tc.want)
		}
	}
}

func TestValidOAuthLinkKeyRefusesAmbiguousJoins(t *testing.T) {
	for _, tc := range []struct {
		provider, subject string
		want              bool
	}{
		{"github", "123", true},
		{"", "123", false},
		{"github", "", false},
		{"git\x00hub", "123", false}, // NUL in the provider would make provider\x00subject ambiguous
		{"github", "1\x0023", true},  // the subject may hold any bytes
		{"g", strings.Repeat("s", keystore.MaxIDLen-1), true},
		{"g", strings.Repeat("s", keystore.MaxIDLen), false},
	} {
		if got := keystore.ValidOAuthLinkKey(tc.provider, tc.subject); got != tc.want {
			t.Errorf("ValidOAuthLinkKey(%q, len %d) = %v, want %v", tc.provider, len(tc.subject), got, tc.want)
		}
	}
}
