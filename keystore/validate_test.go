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
