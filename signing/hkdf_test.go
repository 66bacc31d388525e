package signing

import (
	"bytes"
	"encoding/hex"
	"testing"
)

func hkdfMustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hkdfRange(from, to int) []byte {
	b := make([]byte, 0, to-from)
	for i := from; i < to; i++ {
		b = append(b, byte(i))
	}
	return b
}

// RFC 5869 appendix A, test cases 1-3 (SHA-256).
func TestHKDFRFC5869Vectors(t *testing.T) {
	cases := []struct {
		name      string
		ikm, salt []byte
		info      string
		okm       string
	}{
		{"A.1", bytes.Repeat([]byte{0x0b}, 22), hkdfMustHex(t, "000102030405060708090a0b0c"), string(hkdfMustHex(t, "f0f1f2f3f4f5f6f7f8f9")),
			"3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
		{"A.2", hkdfRange(0x00, 0x50), hkdfRange(0x60, 0xb0), string(hkdfRange(0xb0, 0x100)),
			"b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"},
		{"A.3", bytes.Repeat([]byte{0x0b}, 22), nil, "",
			"8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := hkdfMustHex(t, c.okm)
			if got := hkdfSHA256(c.ikm, c.salt, c.info, len(want)); !bytes.Equal(got, want) {
				t.Fatalf("okm = %x\nwant  %x", got, want)
			}
		})
	}
}

// The info prefix is part of the on-disk contract: changing it would change
// every derived key. Golden value computed independently (pyca/cryptography
// HKDF, SHA-256, salt None, info "gatehouse/v1/access-jwt").
func TestDeriveKeyGolden(t *testing.T) {
	got := DeriveKey(NewSecret(bytes.Repeat([]byte("k"), 32)), "access-jwt", 32)
	want := hkdfMustHex(t, "62eb41bf97de24252cbf86a28aec010fa77ebd1a24d54a9a541e1bb370467c37")
	if !bytes.Equal(got, want) {
		t.Fatalf("DeriveKey = %x; want %x", got, want)
	}
}

func TestDeriveKeyDeterministicAndSeparated(t *testing.T) {
	sec := NewSecret([]byte("0123456789abcdef0123456789abcdef"))
	other := NewSecret([]byte("0123456789abcdef0123456789abcdeF"))
	purposes := []string{"access-jwt", "session-fingerprint", "oauth-flow-cookie", "csrf", "", "access-jwt\x00"}
	seen := map[string]string{}
	for _, p := range purposes {
		k1 := DeriveKey(sec, p, 32)
		k2 := DeriveKey(sec, p, 32)
		if !bytes.Equal(k1, k2) {
			t.Fatalf("purpose %q: not deterministic", p)
		}
		if len(k1) != 32 {
			t.Fatalf("purpose %q: length %d", p, len(k1))
		}
		if prev, dup := seen[string(k1)]; dup {
			t.Fatalf("purposes %q and %q derive the same key", prev, p)
		}
		seen[string(k1)] = p
		if bytes.Equal(k1, DeriveKey(other, p, 32)) {
			t.Fatalf("purpose %q: different secrets give the same key", p)
		}
		if bytes.Contains(k1, sec.Bytes()[:8]) {
			t.Fatalf("purpose %q: derived key contains secret material", p)
		}
	}
	// A longer output extends a shorter one (HKDF-Expand property), and the
	// maximum length is allowed.
	if !bytes.HasPrefix(DeriveKey(sec, "x", 64), DeriveKey(sec, "x", 16)) {
		t.Fatal("64-byte output does not extend the 16-byte one")
	}
	if n := len(DeriveKey(sec, "x", 255*32)); n != 255*32 {
		t.Fatalf("max length gave %d bytes", n)
	}
	if n := len(DeriveKey(sec, "x", 0)); n != 0 {
		t.Fatalf("zero length gave %d bytes", n)
	}
}

func TestDeriveKeyPanicsOnBadLength(t *testing.T) {
	for _, n := range []int{255*32 + 1, -1, 1 << 30} {
		func() {
			defer func() {
				if recover() == nil {
					t.Fatalf("DeriveKey(n=%d) did not panic", n)
				}
			}()
			DeriveKey(NewSecret([]byte("0123456789abcdef0123456789abcdef")), "p", n)
		}()
	}
}
