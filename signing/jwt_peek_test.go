package signing_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/signing"
)

func peekToken(payload string) string {
	return b64([]byte(`{"alg":"RS256"}`)) + "." + b64([]byte(payload)) + ".c2ln"
}

// TestPeekIssuerReadsOnlyAWellFormedSingleIss: the unverified iss picks a
// verifier, so anything ambiguous (a second iss, a non-string iss, a
// payload Verify would refuse to scan) reads as "no issuer".
func TestPeekIssuerReadsOnlyAWellFormedSingleIss(t *testing.T) {
	cases := []struct {
		name, token, want string
		ok                bool
	}{
		{"plain", peekToken(`{"sub":"x","iss":"https://idp.example"}`), "https://idp.example", true},
		{"first member", peekToken(`{"iss":"a","aud":["x",{"iss":"b"}]}`), "a", true},
		{"nested iss ignored", peekToken(`{"x":{"iss":"b"}}`), "", false},
		{"escaped slashes", peekToken(`{"iss":"https:\/\/idp.example"}`), "https://idp.example", true},
		{"unicode escape", peekToken(`{"iss":"caf\u00e9"}`), "café", true},
		{"white space", peekToken(" {\n\"iss\" : \"a\" \t} "), "a", true},
		{"absent", peekToken(`{"sub":"x"}`), "", false},
		{"empty object", peekToken(`{}`), "", false},
		{"duplicate", peekToken(`{"iss":"a","iss":"b"}`), "", false},
		{"number", peekToken(`{"iss":5}`), "", false},
		{"null", peekToken(`{"iss":null}`), "", false},
		{"array", peekToken(`{"iss":["a"]}`), "", false},
		{"escaped name", peekToken(`{"\u0069ss":"a"}`), "", false},
		{"trailing garbage", peekToken(`{"iss":"a"}x`), "", false},
		{"trailing comma", peekToken(`{"iss":"a",}`), "", false},
		{"truncated", peekToken(`{"iss":"a"`), "", false},
		{"not an object", peekToken(`["iss","a"]`), "", false},
		{"bad escape", peekToken(`{"iss":"\x"}`), "", false},
		{"lone surrogate", peekToken(`{"iss":"\ud800"}`), "", false},
		{"two segments", b64([]byte(`{}`)) + "." + b64([]byte(`{"iss":"a"}`)), "", false},
		{"four segments", peekToken(`{"iss":"a"}`) + ".x", "", false},
		{"empty header", "." + b64([]byte(`{"iss":"a"}`)) + ".sig", "", false},
		{"padded payload", b64([]byte(`{}`)) + "." + base64.URLEncoding.EncodeToString([]byte(`{"iss":"abc"}`)) + ".sig", "", false},
		{"std alphabet", b64([]byte(`{}`)) + "." + strings.NewReplacer("-", "+", "_", "/").Replace(b64([]byte(`{"iss":"~~~"}`))) + ".sig", "", false},
		{"empty", "", "", false},
	}
	buf := make([]byte, 4096)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := signing.PeekIssuer([]byte(c.token), buf)
			if ok != c.ok || string(got) != c.want {
				t.Fatalf("PeekIssuer = %q, %v; want %q, %v", got, ok, c.want, c.ok)
			}
		})
	}
}

// A buffer too short for the payload, or for the payload and the
// unescaped iss, is a refusal, never a write past it.
func TestPeekIssuerRefusesShortBuffer(t *testing.T) {
	tok := []byte(peekToken(`{"iss":"https:\/\/idp.example"}`))
	n := len(`{"iss":"https:\/\/idp.example"}`)
	if _, ok := signing.PeekIssuer(tok, make([]byte, n-1)); ok {
		t.Fatal("payload longer than buf accepted")
	}
	if _, ok := signing.PeekIssuer(tok, make([]byte, n)); ok {
		t.Fatal("no room for the unescaped iss, accepted")
	}
	if got, ok := signing.PeekIssuer(tok, make([]byte, 2*n)); !ok || string(got) != "https://idp.example" {
		t.Fatalf("got %q %v", got, ok)
	}
}

// FuzzPeekIssuer: never panics, and whenever it answers, encoding/json
// reads the same payload as an object whose iss is that string.
func FuzzPeekIssuer(f *testing.F) {
	for _, p := range []string{`{"iss":"a"}`, `{"iss":"https:\/\/x","iss":"y"}`, `{"a":[1,{"iss":2}],"iss":"\u00e9"}`, `{}`, `[`} {
		f.Add([]byte(peekToken(p)))
	}
	buf := make([]byte, 8192)
	f.Fuzz(func(t *testing.T, token []byte) {
		iss, ok := signing.PeekIssuer(token, buf)
		if !ok {
			return
		}
		parts := strings.Split(string(token), ".")
		if len(parts) != 3 {
			t.Fatalf("answered for %d segments", len(parts))
		}
		raw, err := base64.RawURLEncoding.Strict().DecodeString(parts[1])
		if err != nil {
			t.Fatalf("answered for a payload encoding/base64 refuses: %v", err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("answered for a payload encoding/json refuses: %v", err)
		}
		if s, _ := m["iss"].(string); s != string(iss) {
			t.Fatalf("PeekIssuer %q, encoding/json %q", iss, m["iss"])
		}
	})
}
