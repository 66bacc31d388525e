package totp

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/loginui/internal/qrcheck"
	"github.com/gatehouse/gatehouse/signing"
)

// TestQRPNGModulesEqualTheURIMatrix: for keys of each algorithm and
// hostile labels, the PNG's modules are the QR matrix of exactly the URI,
// and the URI with one character changed has another matrix (so the
// check would catch a wrong URI).
func TestQRPNGModulesEqualTheURIMatrix(t *testing.T) {
	sec := []byte("12345678901234567890123456789012")
	cases := []struct {
		name, issuer, account string
		alg                   signing.TOTPAlgorithm
	}{
		{"sha256", "gatehouse", "tia@example.test", signing.TOTPSHA256},
		{"sha1", "Gate House", "a&b+c@example.test", signing.TOTPSHA1},
		{"sha512 long label", strings.Repeat("Ü", 40), strings.Repeat("x", 60) + "@example.test", signing.TOTPSHA512},
		{"markup in labels", `<img src=x>"'`, `"><script>@example.test`, signing.TOTPSHA256},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			uri := signing.TOTPURI(c.issuer, c.account, c.alg, sec)
			if uri == "" {
				t.Fatal("no URI")
			}
			p, err := qrPNG(uri)
			if err != nil {
				t.Fatal(err)
			}
			if err := qrcheck.PNGIsText(p, uri, qrLevel, qrMode, qrQuiet); err != nil {
				t.Fatal(err)
			}
			other := uri[:len(uri)-1] + "A"
			if strings.HasSuffix(uri, "A") {
				other = uri[:len(uri)-1] + "B"
			}
			if qrcheck.PNGIsText(p, other, qrLevel, qrMode, qrQuiet) == nil {
				t.Fatal("the matrix of a different URI matches")
			}
		})
	}
}

func TestGroupKeyInBlocksOfFour(t *testing.T) {
	cases := map[string]string{
		"":          "",
		"ABC":       "ABC",
		"ABCD":      "ABCD",
		"ABCDE":     "ABCD E",
		"ABCDEFGH2": "ABCD EFGH 2",
	}
	for in, want := range cases {
		if got := groupKey(in); got != want {
			t.Errorf("groupKey(%q) = %q, want %q", in, got, want)
		}
	}
	sec, err := signing.NewTOTPSecret()
	if err != nil {
		t.Fatal(err)
	}
	key := signing.EncodeTOTPSecret(sec)
	back, err := signing.DecodeTOTPSecret(groupKey(key))
	if err != nil || !bytes.Equal(back, sec) {
		t.Fatalf("grouped key does not decode: %v", err)
	}
}
