package verifier

import (
	"crypto/ed25519"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// jsonRoundTrip is what encoding/json makes of s: invalid UTF-8 becomes
// U+FFFD per byte, as appendJSONString does.
func jsonRoundTrip(t *testing.T, s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var out string
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzAssertionMatchesGolangJWT holds the hand-written Gatehouse-Assertion
// (assertion.go, kept for its 0 allocations) to the library: for any
// identity, golang-jwt verifies the token with the public key, the issuer
// and audience upstreams are told to use, and decodes exactly the claims
// encoding/json would have written for that identity, under the header
// {"alg":"EdDSA","typ":"JWT","kid":...}.
func FuzzAssertionMatchesGolangJWT(f *testing.F) {
	f.Add("a11ce000000000000000000000000001", "alice@example.test", "Alice", "staff", "ops", "ak_1", "read,write", true, int64(1_800_000_000))
	f.Add("u", "\"quoted\"\\back", "tab\there\nline", "ré", "\x7f\x00", "", "", false, int64(0))
	f.Add("u", "bad\xffutf8\xc3", "\xed\xa0\x80surrogate", "\U0001F600", "", "k", "", true, int64(4_000_000_000))
	seed := make([]byte, ed25519.SeedSize)
	key := ed25519.NewKeyFromSeed(seed)
	a, err := newAssertioner(&AssertionOptions{Key: key, KeyID: "assert-1", Lifetime: 90 * time.Second}, "https://auth.example.test/")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, id, email, name, role1, role2, keyID, scopes string, withKey bool, sec int64) {
		if sec < 0 || sec > 1<<40 {
			return
		}
		s := new(scratch)
		s.id.kind = KindCookie
		s.id.user = &userSnap{found: true, id: id, email: email, name: name, roles: []string{role1, role2}}
		want := jwt.MapClaims{
			"iss": "https://auth.example.test", "aud": "gatehouse:assertion",
			"sub": jsonRoundTrip(t, id), "email": jsonRoundTrip(t, email), "name": jsonRoundTrip(t, name),
			"roles": []any{jsonRoundTrip(t, role1), jsonRoundTrip(t, role2)}, "amr": "cookie",
			"iat": float64(sec), "nbf": float64(sec), "exp": float64(sec + 90),
		}
		if withKey {
			s.id.kind = KindAPIKey
			s.id.key = &keySnap{found: true, keyID: keyID}
			s.scopes = append(s.scopes[:0], scopes...)
			want["amr"] = "api_key"
			want["api_key_id"] = jsonRoundTrip(t, keyID)
			want["scopes"] = jsonRoundTrip(t, scopes)
		}
		tok := string(a.appendToken(nil, s, sec*int64(time.Second)))
		var got jwt.MapClaims
		parsed, err := jwt.ParseWithClaims(tok, &got, func(tk *jwt.Token) (any, error) {
			return key.Public(), nil
		},
			jwt.WithValidMethods([]string{"EdDSA"}),
			jwt.WithIssuer("https://auth.example.test"),
			jwt.WithAudience("gatehouse:assertion"),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithTimeFunc(func() time.Time { return time.Unix(sec+1, 0) }),
		)
		if err != nil {
			t.Fatalf("golang-jwt refuses our assertion: %v\n%s", err, tok)
		}
		if h := parsed.Header; len(h) != 3 || h["alg"] != "EdDSA" || h["typ"] != "JWT" || h["kid"] != "assert-1" {
			t.Fatalf("header %v", h)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("claims differ from encoding/json's:\n got  %v\n want %v", got, want)
		}
		if strings.Count(tok, ".") != 2 {
			t.Fatalf("not a compact JWS: %q", tok)
		}
	})
}
