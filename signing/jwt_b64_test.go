package signing

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// bitwiseB64Decode is the decoder jwtB64Decode replaced (one character per
// step through a bit accumulator), kept as the reference for the exact
// accept/reject behaviour the table decoder must keep.
func bitwiseB64Decode(dst, src []byte) ([]byte, bool) {
	if len(src)%4 == 1 {
		return nil, false
	}
	n := 0
	var acc uint32
	bits := 0
	for _, c := range src {
		v := jwtB64[c]
		if v == 0xff {
			return nil, false
		}
		acc = acc<<6 | uint32(v)
		bits += 6
		if bits >= 8 {
			bits -= 8
			if n >= len(dst) {
				return nil, false
			}
			dst[n] = byte(acc >> bits)
			n++
			acc &= 1<<bits - 1
		}
	}
	if acc != 0 {
		return nil, false
	}
	return dst[:n], true
}

// stdlibB64Decode is the oracle: encoding/base64's RawURLEncoding in strict
// mode (canonical trailing bits), which still skips CR and LF; a JWT
// segment holding them is refused (golang-jwt's default decoding skips
// them and accepts non-canonical bits: we stay on the strict side of both).
func stdlibB64Decode(src []byte) ([]byte, bool) {
	if bytes.ContainsAny(src, "\r\n") {
		return nil, false
	}
	out, err := base64.RawURLEncoding.Strict().DecodeString(string(src))
	return out, err == nil
}

// jwtB64Cases are the inputs whose handling is pinned: the fuzz corpus
// seeds and TestJWTB64DecodeRejectsMalleableEncodings's table.
var jwtB64Cases = []struct {
	in string
	ok bool
}{
	{"", true},
	{"aGk", true},     // "hi"
	{"aGVsbG8", true}, // "hello": one full quantum and a 3-character tail
	{"aGVsbA", true},  // "hell": a 2-character tail
	{"QUFB", true},
	{"_-_-", true},
	{"AA", true},
	{"AAA", true},
	{"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", true},
	{"aGk=", false}, // padding
	{"aGVsbA==", false},
	{"====", false},
	{"aGl", false}, // non-canonical trailing bits (3-character tail)
	{"AB", false},  // non-canonical trailing bits (2-character tail)
	{"AAB", false},
	{"a", false},     // impossible length
	{"aGVsb", false}, // impossible length after a quantum
	{"aG+k", false},  // standard alphabet
	{"aG/k", false},
	{"aG k", false}, // white space
	{"aG\tk", false},
	{"aG\nk", false}, // CR and LF: encoding/base64 skips them, we refuse
	{"aG\rk", false},
	{"aGk\n", false},
	{"\naGk", false},
	{"aGk\r\n", false},
	{"QUFB\r\nQUFB", false},
	{"aGk\x00", false},
	{"aG\x80k", false},
	{"\xff\xff\xff\xff", false},
	{"aG.k", false},
}

func TestJWTB64DecodeRejectsMalleableEncodings(t *testing.T) {
	var buf [64]byte
	for _, c := range jwtB64Cases {
		got, ok := jwtB64Decode(buf[:], []byte(c.in))
		if ok != c.ok {
			t.Errorf("%q: ok = %v, want %v", c.in, ok, c.ok)
			continue
		}
		if want, wok := stdlibB64Decode([]byte(c.in)); wok != c.ok || (ok && !bytes.Equal(got, want)) {
			t.Errorf("%q: %x %v, encoding/base64 %x %v", c.in, got, ok, want, wok)
		}
	}
	if out, ok := jwtB64Decode(buf[:], []byte("aGk")); !ok || string(out) != "hi" {
		t.Fatalf("aGk: %q %v", out, ok)
	}
}

// TestJWTB64DecodeRefusesShortDestination: output that does not fit dst is
// refused, never truncated.
func TestJWTB64DecodeRefusesShortDestination(t *testing.T) {
	var buf [16]byte
	for _, in := range []string{strings.Repeat("QUFB", 6), strings.Repeat("QUFB", 5) + "QUE"} {
		if _, ok := jwtB64Decode(buf[:], []byte(in)); ok {
			t.Errorf("%q (%d bytes) decoded into 16", in, jwtB64DecodedLen(len(in)))
		}
	}
	if out, ok := jwtB64Decode(buf[:], []byte(strings.Repeat("QUFB", 5)+"QQ")); !ok || len(out) != 16 {
		t.Errorf("16 bytes into 16: %d %v", len(out), ok)
	}
}

// FuzzJWTB64DecodeMatchesStdlib: the table decoder accepts exactly what
// strict RawURLEncoding without CR/LF accepts, with the same bytes; it
// agrees with the bitwise decoder it replaced; whatever it accepts,
// golang-jwt's default segment decoding accepts with the same bytes; a
// destination one byte short is refused.
func FuzzJWTB64DecodeMatchesStdlib(f *testing.F) {
	for _, c := range jwtB64Cases {
		f.Add([]byte(c.in))
	}
	p := jwt.NewParser()
	var big, ref [jwtMaxDecoded + 4]byte
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > MaxTokenLen {
			return
		}
		got, ok := jwtB64Decode(big[:], src)
		want, wok := stdlibB64Decode(src)
		if ok != wok || (ok && !bytes.Equal(got, want)) {
			t.Fatalf("%q: %x %v, encoding/base64 %x %v", src, got, ok, want, wok)
		}
		old, ook := bitwiseB64Decode(ref[:], src)
		if ok != ook || (ok && !bytes.Equal(got, old)) {
			t.Fatalf("%q: %x %v, bitwise %x %v", src, got, ok, old, ook)
		}
		if !ok {
			return
		}
		if seg, err := p.DecodeSegment(string(src)); err != nil || !bytes.Equal(seg, got) {
			t.Fatalf("%q: golang-jwt %x %v, ours %x", src, seg, err, got)
		}
		if len(got) > 0 {
			if _, ok := jwtB64Decode(big[:len(got)-1], src); ok {
				t.Fatalf("%q: decoded into %d bytes, needs %d", src, len(got)-1, len(got))
			}
		}
	})
}

func BenchmarkJWTB64Decode(b *testing.B) {
	// An access token's claims segment (about 300 characters) and an
	// HS256 signature (43).
	claims := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"https://auth.example.test","aud":"gatehouse:access","sub":"0f8fad5b-d9cb-469f-a165-70867728950e","exp":1767225600,"iat":1767222000,"nbf":1767222000,"jti":"9b2f1c0e7d4a4b6f8e3c2a1b0d9e8f7a","sid":"s-0123456789","sfp":"Zm9vYmFyYmF6cXV4","amr":["pwd"]}`))
	sig := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xa5}, 32))
	var dst [jwtMaxDecoded]byte
	for _, in := range []struct{ name, seg string }{{"claims", claims}, {"sig", sig}} {
		seg := []byte(in.seg)
		for _, d := range []struct {
			name string
			fn   func(dst, src []byte) ([]byte, bool)
		}{{"table", jwtB64Decode}, {"bitwise", bitwiseB64Decode}} {
			b.Run(in.name+"/"+d.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(seg)))
				for b.Loop() {
					if _, ok := d.fn(dst[:], seg); !ok {
						b.Fatal("refused")
					}
				}
			})
		}
	}
}
