package verifier_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/jwks"
	"github.com/gatehouse/gatehouse/verifier"
)

// Signing keys of the test issuers, made once per test binary.
var (
	extKeysOnce       sync.Once
	rsaA, rsaA2, rsaB *rsa.PrivateKey
	ecA, ecB          *ecdsa.PrivateKey
	edA               = ed25519.NewKeyFromSeed([]byte("external-issuer-a-ed25519-seed!!"))
)

func extKeys(t testing.TB) {
	t.Helper()
	extKeysOnce.Do(func() {
		var err error
		for _, k := range []**rsa.PrivateKey{&rsaA, &rsaA2, &rsaB} {
			if *k, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
				panic(err)
			}
		}
		for _, k := range []**ecdsa.PrivateKey{&ecA, &ecB} {
			if *k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
				panic(err)
			}
		}
	})
}

// publicJWK is the JWK (RFC 7517) of an RSA or P-256 public key.
func publicJWK(kid string, pub crypto.PublicKey) map[string]any {
	enc := base64.RawURLEncoding.EncodeToString
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return map[string]any{"kty": "RSA", "use": "sig", "kid": kid, "n": enc(p.N.Bytes()), "e": enc(big.NewInt(int64(p.E)).Bytes())}
	case ed25519.PublicKey:
		return map[string]any{"kty": "OKP", "use": "sig", "kid": kid, "crv": "Ed25519", "x": enc(p)}
	case *ecdsa.PublicKey:
		return map[string]any{"kty": "EC", "use": "sig", "kid": kid, "crv": "P-256",
			"x": enc(p.X.FillBytes(make([]byte, 32))), "y": enc(p.Y.FillBytes(make([]byte, 32)))}
	}
	panic("unsupported key")
}

// jwksServer is a loopback JWKS endpoint posing as an issuer's: it serves
// the keys the test sets and counts requests.
type jwksServer struct {
	*httptest.Server
	mu   sync.Mutex
	keys []map[string]any
	raw  []byte // served instead of keys when set
	down bool   // answers 503
	hang bool   // never answers until the request is cancelled
	hits atomic.Int64
}

func newJWKSServer(t testing.TB, keys ...map[string]any) *jwksServer {
	s := &jwksServer{keys: keys}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		body, down, hang := s.raw, s.down, s.hang
		if body == nil {
			body, _ = json.Marshal(map[string]any{"keys": s.keys})
		}
		s.mu.Unlock()
		if hang {
			<-r.Context().Done()
			return
		}
		if down {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=300")
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(f func(s *jwksServer)) {
	s.mu.Lock()
	f(s)
	s.mu.Unlock()
}

// source is a jwks.Source on the server's loopback URL with the test's
// clock, fetched once; no background refresher runs, so the test decides
// every fetch.
func (s *jwksServer) source(t testing.TB, now func() time.Time, mod func(*jwks.Options)) *jwks.Source {
	t.Helper()
	o := jwks.Options{JWKSURL: s.URL + "/jwks", Client: &http.Client{}, AllowLoopbackHTTP: true, Now: now,
		MinTTL: 5 * time.Minute, MaxTTL: time.Hour, StaleFor: time.Hour, Timeout: 2 * time.Second}
	if mod != nil {
		mod(&o)
	}
	src, err := jwks.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	_ = src.Refresh(context.Background())
	return src
}

// Test issuers.
const (
	extIssA = "https://idp-a.example.test"
	extIssB = "https://idp-b.example.test"
	extAud  = "https://gatehouse.example.test"
)

// issuerConfig is an issuer as config.Load leaves it after defaults.
func issuerConfig(iss string) config.ExternalIssuer {
	return config.ExternalIssuer{
		Issuer: iss, JWKSURL: "https://unused.example.test/jwks", Audiences: []string{extAud, "other-aud"},
		Algorithms: []string{"RS256", "ES256", "EdDSA"}, Leeway: 30 * time.Second, MaxLifetime: 24 * time.Hour,
		SubjectClaim: "sub", NameClaim: "name", EmailClaim: "email", GroupsClaim: "groups", ScopesClaim: "scope",
	}
}

// extRules are rules for machine tokens plus the spec rules.
func extRules() []config.Rule {
	rules := []config.Rule{
		{Name: "deploy", Paths: []string{"=/deploy"}, Methods: []string{"POST"}, Policy: config.PolicyAuthenticated,
			Claims: map[string]config.ClaimValues{"sub": {"repo:acme/deploy:ref:refs/heads/main"}}},
		{Name: "deploy-status", Paths: []string{"=/deploy"}, Policy: config.PolicyAuthenticated,
			Claims: map[string]config.ClaimValues{"repository_owner": {"acme"}, "ref": {`~^refs/(heads|tags)/`}}},
		{Name: "from-a", Paths: []string{"/only-a/"}, Policy: config.PolicyAuthenticated, Issuers: []string{extIssA}},
		{Name: "m2m", Paths: []string{"/m2m/"}, Policy: config.PolicyAuthenticated, Credentials: []string{"external_jwt"}},
		{Name: "m2m-read", Paths: []string{"/m2m-read/"}, Policy: config.PolicyAuthenticated, Scopes: []string{"read"}},
		{Name: "groups", Paths: []string{"/ops/"}, Policy: config.PolicyAuthenticated,
			Claims: map[string]config.ClaimValues{"groups": {"ops", "sre"}}},
		{Name: "numbers", Paths: []string{"/run/"}, Policy: config.PolicyAuthenticated,
			Claims: map[string]config.ClaimValues{"run_attempt": {"1"}, "/ctx/prod": {"true"}}},
		{Name: "k8s-ns", Paths: []string{"/k8s/"}, Policy: config.PolicyAuthenticated,
			Claims: map[string]config.ClaimValues{"/kubernetes.io/namespace": {"payments"}, "/kubernetes.io/serviceaccount/name": {"~^billing-"}}},
	}
	return append(rules, specRules()...)
}

// extEnv is an env with external issuers A (RSA key "a1", P-256 "a-ec",
// Ed25519 "a-ed")
// and B (RSA key "b1"), each behind its own loopback JWKS server.
type extEnv struct {
	*env
	srvA, srvB *jwksServer
	srcA, srcB *jwks.Source
}

func newExtEnv(t testing.TB, mod func(cfgA, cfgB *config.ExternalIssuer, o *verifier.Options)) *extEnv {
	t.Helper()
	extKeys(t)
	x := &extEnv{}
	x.srvA = newJWKSServer(t, publicJWK("a1", &rsaA.PublicKey), publicJWK("a-ec", &ecA.PublicKey), publicJWK("a-ed", edA.Public()))
	x.srvB = newJWKSServer(t, publicJWK("b1", &rsaB.PublicKey))
	cfgA, cfgB := issuerConfig(extIssA), issuerConfig(extIssB)
	x.env = newEnv(t, func(o *verifier.Options) {
		// The key sources run on the env's clock.
		x.srcA = x.srvA.source(t, o.Now, nil)
		x.srcB = x.srvB.source(t, o.Now, nil)
		o.Rules = extRules()
		if mod != nil {
			mod(&cfgA, &cfgB, o)
		}
		if o.ExternalIssuers == nil {
			o.ExternalIssuers = []verifier.ExternalIssuer{{Config: cfgA, Keys: x.srcA}, {Config: cfgB, Keys: x.srcB}}
		}
	})
	return x
}

// claimsAt are a valid token's claims of issuer iss at the env's now.
func (x *extEnv) claims(iss string, kv ...any) jwt.MapClaims {
	now := x.clk.Now()
	c := jwt.MapClaims{"iss": iss, "sub": "svc-build", "aud": []string{extAud}, "iat": now.Unix(),
		"nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "jti": "j-1"}
	return setKV(c, kv...)
}

// setKV sets m[k] = v for each pair of kv, deleting k when v is nil.
func setKV[M ~map[string]any](m M, kv ...any) M {
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(m, kv[i].(string))
		} else {
			m[kv[i].(string)] = kv[i+1]
		}
	}
	return m
}

// mint signs claims with method and key, with the given header kid ("" for
// none) and extra header members.
func mint(t testing.TB, method jwt.SigningMethod, key any, kid string, c jwt.MapClaims, hdr ...any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	setKV(tok.Header, hdr...)
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tokA is a valid RS256 token of issuer A with claims changed by kv.
func (x *extEnv) tokA(kv ...any) string {
	return mint(x.t, jwt.SigningMethodRS256, rsaA, "a1", x.claims(extIssA, kv...))
}

func (x *extEnv) get(path, tok string) answer {
	return x.do(bearer(fwd("nginx", "GET", "https://"+appHost+path), tok))
}

type fasthttpRequest = fasthttp.Request

func stdB64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func decodeSeg(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
