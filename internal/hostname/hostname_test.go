package hostname_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/hostname"
)

func TestValid(t *testing.T) {
	cases := map[string]bool{
		"idp.example.com": true, "localhost": true, "a-b.c": true, "X1.Y2": true,
		"": false, "a..b": false, ".a": false, "a.": false, "-a.b": false, "a-.b": false,
		"a_b.c": false, "a%2eb": false, "a b": false, "a@b": false,
		strings.Repeat("a", 64) + ".b": false, strings.Repeat("a.", 127) + "bc": false,
	}
	for in, want := range cases {
		if got := hostname.Valid(in); got != want {
			t.Errorf("Valid(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	cases := map[string]bool{
		"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.255.0.9": true, "::1": true,
		"::ffff:127.0.0.1":       true,
		"localhost.evil.example": false, "127.0.0.1.nip.io": false, "10.0.0.1": false, "::": false,
		"0.0.0.0": false, "[::1]": false, "": false,
	}
	for in, want := range cases {
		if got := hostname.IsLoopback(in); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", in, got, want)
		}
	}
}
