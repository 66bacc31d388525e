package web

import (
	"encoding/base64"
	"strings"
	"testing"
)

func testCSRF() *CSRF {
	return &CSRF{Key: []byte("0123456789abcdef0123456789abcdef"), Cookies: &Cookies{Name: "gatehouse_session"}}
}

func TestCSRFTokenBinding(t *testing.T) {
	c := testCSRF()
	tok, err := c.NewToken([]byte("session-a"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.ValidFor(tok, []byte("session-a")) {
		t.Fatal("own token refused")
	}
	for _, bad := range []string{"", "x", tok + "x", strings.Replace(tok, ".", "", 1), "." + tok, tok[:10]} {
		if c.ValidFor(bad, []byte("session-a")) {
			t.Errorf("accepted %q", bad)
		}
	}
	if c.ValidFor(tok, []byte("session-b")) || c.ValidFor(tok, []byte(CSRFPreBinding)) {
		t.Fatal("token valid for another binding")
	}
}

// FuzzCSRFToken: a token is accepted only in its one canonical form,
// "<nonce>.<MAC of nonce>" under the key (no malleable encodings).
func FuzzCSRFToken(f *testing.F) {
	c := testCSRF()
	good, _ := c.NewToken([]byte("s"))
	f.Add(good)
	f.Add("a.b")
	f.Add(good + "=")
	f.Fuzz(func(t *testing.T, tok string) {
		if !c.ValidFor(tok, []byte("s")) {
			return
		}
		n, _, _ := strings.Cut(tok, ".")
		nonce, err := base64.RawURLEncoding.DecodeString(n)
		if err != nil {
			t.Fatalf("accepted undecodable nonce: %q", tok)
		}
		want := base64.RawURLEncoding.EncodeToString(nonce) + "." + base64.RawURLEncoding.EncodeToString(c.mac([]byte("s"), nonce))
		if tok != want {
			t.Fatalf("accepted non-canonical token %q", tok)
		}
	})
}

func BenchmarkCSRFCheck(b *testing.B) {
	c := testCSRF()
	binding := []byte("0123456789abcdef0123456789abcdef")
	tok, _ := c.NewToken(binding)
	b.ReportAllocs()
	for b.Loop() {
		if !c.ValidFor(tok, binding) {
			b.Fatal("refused")
		}
	}
}
