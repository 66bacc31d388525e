package signing_test

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

// A Go service calling an API behind gatehouse signs each outgoing request
// with its API key instead of sending the key itself. The secret never
// leaves the process; gatehouse checks the signature, the date (within
// api_keys.signing.max_skew) and that the nonce was not used before.
func ExampleSignRequest() {
	// The raw key as the portal or `gatehouse apikey create
	// --signing-required` showed it, once. Load it from your secret store.
	rawKey := "ak_prod_ZXhhbXBsZS1rZXktaWQtMQ.ZXhhbXBsZS1zaWduaW5nLXNlY3JldC0zMi1ieXRlcyE"
	key, err := signing.ParseAPIKey([]byte(rawKey), "ak") // "ak": api_keys.prefix
	if err != nil {
		panic(err)
	}
	body := []byte(`{"amount":42}`)
	req, err := http.NewRequest(http.MethodPost, "https://api.example.test/v1/payments?dry_run=1", bytes.NewReader(body))
	if err != nil {
		panic(err)
	}

	// A real client passes time.Now().UTC() and a fresh nonce per request
	// (signing.NewJTI()); fixed values keep this example's output stable.
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	nonce := "5b1f0c9e2d7a4e3f8c6b1a0d9e8f7c6b"
	if err := signing.SignRequest(req, string(key.KeyID), string(key.Secret), now, nonce, body); err != nil {
		panic(err)
	}
	// req is ready for http.DefaultClient.Do.
	for _, h := range []string{"X-Auth-Date", "X-Auth-Nonce", "X-Auth-Content-Sha256", "Authorization"} {
		fmt.Printf("%s: %s\n", h, req.Header.Get(h))
	}
	// Output:
	// X-Auth-Date: 2026-11-25T12:00:00Z
	// X-Auth-Nonce: 5b1f0c9e2d7a4e3f8c6b1a0d9e8f7c6b
	// X-Auth-Content-Sha256: f26e267ee03331ff5ce10b687a1ba1a9b49012ffb27694c922e17411b4b86e6c
	// Authorization: LSA1-HMAC-SHA256 Credential=ZXhhbXBsZS1rZXktaWQtMQ, SignedHeaders=host;x-auth-date;x-auth-nonce;x-auth-content-sha256, Signature=c29a26aea54872734ee566b4c477e89083840b5db395218d9585b5b5f7cff5c2
}

// The receiving side of a signed request, as gatehouse's verifier checks it:
// parse the Authorization header, rebuild the canonical request from what
// was received, and compare the signature in constant time with the key's
// secret. (The verifier then also checks X-Auth-Date against its clock and
// records the nonce; a test of a client can stop at the signature.)
func ExampleLSA1Verify() {
	rawKey := "ak_prod_ZXhhbXBsZS1rZXktaWQtMQ.ZXhhbXBsZS1zaWduaW5nLXNlY3JldC0zMi1ieXRlcyE"
	key, err := signing.ParseAPIKey([]byte(rawKey), "ak")
	if err != nil {
		panic(err)
	}
	req, err := http.NewRequest(http.MethodGet, "https://api.example.test/v1/payments?limit=10", nil)
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	if err := signing.SignRequest(req, string(key.KeyID), string(key.Secret), now, "nonce-0001", nil); err != nil {
		panic(err)
	}

	auth, err := signing.ParseLSA1Authorization([]byte(req.Header.Get("Authorization")))
	if err != nil {
		panic(err)
	}
	canon, err := signing.LSA1Canonical(nil, signing.LSA1Input{
		Method:        []byte(req.Method),
		RawPath:       []byte(req.URL.EscapedPath()),
		RawQuery:      []byte(req.URL.RawQuery),
		Host:          []byte(req.Host),
		SignedHeaders: auth.SignedHeaders,
		Header: func(name []byte) [][]byte {
			var vs [][]byte
			for _, v := range req.Header.Values(string(name)) {
				vs = append(vs, []byte(v))
			}
			return vs
		},
		BodySHA256Hex: []byte(req.Header.Get("X-Auth-Content-Sha256")), // empty: no body
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("scheme:", signing.LSA1Scheme)
	fmt.Println("key id:", string(auth.KeyID))
	fmt.Println("signed headers:", string(auth.SignedHeaders))
	fmt.Println("signed:", signing.LSA1Verify(key.Secret, canon, auth.Signature))
	fmt.Println("signed with another secret:", signing.LSA1Verify([]byte("not-the-secret"), canon, auth.Signature))
	// Output:
	// scheme: LSA1-HMAC-SHA256
	// key id: ZXhhbXBsZS1rZXktaWQtMQ
	// signed headers: host;x-auth-date;x-auth-nonce
	// signed: true
	// signed with another secret: false
}
