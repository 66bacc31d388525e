package signing_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

type lsa1Vector struct {
	Name             string      `json:"name"`
	Source           string      `json:"source"`
	Method           string      `json:"method"`
	RawPathHex       string      `json:"raw_path_hex"`
	RawPath          string      `json:"raw_path"`
	RawQuery         string      `json:"raw_query"`
	Headers          [][2]string `json:"headers"`
	SignedHeaders    []string    `json:"signed_headers"`
	BodyHex          string      `json:"body_hex"`
	Secret           string      `json:"secret"`
	CanonicalRequest string      `json:"canonical_request"`
	Signature        string      `json:"signature"`
	Authorization    string      `json:"authorization"`
}

func loadLSA1Vectors(t testing.TB) []lsa1Vector {
	t.Helper()
	raw, err := os.ReadFile("testdata/lsa1_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Scheme  string       `json:"scheme"`
		Vectors []lsa1Vector `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if f.Scheme != signing.LSA1Scheme || len(f.Vectors) < 25 {
		t.Fatalf("vector file: scheme %q, %d vectors", f.Scheme, len(f.Vectors))
	}
	own := 0
	for _, v := range f.Vectors {
		if v.Source == "gatehouse" {
			own++
		}
	}
	if own < 5 {
		t.Fatalf("only %d own vectors", own)
	}
	return f.Vectors
}

// headerFunc serves a vector's headers case-insensitively.
func (v lsa1Vector) headerFunc() func(name []byte) [][]byte {
	return func(name []byte) [][]byte {
		var out [][]byte
		for _, h := range v.Headers {
			if strings.EqualFold(h[0], string(name)) {
				out = append(out, []byte(h[1]))
			}
		}
		return out
	}
}

func (v lsa1Vector) header(name string) string {
	for _, h := range v.Headers {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}

func (v lsa1Vector) body(t testing.TB) []byte {
	b, err := hex.DecodeString(v.BodyHex)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLSA1VectorsVerifierSide checks that Parse + Canonical + Verify accept
// every vector and build its canonical request byte for byte.
func TestLSA1VectorsVerifierSide(t *testing.T) {
	for _, v := range loadLSA1Vectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			path, err := hex.DecodeString(v.RawPathHex)
			if err != nil || string(path) != v.RawPath {
				t.Fatalf("raw_path_hex does not match raw_path")
			}
			auth, err := signing.ParseLSA1Authorization([]byte(v.Authorization))
			if err != nil {
				t.Fatalf("ParseLSA1Authorization: %v", err)
			}
			if string(auth.SignedHeaders) != strings.Join(v.SignedHeaders, ";") {
				t.Fatalf("SignedHeaders = %q", auth.SignedHeaders)
			}
			if hex.EncodeToString(auth.Signature[:]) != v.Signature {
				t.Fatalf("Signature = %x", auth.Signature)
			}
			body := v.body(t)
			var bodyHex []byte
			if len(body) > 0 {
				sum := sha256.Sum256(body)
				bodyHex = []byte(hex.EncodeToString(sum[:]))
				if !auth.Signs("x-auth-content-sha256") {
					t.Fatal("vector with body does not sign x-auth-content-sha256")
				}
			}
			canon, err := signing.LSA1Canonical(nil, signing.LSA1Input{
				Method:        []byte(v.Method),
				RawPath:       path,
				RawQuery:      []byte(v.RawQuery),
				SignedHeaders: auth.SignedHeaders,
				Header:        v.headerFunc(),
				BodySHA256Hex: bodyHex,
			})
			if err != nil {
				t.Fatalf("LSA1Canonical: %v", err)
			}
			if string(canon) != v.CanonicalRequest {
				t.Fatalf("canonical mismatch\n got: %q\nwant: %q", canon, v.CanonicalRequest)
			}
			sig := signing.LSA1Signature([]byte(v.Secret), canon)
			if hex.EncodeToString(sig[:]) != v.Signature {
				t.Fatalf("signature %x, want %s", sig, v.Signature)
			}
			if !signing.LSA1Verify([]byte(v.Secret), canon, auth.Signature) {
				t.Fatal("LSA1Verify refused a vector")
			}
			if signing.LSA1Verify([]byte(v.Secret+"x"), canon, auth.Signature) {
				t.Fatal("LSA1Verify accepted another secret")
			}
			tampered := append(bytes.Clone(canon), ' ')
			if signing.LSA1Verify([]byte(v.Secret), tampered, auth.Signature) {
				t.Fatal("LSA1Verify accepted a changed canon")
			}
			// The Host override gives the same line as the header.
			canon2, err := signing.LSA1Canonical(nil, signing.LSA1Input{
				Method: []byte(v.Method), RawPath: path, RawQuery: []byte(v.RawQuery),
				Host: []byte(v.header("Host")), SignedHeaders: auth.SignedHeaders,
				Header: v.headerFunc(), BodySHA256Hex: bodyHex,
			})
			if err != nil || !bytes.Equal(canon, canon2) {
				t.Fatalf("Host override changed the canon: %v", err)
			}
			date, err := signing.ParseLSA1Date([]byte(v.header("X-Auth-Date")))
			if err != nil || date.IsZero() {
				t.Fatalf("ParseLSA1Date: %v", err)
			}
			if !signing.ValidLSA1Nonce(signing.AppendLSA1HeaderValue(nil, []byte(v.header("X-Auth-Nonce")))) {
				t.Fatal("vector nonce refused")
			}
		})
	}
}

// TestLSA1VectorsClientSide checks that SignRequestHeaders, given a vector's
// request, produces the vector's Authorization header.
func TestLSA1VectorsClientSide(t *testing.T) {
	for _, v := range loadLSA1Vectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			auth, err := signing.ParseLSA1Authorization([]byte(v.Authorization))
			if err != nil {
				t.Fatal(err)
			}
			r := &http.Request{
				Method: v.Method,
				URL:    &url.URL{Scheme: "https", Host: v.header("Host"), Opaque: v.RawPath, RawQuery: v.RawQuery},
				Host:   v.header("Host"),
				Header: make(http.Header),
			}
			for _, h := range v.Headers {
				if strings.EqualFold(h[0], "Host") {
					continue
				}
				r.Header.Add(h[0], h[1])
			}
			now, err := time.Parse(time.RFC3339, v.header("X-Auth-Date"))
			if err != nil {
				t.Fatal(err)
			}
			err = signing.SignRequestHeaders(r, string(auth.KeyID), v.Secret, now, v.header("X-Auth-Nonce"), v.body(t), v.SignedHeaders)
			if err != nil {
				t.Fatalf("SignRequestHeaders: %v", err)
			}
			if got := r.Header.Get("Authorization"); got != v.Authorization {
				t.Fatalf("Authorization\n got: %s\nwant: %s", got, v.Authorization)
			}
			if len(r.Header.Values("X-Auth-Date")) != 1 || len(r.Header.Values("X-Auth-Nonce")) != 1 {
				t.Fatal("auth headers not replaced")
			}
		})
	}
}

// TestSignRequestRoundTrip signs with the default header set and checks the
// verifier side accepts it, with and without a body.
func TestSignRequestRoundTrip(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, body := range [][]byte{nil, []byte(`{"a":1}`)} {
		r, err := http.NewRequest(http.MethodPost, "https://api.example.test/v1/x%20y?b=2&a=1+1", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if err := signing.SignRequest(r, "kid_1", "secret-text", now, "nonce-1", body); err != nil {
			t.Fatal(err)
		}
		if r.Header.Get("X-Auth-Date") != "2026-01-02T03:04:05Z" {
			t.Fatalf("X-Auth-Date %q", r.Header.Get("X-Auth-Date"))
		}
		if (len(body) > 0) != (r.Header.Get("X-Auth-Content-SHA256") != "") {
			t.Fatal("content digest header presence wrong")
		}
		auth, err := signing.ParseLSA1Authorization([]byte(r.Header.Get("Authorization")))
		if err != nil {
			t.Fatal(err)
		}
		if string(auth.KeyID) != "kid_1" || auth.Signs("x-auth-content-sha256") != (len(body) > 0) {
			t.Fatalf("auth %+v", auth)
		}
		canon, err := signing.LSA1Canonical(nil, signing.LSA1Input{
			Method: []byte(r.Method), RawPath: []byte(r.URL.EscapedPath()), RawQuery: []byte(r.URL.RawQuery),
			Host: []byte(r.Host), SignedHeaders: auth.SignedHeaders,
			Header: func(name []byte) [][]byte {
				var out [][]byte
				for _, v := range r.Header.Values(string(name)) {
					out = append(out, []byte(v))
				}
				return out
			},
			BodySHA256Hex: []byte(r.Header.Get("X-Auth-Content-SHA256")),
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(canon), "\na=1%201&b=2\n") {
			t.Fatalf("canon %q", canon)
		}
		if !signing.LSA1Verify([]byte("secret-text"), canon, auth.Signature) {
			t.Fatal("round trip refused")
		}
	}
}

func TestSignRequestRefusesBadInput(t *testing.T) {
	now := time.Now().UTC()
	newReq := func() *http.Request {
		r, _ := http.NewRequest(http.MethodGet, "https://api.example.test/x", nil)
		return r
	}
	cases := []struct {
		name   string
		keyID  string
		nonce  string
		body   []byte
		signed []string
	}{
		{"empty key id", "", "n1", nil, []string{"host", "x-auth-date", "x-auth-nonce"}},
		{"key id with dot", "a.b", "n1", nil, []string{"host", "x-auth-date", "x-auth-nonce"}},
		{"empty nonce", "k", "  ", nil, []string{"host", "x-auth-date", "x-auth-nonce"}},
		{"long nonce", "k", strings.Repeat("n", 129), nil, []string{"host", "x-auth-date", "x-auth-nonce"}},
		{"nonce with space", "k", "a b", nil, []string{"host", "x-auth-date", "x-auth-nonce"}},
		{"host not signed", "k", "n1", nil, []string{"x-auth-date", "x-auth-nonce"}},
		{"body digest not signed", "k", "n1", []byte("x"), []string{"host", "x-auth-date", "x-auth-nonce"}},
		{"upper-case header name", "k", "n1", nil, []string{"Host", "x-auth-date", "x-auth-nonce"}},
		{"duplicated header name", "k", "n1", nil, []string{"host", "host", "x-auth-date", "x-auth-nonce"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newReq()
			if err := signing.SignRequestHeaders(r, tc.keyID, "s", now, tc.nonce, tc.body, tc.signed); err == nil {
				t.Fatal("accepted")
			}
			if r.Header.Get("Authorization") != "" {
				t.Fatal("Authorization set on failure")
			}
		})
	}
}

func TestParseLSA1AuthorizationHostile(t *testing.T) {
	sig := strings.Repeat("ab", 32)
	ok := "LSA1-HMAC-SHA256 Credential=kid_1, SignedHeaders=host;x-auth-date;x-auth-nonce, Signature=" + sig
	if _, err := signing.ParseLSA1Authorization([]byte(ok)); err != nil {
		t.Fatalf("baseline refused: %v", err)
	}
	cases := []struct {
		name string
		h    string
		want error
	}{
		{"empty", "", signing.ErrLSA1Authorization},
		{"scheme only", "LSA1-HMAC-SHA256", signing.ErrLSA1Authorization},
		{"scheme only with space", "LSA1-HMAC-SHA256 ", signing.ErrLSA1Authorization},
		{"lower-case scheme", strings.Replace(ok, "LSA1-HMAC-SHA256", "lsa1-hmac-sha256", 1), signing.ErrLSA1Authorization},
		{"other scheme", strings.Replace(ok, "LSA1-HMAC-SHA256", "AWS4-HMAC-SHA256", 1), signing.ErrLSA1Authorization},
		{"no space after scheme", strings.Replace(ok, "SHA256 ", "SHA256", 1), signing.ErrLSA1Authorization},
		{"credential twice", ok + ", Credential=kid_2", signing.ErrLSA1Authorization},
		{"signature twice", ok + ", Signature=" + sig, signing.ErrLSA1Authorization},
		{"signed headers twice", ok + ", SignedHeaders=host;x-auth-date;x-auth-nonce", signing.ErrLSA1Authorization},
		{"missing credential", "LSA1-HMAC-SHA256 SignedHeaders=host;x-auth-date;x-auth-nonce, Signature=" + sig, signing.ErrLSA1Authorization},
		{"missing signature", "LSA1-HMAC-SHA256 Credential=k, SignedHeaders=host;x-auth-date;x-auth-nonce", signing.ErrLSA1Authorization},
		{"missing signed headers", "LSA1-HMAC-SHA256 Credential=k, Signature=" + sig, signing.ErrLSA1Authorization},
		{"unknown parameter", ok + ", Extra=1", signing.ErrLSA1Authorization},
		{"lower-case parameter name", strings.Replace(ok, "Credential", "credential", 1), signing.ErrLSA1Authorization},
		{"trailing comma", ok + ",", signing.ErrLSA1Authorization},
		{"empty credential", strings.Replace(ok, "kid_1", "", 1), signing.ErrLSA1Authorization},
		{"credential with dot", strings.Replace(ok, "kid_1", "kid.1", 1), signing.ErrLSA1Authorization},
		{"credential with space", strings.Replace(ok, "kid_1", "kid 1", 1), signing.ErrLSA1Authorization},
		{"credential too long", strings.Replace(ok, "kid_1", strings.Repeat("k", 129), 1), signing.ErrLSA1Authorization},
		{"upper-case signature", strings.Replace(ok, sig, strings.ToUpper(sig), 1), signing.ErrLSA1Authorization},
		{"short signature", strings.Replace(ok, sig, sig[:62], 1), signing.ErrLSA1Authorization},
		{"long signature", strings.Replace(ok, sig, sig+"00", 1), signing.ErrLSA1Authorization},
		{"non-hex signature", strings.Replace(ok, sig, "zz"+sig[2:], 1), signing.ErrLSA1Authorization},
		{"host not signed", strings.Replace(ok, "host;", "", 1), signing.ErrLSA1SignedHeaders},
		{"date not signed", strings.Replace(ok, "x-auth-date;", "", 1), signing.ErrLSA1SignedHeaders},
		{"nonce not signed", strings.Replace(ok, ";x-auth-nonce", "", 1), signing.ErrLSA1SignedHeaders},
		{"upper-case header name", strings.Replace(ok, "host;", "Host;", 1), signing.ErrLSA1SignedHeaders},
		{"duplicate header name", strings.Replace(ok, "host;", "host;host;", 1), signing.ErrLSA1SignedHeaders},
		{"empty header name", strings.Replace(ok, "host;", "host;;", 1), signing.ErrLSA1SignedHeaders},
		{"trailing semicolon", strings.Replace(ok, "x-auth-nonce,", "x-auth-nonce;,", 1), signing.ErrLSA1SignedHeaders},
		{"header name with colon", strings.Replace(ok, "host;", "host;a:b;", 1), signing.ErrLSA1SignedHeaders},
		{"too many signed headers", strings.Replace(ok, "host;", "host;"+manyHeaders(30)+";", 1), signing.ErrLSA1SignedHeaders},
		{"oversize", ok + strings.Repeat(" ", 4097-len(ok)), signing.ErrLSA1Authorization},
		{"newline in value", strings.Replace(ok, "kid_1", "kid\n1", 1), signing.ErrLSA1Authorization},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := signing.ParseLSA1Authorization([]byte(tc.h))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if a.KeyID != nil || a.SignedHeaders != nil || a.Signature != [32]byte{} {
				t.Fatal("partial result on error")
			}
		})
	}
	// Any order and optional white space around the separators are accepted.
	for _, h := range []string{
		"LSA1-HMAC-SHA256 Signature=" + sig + ",SignedHeaders=host;x-auth-date;x-auth-nonce,Credential=kid_1",
		"LSA1-HMAC-SHA256   Credential=kid_1 ,\tSignedHeaders=x-auth-nonce;host;x-auth-date ,  Signature=" + sig + " ",
	} {
		a, err := signing.ParseLSA1Authorization([]byte(h))
		if err != nil || string(a.KeyID) != "kid_1" || a.Signature[0] != 0xab {
			t.Fatalf("refused %q: %v", h, err)
		}
	}
	// Exactly 32 signed headers is the limit.
	if _, err := signing.ParseLSA1Authorization([]byte(strings.Replace(ok, "host;", "host;"+manyHeaders(29)+";", 1))); err != nil {
		t.Fatalf("32 signed headers refused: %v", err)
	}
}

func manyHeaders(n int) string {
	names := make([]string, n)
	for i := range names {
		names[i] = "x-h" + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	return strings.Join(names, ";")
}

func TestLSA1CanonicalHostile(t *testing.T) {
	base := signing.LSA1Input{
		Method: []byte("GET"), RawPath: []byte("/p"),
		SignedHeaders: []byte("host;x-auth-date;x-auth-nonce"),
	}
	cases := []struct {
		name string
		mod  func(in *signing.LSA1Input)
		want error
	}{
		{"invalid escape", func(in *signing.LSA1Input) { in.RawQuery = []byte("a=%zz") }, signing.ErrLSA1Query},
		{"truncated escape", func(in *signing.LSA1Input) { in.RawQuery = []byte("a=%4") }, signing.ErrLSA1Query},
		{"percent at end", func(in *signing.LSA1Input) { in.RawQuery = []byte("a%") }, signing.ErrLSA1Query},
		{"invalid utf-8 after decoding", func(in *signing.LSA1Input) { in.RawQuery = []byte("a=%FF") }, signing.ErrLSA1Query},
		{"overlong utf-8 in name", func(in *signing.LSA1Input) { in.RawQuery = []byte("%C0%AF=1") }, signing.ErrLSA1Query},
		{"raw invalid utf-8", func(in *signing.LSA1Input) { in.RawQuery = []byte("a=\xff") }, signing.ErrLSA1Query},
		{"too many pairs", func(in *signing.LSA1Input) {
			in.RawQuery = []byte(strings.Repeat("a=1&", signing.LSA1MaxQueryPairs) + "b=2")
		}, signing.ErrLSA1Query},
		{"empty method", func(in *signing.LSA1Input) { in.Method = nil }, signing.ErrLSA1Method},
		{"method with newline", func(in *signing.LSA1Input) { in.Method = []byte("GET\nX") }, signing.ErrLSA1Method},
		{"method with space", func(in *signing.LSA1Input) { in.Method = []byte("GET ") }, signing.ErrLSA1Method},
		{"empty signed list", func(in *signing.LSA1Input) { in.SignedHeaders = nil }, signing.ErrLSA1SignedHeaders},
		{"signed name with newline", func(in *signing.LSA1Input) { in.SignedHeaders = []byte("host\nx") }, signing.ErrLSA1SignedHeaders},
		{"upper-case body digest", func(in *signing.LSA1Input) {
			in.BodySHA256Hex = []byte(strings.ToUpper(signing.LSA1EmptyBodySHA256))
		}, signing.ErrLSA1BodyDigest},
		{"short body digest", func(in *signing.LSA1Input) { in.BodySHA256Hex = []byte("abc") }, signing.ErrLSA1BodyDigest},
		{"body digest with newline", func(in *signing.LSA1Input) {
			in.BodySHA256Hex = []byte(signing.LSA1EmptyBodySHA256[:63] + "\n")
		}, signing.ErrLSA1BodyDigest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			tc.mod(&in)
			if _, err := signing.LSA1Canonical(nil, in); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// Exactly LSA1MaxQueryPairs pairs (and empty pieces, which do not
	// count) are accepted.
	in := base
	in.RawQuery = []byte(strings.Repeat("a=1&&", signing.LSA1MaxQueryPairs))
	if _, err := signing.LSA1Canonical(nil, in); err != nil {
		t.Fatalf("max pairs refused: %v", err)
	}
}

// TestLSA1HeaderLinesCannotForgeLines checks that a header value with line
// breaks cannot add lines to the canon (they collapse to spaces).
func TestLSA1HeaderLinesCannotForgeLines(t *testing.T) {
	in := signing.LSA1Input{
		Method: []byte("GET"), RawPath: []byte("/p"),
		SignedHeaders: []byte("host;x-auth-date;x-auth-nonce;x-a"),
		Header: func(name []byte) [][]byte {
			if string(name) == "x-a" {
				return [][]byte{[]byte("v\nx-b:forged\r\n")}
			}
			return nil
		},
	}
	canon, err := signing.LSA1Canonical(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(canon), "\n"); got != 8 {
		t.Fatalf("canon has %d line breaks: %q", got, canon)
	}
	if !strings.Contains(string(canon), "\nx-a:v x-b:forged\n") {
		t.Fatalf("canon %q", canon)
	}
}

func TestAppendLSA1HeaderValue(t *testing.T) {
	for in, want := range map[string]string{
		"":             "",
		"   ":          "",
		"a":            "a",
		"  a  ":        "a",
		"a \t  b":      "a b",
		"\ta\r\nb\v c": "a b c",
		"a,b":          "a,b",
	} {
		if got := string(signing.AppendLSA1HeaderValue([]byte("x"), []byte(in))); got != "x"+want {
			t.Errorf("%q: got %q want %q", in, got, "x"+want)
		}
	}
}

func TestParseLSA1Date(t *testing.T) {
	good := map[string]time.Time{
		"2026-11-25T12:00:00Z":             time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
		"2026-11-25T13:00:00+01:00":        time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
		"2026-11-25T12:00:00.5Z":           time.Date(2026, 11, 25, 12, 0, 0, 5e8, time.UTC),
		" 2026-11-25T12:00:00Z ":           time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
		"2026-11-25T06:30:00.000000-05:30": time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
	}
	for in, want := range good {
		got, err := signing.ParseLSA1Date([]byte(in))
		if err != nil || !got.Equal(want) {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	for _, in := range []string{
		"", "2026-11-25T12:00:00", "2026-11-25 12:00:00Z", "2026-11-25", "1764072000",
		"Tue, 25 Nov 2026 12:00:00 GMT", "2026-13-25T12:00:00Z", "2026-11-25T12:00:00Z" + strings.Repeat("0", 60),
	} {
		if _, err := signing.ParseLSA1Date([]byte(in)); !errors.Is(err, signing.ErrLSA1Date) {
			t.Errorf("%q accepted (%v)", in, err)
		}
	}
}

func TestValidLSA1Nonce(t *testing.T) {
	for in, want := range map[string]bool{
		"n-0001": true, strings.Repeat("a", 128): true, strings.Repeat("a", 129): false,
		"": false, "a b": false, "a\x00": false, "é": false, "~!#": true,
	} {
		if got := signing.ValidLSA1Nonce([]byte(in)); got != want {
			t.Errorf("%q: %v", in, got)
		}
	}
}
