package verifier

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalizePath(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"/", "/", true},
		{"/a/b", "/a/b", true},
		{"/a/b/", "/a/b/", true},
		{"//a///b//", "/a/b/", true},
		{"/a/./b", "/a/b", true},
		{"/a/b/.", "/a/b/", true},
		{"/a/b/..", "/a/", true},
		{"/a/../../..", "/", true},
		{"/../etc/passwd", "/etc/passwd", true},
		{"/public/../admin", "/admin", true},
		{"/public/%2e%2e/admin", "", false},
		{"/public/%2E./admin", "", false},
		{"/%41%7a%30%2D%5F%7E", "/Az0-_~", true},
		{"/a%3ab", "/a%3Ab", true},
		{"/a%20b", "/a%20b", true},
		{"/caf%C3%A9", "/café", true},
		{"/caf%c3%a9/", "/café/", true},
		{"/café", "/café", true},
		{"/%F0%9F%98%80", "/\U0001F600", true},
		{"/%E2%82", "/%E2%82", true},       // truncated character stays encoded
		{"/%C0%AF", "/%C0%AF", true},       // overlong '/' is not decoded
		{"/%ED%A0%80", "/%ED%A0%80", true}, // surrogate is not decoded
		{"/%A9%C3%A9", "/%A9é", true},      // stray continuation byte stays
		{"/%C3\xa9", "/%C3\xa9", true},     // escape + raw byte is not one character
		{"/%FF", "/%FF", true},
		{"/a/%2F/b", "", false},
		{"/a/%2f", "", false},
		{"/a/%5C", "", false},
		{"/a/%00", "", false},
		{"/a/%0a", "", false},
		{"/a\\b", "", false},
		{"/a\x00b", "", false},
		{"/a/%", "", false},
		{"/a/%4", "", false},
		{"/a/%zz", "", false},
		{"a/b", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		got, _, ok := normalizePath(nil, nil, []byte(c.in))
		if ok != c.ok || (ok && string(got) != c.want) {
			t.Errorf("normalizePath(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestNormalizePathZeroAllocs(t *testing.T) {
	dst := make([]byte, 0, 256)
	tmp := make([]byte, 0, 256)
	in := []byte("/public/../admin/./x/../y%41//z%C3%A9")
	n := testing.AllocsPerRun(100, func() {
		var ok bool
		dst, tmp, ok = normalizePath(dst, tmp, in)
		if !ok {
			t.Fatal("refused")
		}
	})
	if n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func FuzzNormalizePath(f *testing.F) {
	for _, s := range []string{"/", "/a/../b", "/%2e%2e/", "//x//", "/a%2Fb", "/\\", "/%zz", "/a/./b/../../c/", "/" + strings.Repeat("../", 20)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, _, ok := normalizePath(nil, nil, []byte(in))
		if !ok {
			return
		}
		if len(out) == 0 || out[0] != '/' {
			t.Fatalf("%q -> %q: not rooted", in, out)
		}
		if bytes.Contains(out, []byte("//")) || bytes.Contains(out, []byte("\\")) || bytes.IndexByte(out, 0) >= 0 {
			t.Fatalf("%q -> %q: bad bytes", in, out)
		}
		for _, seg := range bytes.Split(out, []byte("/")) {
			if string(seg) == "." || string(seg) == ".." {
				t.Fatalf("%q -> %q: dot segment left", in, out)
			}
		}
		lo := bytes.ToLower(out)
		if bytes.Contains(lo, []byte("%2f")) || bytes.Contains(lo, []byte("%5c")) || bytes.Contains(lo, []byte("%2e")) || bytes.Contains(lo, []byte("%00")) {
			t.Fatalf("%q -> %q: encoded separator or dot left", in, out)
		}
		// A raw UTF-8 character and its percent-encoded form normalise
		// alike, so neither spelling escapes a rule.
		if utf8.Valid([]byte(in)) {
			var enc []byte
			for i := 0; i < len(in); i++ {
				if c := in[i]; c >= utf8.RuneSelf {
					enc = append(enc, '%', upperHex[c>>4], upperHex[c&15])
				} else {
					enc = append(enc, c)
				}
			}
			if got, _, ok3 := normalizePath(nil, nil, enc); !ok3 || !bytes.Equal(got, out) {
				t.Fatalf("%q -> %q but encoded %q -> %q (%v)", in, out, enc, got, ok3)
			}
		}
		again, _, ok2 := normalizePath(nil, nil, out)
		if !ok2 || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", in, out, again, ok2)
		}
		if len(out) > len(in)+1 {
			t.Fatalf("%q -> %q grew", in, out)
		}
	})
}
