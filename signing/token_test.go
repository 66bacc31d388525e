package signing_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/signing"
)

func TestNewOpaqueToken(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		tok, err := signing.NewOpaqueToken()
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) != 43 {
			t.Fatalf("length %d; want 43", len(tok))
		}
		raw, err := base64.RawURLEncoding.Strict().DecodeString(tok)
		if err != nil || len(raw) != signing.OpaqueTokenBytes {
			t.Fatalf("not 32 bytes of unpadded base64url: %v", err)
		}
		if seen[tok] {
			t.Fatal("duplicate token")
		}
		seen[tok] = true
	}
}

func TestTokenDigest(t *testing.T) {
	key := signing.NewSecret([]byte("token-hash-secret-0123456789abcdef"))
	tok := []byte("dGhpcyBpcyBub3QgYSByZWFsIHRva2VuIGJ1dCBjbG9zZQ")
	got := signing.TokenDigest(key, tok)

	// Independent computation: it is plain HMAC-SHA256(key, token).
	m := hmac.New(sha256.New, key.Bytes())
	m.Write(tok)
	if want := m.Sum(nil); !hmac.Equal(got[:], want) {
		t.Fatalf("digest = %x; want %x", got, want)
	}
	// RFC 4231 test case 2, to pin the construction itself.
	rfc := signing.TokenDigest(signing.NewSecret([]byte("Jefe")), []byte("what do ya want for nothing?"))
	if hex.EncodeToString(rfc[:]) != "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" {
		t.Fatalf("RFC 4231 case 2 = %x", rfc)
	}
	if signing.TokenDigest(key, tok) != got {
		t.Fatal("not deterministic")
	}
	if signing.TokenDigest(signing.NewSecret([]byte("another-secret-0123456789abcdefgh")), tok) == got {
		t.Fatal("key does not change the digest")
	}
	if signing.TokenDigest(key, append(tok, 'x')) == got {
		t.Fatal("token does not change the digest")
	}
}

func TestRandomHex(t *testing.T) {
	id, err := signing.RandomHex(16)
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != 32 {
		t.Fatalf("length %d; want 32", len(id))
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			t.Fatalf("not lower-case hex: %q", id)
		}
	}
	other, _ := signing.RandomHex(16)
	if other == id {
		t.Fatal("two random ids are equal")
	}
	for _, n := range []int{0, -1, 1025} {
		if s, err := signing.RandomHex(n); !errors.Is(err, signing.ErrRandomLength) || s != "" {
			t.Fatalf("RandomHex(%d) = %q, %v; want ErrRandomLength", n, s, err)
		}
	}
	if s, err := signing.RandomHex(1); err != nil || len(s) != 2 {
		t.Fatalf("RandomHex(1) = %q, %v", s, err)
	}
}

func TestConstantTimeEqual(t *testing.T) {
	cases := []struct {
		a, b []byte
		want bool
	}{
		{nil, nil, true},
		{[]byte{}, nil, true},
		{[]byte("abc"), []byte("abc"), true},
		{[]byte("abc"), []byte("abd"), false},
		{[]byte("abc"), []byte("ab"), false},
		{[]byte("ab"), []byte("abc"), false},
		{[]byte{0}, nil, false},
	}
	for _, c := range cases {
		if got := signing.ConstantTimeEqual(c.a, c.b); got != c.want {
			t.Errorf("ConstantTimeEqual(%q, %q) = %v; want %v", c.a, c.b, got, c.want)
		}
	}
}

func BenchmarkTokenDigest(b *testing.B) {
	key := signing.NewSecret([]byte("token-hash-secret-0123456789abcdef"))
	tok := []byte("dGhpcyBpcyBub3QgYSByZWFsIHRva2VuIGJ1dCBjbG9zZQ")
	b.ReportAllocs()
	for b.Loop() {
		_ = signing.TokenDigest(key, tok)
	}
}
