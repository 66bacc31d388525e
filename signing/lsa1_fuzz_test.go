package signing_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/signing"
)

func FuzzParseLSA1Authorization(f *testing.F) {
	for _, v := range loadLSA1Vectors(f) {
		f.Add([]byte(v.Authorization))
	}
	f.Add([]byte("LSA1-HMAC-SHA256 Credential=k,Credential=k"))
	f.Add([]byte("LSA1-HMAC-SHA256 ,,,"))
	f.Add([]byte("LSA1-HMAC-SHA256 SignedHeaders=host;;x"))
	f.Fuzz(func(t *testing.T, h []byte) {
		a, err := signing.ParseLSA1Authorization(h)
		if err != nil {
			return
		}
		if len(a.KeyID) == 0 || len(a.KeyID) > signing.LSA1MaxKeyIDLen || !a.Signs("host") ||
			!a.Signs("x-auth-date") || !a.Signs("x-auth-nonce") || len(h) > signing.LSA1MaxAuthorizationLen {
			t.Fatalf("accepted %q as %+v", h, a)
		}
		if n := strings.Count(string(a.SignedHeaders), ";") + 1; n > signing.LSA1MaxSignedHeaders {
			t.Fatalf("%d signed headers", n)
		}
		// Results are sub-slices of the input.
		if !bytes.Contains(h, a.KeyID) || !bytes.Contains(h, a.SignedHeaders) {
			t.Fatal("results not from the input")
		}
		// The list is usable for a canon.
		if _, err := signing.LSA1Canonical(nil, signing.LSA1Input{Method: []byte("GET"), RawPath: []byte("/"), SignedHeaders: a.SignedHeaders}); err != nil {
			t.Fatalf("accepted list refused by canon: %v", err)
		}
	})
}

func FuzzLSA1Canonical(f *testing.F) {
	for _, v := range loadLSA1Vectors(f) {
		hdr := ""
		for _, h := range v.Headers {
			hdr += h[1] + "\x00"
		}
		f.Add(v.Method, v.RawPath, v.RawQuery, strings.Join(v.SignedHeaders, ";"), hdr)
	}
	f.Add("GET", "/%zz", "a=%zz&b", "host", "x\x00")
	f.Fuzz(func(t *testing.T, method, path, query, signed, headerValues string) {
		values := strings.Split(headerValues, "\x00")
		in := signing.LSA1Input{
			Method: []byte(method), RawPath: []byte(path), RawQuery: []byte(query),
			SignedHeaders: []byte(signed),
			Header: func(name []byte) [][]byte {
				out := make([][]byte, 0, 2)
				for i, v := range values {
					if i%(len(name)+1) == 0 {
						out = append(out, []byte(v))
					}
				}
				return out
			},
		}
		c1, err1 := signing.LSA1Canonical(nil, in)
		c2, err2 := signing.LSA1Canonical([]byte("prefix"), in)
		if (err1 == nil) != (err2 == nil) {
			t.Fatal("errors differ between runs")
		}
		if err1 != nil {
			return
		}
		if string(c2) != "prefix"+string(c1) {
			t.Fatal("canon not deterministic")
		}
		// The canon has exactly 5 fixed lines plus one per signed header:
		// no input can add or remove a line.
		if got, want := bytes.Count(c1, []byte("\n")), 5+strings.Count(signed, ";"); got != want {
			t.Fatalf("canon has %d line breaks, want %d: %q", got, want, c1)
		}
		// The query line is in canonical form: canonicalising it again is
		// the identity.
		lines := strings.Split(string(c1), "\n")
		in2 := in
		in2.RawQuery = []byte(lines[2])
		c3, err := signing.LSA1Canonical(nil, in2)
		if err != nil || !bytes.Equal(c1, c3) {
			t.Fatalf("query line not canonical: %q -> %q (%v)", lines[2], c3, err)
		}
	})
}
