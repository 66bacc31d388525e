package verifier_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/bolt"
	"github.com/gatehouse/gatehouse/signing"
	"github.com/gatehouse/gatehouse/verifier"
)

// An upstream behind gatehouse receives the Gatehouse-Assertion header
// (verifier.assertion.enabled) and checks it against gatehouse's JSON Web
// Key Set instead of trusting the Remote-* headers alone.
func ExampleAssertionOptions() {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	gatehouse, cookie, stop := startGatehouse(now)
	defer stop()

	// Once at start (and again when a token names an unknown kid):
	// GET /.well-known/jwks.json from gatehouse's verifier listener.
	jwks := askGatehouse(gatehouse, "/.well-known/jwks.json", nil).Body()
	keys, err := ed25519Keys(jwks)
	if err != nil {
		panic(err)
	}

	// A signed-in browser asks for https://app.example.test/; the proxy
	// copies the header from gatehouse's answer onto the upstream request.
	answer := askGatehouse(gatehouse, "/auth/caddy", func(h *fasthttp.RequestHeader) {
		h.Set("X-Forwarded-Method", "GET")
		h.Set("X-Forwarded-Proto", "https")
		h.Set("X-Forwarded-Host", "app.example.test")
		h.Set("X-Forwarded-Uri", "/")
		h.Set("Cookie", "gatehouse_session="+cookie)
	})
	assertion := string(answer.Header.Peek("Gatehouse-Assertion"))

	claims, err := checkAssertion(keys, assertion, now)
	if err != nil {
		panic(err)
	}
	fmt.Println("sub:", claims.Subject)
	fmt.Println("email:", claims.Email)
	fmt.Println("roles:", claims.Roles)
	fmt.Println("amr:", claims.AMR)
	fmt.Println("expires:", claims.ExpiresAt.UTC())

	_, err = checkAssertion(keys, assertion, now.Add(2*time.Minute))
	fmt.Println("two minutes later:", errors.Is(err, jwt.ErrTokenExpired))
	// Output:
	// sub: a11ce000000000000000000000000001
	// email: alice@example.test
	// roles: [staff]
	// amr: cookie
	// expires: 2026-11-25 12:01:00 +0000 UTC
	// two minutes later: true
}

// assertionClaims are the claims of a Gatehouse-Assertion.
type assertionClaims struct {
	Email    string   `json:"email"`
	Name     string   `json:"name"`
	Roles    []string `json:"roles"`
	AMR      string   `json:"amr"`                  // cookie, jwt, api_key or signed
	APIKeyID string   `json:"api_key_id,omitempty"` // API keys and signed requests
	Scopes   string   `json:"scopes,omitempty"`     // comma-separated, as Remote-Scopes
	jwt.RegisteredClaims
}

// ed25519Keys returns the Ed25519 keys of a JSON Web Key Set by kid.
func ed25519Keys(jwks []byte) (map[string]ed25519.PublicKey, error) {
	var set struct {
		Keys []struct{ Kty, Crv, Kid, X string }
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		return nil, err
	}
	keys := map[string]ed25519.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "OKP" || k.Crv != "Ed25519" {
			continue
		}
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("jwks: key %q is not an Ed25519 public key", k.Kid)
		}
		keys[k.Kid] = x
	}
	return keys, nil
}

// checkAssertion checks a Gatehouse-Assertion. The set also holds the keys
// of gatehouse's access tokens: the audience check is what refuses one of
// those in place of an assertion.
func checkAssertion(keys map[string]ed25519.PublicKey, token string, now time.Time) (*assertionClaims, error) {
	var c assertionClaims
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if k, ok := keys[kid]; ok {
			return k, nil
		}
		return nil, errors.New("unknown kid")
	},
		jwt.WithValidMethods([]string{"EdDSA"}),
		jwt.WithIssuer("https://auth.example.test"), // gatehouse's public_url
		jwt.WithAudience("gatehouse:assertion"),     // verifier.assertion.audience
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return now }), // omit in production
	)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// startGatehouse runs a verifier with assertions on, as `gatehouse serve`
// wires it, and signs Alice in: it returns her session cookie.
func startGatehouse(now time.Time) (v *verifier.Verifier, cookie string, stop func()) {
	dir, err := os.MkdirTemp("", "gatehouse-example")
	if err != nil {
		panic(err)
	}
	st, err := bolt.Open(filepath.Join(dir, "gatehouse.db"), bolt.Options{NoSync: true})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	alice := &keystore.User{ID: "a11ce000000000000000000000000001", Email: "alice@example.test",
		Roles: []string{"staff"}, Active: true, Verified: true, CreatedAt: now}
	if err := st.CreateUser(ctx, alice); err != nil {
		panic(err)
	}
	tokenHash := signing.NewSecret([]byte("token-hash-secret-for-tests-0123456789"))
	cookie, err = signing.NewOpaqueToken()
	if err != nil {
		panic(err)
	}
	digest := signing.TokenDigest(tokenHash, []byte(cookie))
	if err := st.CreateSession(ctx, &keystore.Session{Digest: digest[:], UserID: alice.ID,
		Kind: "session", AuthMethod: "password", CreatedAt: now, ExpiresAt: now.Add(12 * time.Hour)}); err != nil {
		panic(err)
	}

	// gatehouse keeps this key in <data_dir>/assertion-ed25519.pem.
	key := ed25519.NewKeyFromSeed([]byte("example-assertion-key-seed-32byt"))
	const kid = "assertion-1"
	jwks, err := signing.JWKS([]signing.JWTKey{{KID: kid, Alg: signing.AlgEdDSA, Ed25519Private: key}})
	if err != nil {
		panic(err)
	}
	v, err = verifier.New(verifier.Options{
		PublicURL:     "https://auth.example.test",
		DefaultPolicy: "authenticated",
		Users:         st,
		Sessions:      st,
		TokenHashKey:  tokenHash,
		Assertion:     &verifier.AssertionOptions{Key: key, KeyID: kid},
		JWKS:          jwks,
		Now:           func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	return v, cookie, func() { v.Close(); st.Close(); os.RemoveAll(dir) }
}

// askGatehouse sends v a GET for path from a loopback peer (a trusted proxy).
func askGatehouse(v *verifier.Verifier, path string, set func(*fasthttp.RequestHeader)) *fasthttp.Response {
	var req fasthttp.Request
	req.SetRequestURI(path)
	if set != nil {
		set(&req.Header)
	}
	rc := new(fasthttp.RequestCtx)
	rc.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	v.Handler(rc)
	return &rc.Response
}
