package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The external issuer's tokens (README "Machine-to-machine tokens"): the
// audience the gatehouse instances accept, the subject they map to
// Remote-User, and how long a token lives (the whole benchmark, well
// under external_jwt's default max_lifetime of 24 h).
const (
	extAudience = "gatehouse-bench"
	extSubject  = "bench-service"
	extLifetime = 6 * time.Hour
	extRSAKID   = "bench-rsa"
	extECKID    = "bench-ec"
)

// externalIssuer stands in for an external OpenID provider: a loopback
// HTTP server with its JWKS (one RS256 and one ES256 key) and the private
// keys to mint its tokens. Plain http on 127.0.0.1 is what development
// mode allows for an issuer.
type externalIssuer struct {
	issuer string // http://127.0.0.1:port, also the iss of its tokens
	srv    *http.Server
	rsa    *rsa.PrivateKey
	ec     *ecdsa.PrivateKey
}

// startExternalIssuer generates the keys and serves the JWKS at
// <issuer>/jwks until close.
func startExternalIssuer() (*externalIssuer, error) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	e := &externalIssuer{rsa: rk, ec: ek}
	doc, err := e.jwks()
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.issuer = "http://" + l.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write(doc)
	})
	e.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = e.srv.Serve(l) }()
	return e, nil
}

func (e *externalIssuer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = e.srv.Shutdown(ctx)
}

// jwks is the public key set (RFC 7517; RFC 7518 §6.2, §6.3).
func (e *externalIssuer) jwks() ([]byte, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	pub, err := e.ec.PublicKey.ECDH()
	if err != nil {
		return nil, err
	}
	pt := pub.Bytes() // 0x04 || X || Y, 32 bytes each for P-256
	if len(pt) != 65 {
		return nil, errors.New("unexpected P-256 point encoding")
	}
	keys := []map[string]string{
		{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": extRSAKID,
			"n": b64(e.rsa.N.Bytes()), "e": b64(big.NewInt(int64(e.rsa.E)).Bytes())},
		{"kty": "EC", "use": "sig", "alg": "ES256", "kid": extECKID, "crv": "P-256",
			"x": b64(pt[1:33]), "y": b64(pt[33:])},
	}
	return json.Marshal(map[string]any{"keys": keys})
}

// token mints an access token signed with the RS256 or ES256 key.
func (e *externalIssuer) token(alg string, now time.Time) (string, error) {
	claims := jwt.MapClaims{
		"iss": e.issuer,
		"sub": extSubject,
		"aud": []string{extAudience},
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(extLifetime).Unix(),
		"jti": fmt.Sprintf("bench-%d", now.UnixNano()),
	}
	var t *jwt.Token
	var key any
	switch alg {
	case "RS256":
		t, key = jwt.NewWithClaims(jwt.SigningMethodRS256, claims), e.rsa
		t.Header["kid"] = extRSAKID
	case "ES256":
		t, key = jwt.NewWithClaims(jwt.SigningMethodES256, claims), e.ec
		t.Header["kid"] = extECKID
	default:
		return "", fmt.Errorf("no external key for %s", alg)
	}
	return t.SignedString(key)
}

// configYAML is the external_jwt section that trusts this issuer.
func (e *externalIssuer) configYAML() string {
	return fmt.Sprintf(`external_jwt:
  issuers:
    - issuer: %q
      jwks_url: %q
      audiences: [%s]
      algorithms: [RS256, ES256]
`, e.issuer, e.issuer+"/jwks", extAudience)
}
