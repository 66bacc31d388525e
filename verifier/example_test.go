package verifier_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/bolt"
	"github.com/gatehouse/gatehouse/keystore/memory"
	"github.com/gatehouse/gatehouse/signing"
	"github.com/gatehouse/gatehouse/verifier"
)

// An integration test of a Go service can run gatehouse's verifier
// in-process on a real bbolt store: create a user and an API key, then ask
// the verifier what the proxy in front of the service would ask.
func ExampleNew() {
	dir, err := os.MkdirTemp("", "gatehouse-example") // in a test: t.TempDir()
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	st, err := bolt.Open(filepath.Join(dir, "gatehouse.db"), bolt.Options{NoSync: true})
	if err != nil {
		panic(err)
	}
	defer st.Close()

	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	alice := &keystore.User{
		ID: "a11ce000000000000000000000000001", Email: "alice@example.test", DisplayName: "Alice",
		Roles: []string{"staff"}, Active: true, Verified: true, CreatedAt: now,
	}
	if err := st.CreateUser(ctx, alice); err != nil {
		panic(err)
	}
	// The store keeps only an HMAC of the key's secret, under the
	// secrets.api_key_hash secret that the verifier is given too.
	apiKeyHash := signing.NewSecret([]byte("api-key-hash-secret-for-tests-0123456789"))
	hasher, err := signing.NewAPIKeyHasher(apiKeyHash)
	if err != nil {
		panic(err)
	}
	rawKey, keyID, secret, err := signing.GenerateAPIKey("ak", "test")
	if err != nil {
		panic(err)
	}
	digest := hasher.Digest([]byte(secret))
	if err := st.CreateAPIKey(ctx, &keystore.APIKey{
		KeyID: keyID, UserID: alice.ID, Name: "ci", Env: "test",
		Digest: digest[:], Scopes: []string{"staff"}, CreatedAt: now,
	}); err != nil {
		panic(err)
	}

	v, err := verifier.New(verifier.Options{
		PublicURL:     "https://auth.example.test",
		DefaultPolicy: "authenticated", // or Rules: []config.Rule{...}
		Users:         st,
		APIKeys:       st,
		APIKeyHashKey: apiKeyHash,
		Now:           func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	defer v.Close() // before st.Close: it stops the last-used writer

	// nginx's auth_request for GET https://app.example.test/reports, from a
	// peer in Options.TrustedProxies (default: loopback).
	ask := func(authorization string) *fasthttp.Response {
		var req fasthttp.Request
		req.SetRequestURI("/auth/nginx")
		req.Header.Set("X-Original-Method", "GET")
		req.Header.Set("X-Original-URL", "https://app.example.test/reports")
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		rc := new(fasthttp.RequestCtx)
		rc.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
		v.Handler(rc)
		return &rc.Response
	}

	r := ask("Bearer " + rawKey)
	fmt.Println("status:", r.StatusCode())
	fmt.Println("Remote-User:", string(r.Header.Peek("Remote-User")))
	fmt.Println("Remote-Auth-Method:", string(r.Header.Peek("Remote-Auth-Method")))
	fmt.Println("Remote-Scopes:", string(r.Header.Peek("Remote-Scopes")))

	r = ask("")
	fmt.Println("without a key:", r.StatusCode())
	// Output:
	// status: 200
	// Remote-User: alice@example.test
	// Remote-Auth-Method: api_key
	// Remote-Scopes: staff
	// without a key: 401
}

// A request signed by a Go client with signing.SignRequest, checked by the
// verifier as nginx forwards it. Signing keys need a keyring (the
// api_key_signing ring) to keep their secret at rest and a nonce store.
func ExampleVerifier_Handler_signedRequest() {
	dir, err := os.MkdirTemp("", "gatehouse-example") // in a test: t.TempDir()
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	st, err := bolt.Open(filepath.Join(dir, "gatehouse.db"), bolt.Options{NoSync: true})
	if err != nil {
		panic(err)
	}
	defer st.Close()

	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	alice := &keystore.User{ID: "a11ce000000000000000000000000001", Email: "alice@example.test",
		Active: true, Verified: true, CreatedAt: now}
	if err := st.CreateUser(ctx, alice); err != nil {
		panic(err)
	}
	apiKeyHash := signing.NewSecret([]byte("api-key-hash-secret-for-tests-0123456789"))
	hasher, err := signing.NewAPIKeyHasher(apiKeyHash)
	if err != nil {
		panic(err)
	}
	ring, err := signing.NewKeyring("k1", map[string]string{"k1": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="})
	if err != nil {
		panic(err)
	}
	_, keyID, secret, err := signing.GenerateAPIKey("ak", "test")
	if err != nil {
		panic(err)
	}
	digest := hasher.Digest([]byte(secret))
	sealed, err := ring.Seal([]byte(secret))
	if err != nil {
		panic(err)
	}
	if err := st.CreateAPIKey(ctx, &keystore.APIKey{KeyID: keyID, UserID: alice.ID, Name: "billing", Env: "test",
		Digest: digest[:], SigningRequired: true, SigningSecret: sealed, CreatedAt: now}); err != nil {
		panic(err)
	}

	v, err := verifier.New(verifier.Options{
		PublicURL:      "https://auth.example.test",
		DefaultPolicy:  "authenticated",
		Users:          st,
		APIKeys:        st,
		APIKeyHashKey:  apiKeyHash,
		SigningKeyring: ring,
		Nonces:         memory.New(memory.Options{}),
		Now:            func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	defer v.Close()

	// The client side.
	out, err := http.NewRequest(http.MethodGet, "https://app.example.test/invoices?year=2026", nil)
	if err != nil {
		panic(err)
	}
	if err := signing.SignRequest(out, keyID, secret, now, "nonce-0001", nil); err != nil {
		panic(err)
	}

	// What nginx asks: the original URL and the client's headers.
	ask := func() *fasthttp.Response {
		var req fasthttp.Request
		req.SetRequestURI("/auth/nginx")
		req.Header.Set("X-Original-Method", out.Method)
		req.Header.Set("X-Original-URL", out.URL.String())
		for name, values := range out.Header {
			for _, value := range values {
				req.Header.Add(name, value)
			}
		}
		rc := new(fasthttp.RequestCtx)
		rc.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
		v.Handler(rc)
		return &rc.Response
	}
	r := ask()
	fmt.Println("status:", r.StatusCode())
	fmt.Println("Remote-User:", string(r.Header.Peek("Remote-User")))
	fmt.Println("Remote-Auth-Method:", string(r.Header.Peek("Remote-Auth-Method")))
	fmt.Println("Remote-Content-SHA256:", string(r.Header.Peek("Remote-Content-SHA256")))
	fmt.Println("replayed:", ask().StatusCode()) // the nonce was used
	// Output:
	// status: 200
	// Remote-User: alice@example.test
	// Remote-Auth-Method: signed
	// Remote-Content-SHA256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
	// replayed: 401
}
