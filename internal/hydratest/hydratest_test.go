package hydratest_test

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/internal/hydratest"
)

// TestVersionMatchesWrapperPin prevents the tests looking for a Hydra
// version scripts/build-hydra.sh no longer builds.
func TestVersionMatchesWrapperPin(t *testing.T) {
	b, err := os.ReadFile("../../scripts/hydra-wrapper/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	var pinned []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && f[0] == "github.com/ory/hydra/v2" {
			pinned = append(pinned, f[1])
		}
	}
	if len(pinned) != 1 || pinned[0] != hydratest.Version {
		t.Fatalf("scripts/hydra-wrapper/go.mod requires %v, hydratest.Version is %s", pinned, hydratest.Version)
	}
}

// TestHydra runs one Hydra for every check below, in order.
func TestHydra(t *testing.T) {
	h := hydratest.Start(t)
	t.Run("client credentials token is a JWS signed by a JWKS key", func(t *testing.T) {
		testTokenSignedByJWKS(t, h)
	})
	t.Run("rotated key leaves the JWKS and signs new tokens", func(t *testing.T) {
		testRotatedKey(t, h)
	})
}

// jwsHeader is the protected header of a compact JWS.
type jwsHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// header splits tok into its three segments and decodes the header.
func header(t *testing.T, tok string) (jwsHeader, []string) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("access token has %d segments, want 3 (JWS compact)", len(parts))
	}
	var hdr jwsHeader
	decodeSegment(t, parts[0], &hdr)
	return hdr, parts
}

// parser verifies tokens against keys with the checks every test needs:
// RS256 only, h's issuer, exp and iat present.
func parser(h *hydratest.Server, keys map[string]any) func(string, ...jwt.ParserOption) (jwt.MapClaims, error) {
	keyFunc := func(tk *jwt.Token) (any, error) {
		kid, _ := tk.Header["kid"].(string)
		if k, ok := keys[kid]; ok {
			return k, nil
		}
		return nil, jwt.ErrTokenUnverifiable
	}
	return func(s string, opts ...jwt.ParserOption) (jwt.MapClaims, error) {
		claims := jwt.MapClaims{}
		opts = append([]jwt.ParserOption{
			jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(h.Issuer()),
			jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
		}, opts...)
		_, err := jwt.ParseWithClaims(s, claims, keyFunc, opts...)
		return claims, err
	}
}

// testTokenSignedByJWKS checks what the external-JWT tests rely on: a
// client-credentials access token from a real Hydra is an RS256 JWS whose
// kid is in the JWKS Hydra serves, whose signature verifies with that key,
// and whose iss is the issuer.
func testTokenSignedByJWKS(t *testing.T, h *hydratest.Server) {
	const aud = "https://api.example.test"
	c := h.CreateClient(t, aud)
	tok := h.Token(t, c)
	hdr, parts := header(t, tok)
	if hdr.Alg != "RS256" || hdr.Kid == "" {
		t.Fatalf("header alg %q kid %q, want RS256 and a kid", hdr.Alg, hdr.Kid)
	}
	keys := fetchJWKS(t, h.JWKSURL())
	if _, ok := keys[hdr.Kid]; !ok {
		t.Fatalf("kid %q not in the JWKS (%d keys)", hdr.Kid, len(keys))
	}
	parse := parser(h, keys)
	claims, err := parse(tok, jwt.WithAudience(aud))
	if err != nil {
		t.Fatalf("golang-jwt refused Hydra's token against its JWKS: %v", err)
	}
	if iss, _ := claims.GetIssuer(); iss != h.Issuer() {
		t.Fatalf("iss %q, want %q", iss, h.Issuer())
	}
	if sub, _ := claims.GetSubject(); sub != c.ID {
		t.Fatalf("sub %q, want the client id %q", sub, c.ID)
	}
	if disc := discoveryIssuer(t, h.Issuer()); disc != h.Issuer() {
		t.Fatalf("discovery issuer %q, want %q", disc, h.Issuer())
	}

	// The checks above are real: each of these must be refused.
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+h.Issuer()+`","sub":"someone-else","exp":4102444800,"iat":1}`)) + "." + parts[2]
	hostile := []struct {
		name string
		tok  string
		opts []jwt.ParserOption
	}{
		{"payload swapped under the signature", tampered, nil},
		{"signature cut", parts[0] + "." + parts[1] + ".", nil},
		{"other audience", tok, []jwt.ParserOption{jwt.WithAudience("https://other.example.test")}},
		{"other issuer", tok, []jwt.ParserOption{jwt.WithIssuer("http://127.0.0.1:1/")}},
		{"HS256 only", tok, []jwt.ParserOption{jwt.WithValidMethods([]string{"HS256"})}},
	}
	for _, tc := range hostile {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parse(tc.tok, tc.opts...); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// testRotatedKey checks RotateSigningKey, which the key-rotation tests of
// the external-JWT verifier use: later tokens carry the new kid and verify
// with the new JWKS; the old kid is gone from it.
func testRotatedKey(t *testing.T, h *hydratest.Server) {
	c := h.CreateClient(t)
	before, _ := header(t, h.Token(t, c))
	kid := h.RotateSigningKey(t)
	tok := h.Token(t, c)
	after, _ := header(t, tok)
	if after.Kid != kid || after.Kid == before.Kid {
		t.Fatalf("kid before %q, after %q, want the new %q", before.Kid, after.Kid, kid)
	}
	keys := fetchJWKS(t, h.JWKSURL())
	if _, ok := keys[before.Kid]; ok {
		t.Fatalf("old kid %q still in the JWKS", before.Kid)
	}
	if _, err := parser(h, keys)(tok); err != nil {
		t.Fatalf("token of the new key refused: %v", err)
	}
}

// decodeSegment decodes one base64url JSON segment of a JWS into v.
func decodeSegment(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("segment not base64url: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("segment not JSON: %v", err)
	}
}

// getJSON reads a bounded JSON document from Hydra's public API.
func getJSON(t *testing.T, rawURL string, v any) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", rawURL, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
}

// fetchJWKS returns the RSA signing keys of the JWKS at rawURL by kid.
func fetchJWKS(t *testing.T, rawURL string) map[string]any {
	t.Helper()
	var set struct {
		Keys []struct {
			Kty, Kid, Use, Alg, N, E string
		} `json:"keys"`
	}
	getJSON(t, rawURL, &set)
	keys := map[string]any{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		n, errN := base64.RawURLEncoding.DecodeString(k.N)
		e, errE := base64.RawURLEncoding.DecodeString(k.E)
		if errN != nil || errE != nil || len(e) == 0 || len(e) > 4 {
			t.Fatalf("JWKS key %q: bad n or e", k.Kid)
		}
		keys[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	if len(keys) == 0 {
		t.Fatalf("JWKS at %s has no RSA signing key", rawURL)
	}
	return keys
}

// discoveryIssuer is the issuer Hydra's OpenID discovery document names.
func discoveryIssuer(t *testing.T, issuer string) string {
	t.Helper()
	var doc struct {
		Issuer string `json:"issuer"`
	}
	getJSON(t, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", &doc)
	return doc.Issuer
}
