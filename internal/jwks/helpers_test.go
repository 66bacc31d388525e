package jwks_test

import (
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

	"github.com/gatehouse/gatehouse/internal/jwks"
)

var b64 = base64.RawURLEncoding.EncodeToString

type testKeys struct {
	rsa, rsa2 *rsa.PrivateKey
	rsa1024   *rsa.PrivateKey
	p256      *ecdsa.PrivateKey
	p384      *ecdsa.PrivateKey
	ed        ed25519.PrivateKey
}

var (
	keysOnce sync.Once
	keys     testKeys
)

// tk generates the test keys once per test binary.
func tk(t testing.TB) *testKeys {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		must := func(e error) {
			if e != nil && err == nil {
				err = e
			}
		}
		keys.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
		k2, e := rsa.GenerateKey(rand.Reader, 2048)
		must(e)
		keys.rsa2 = k2
		// 1024-bit keys are refused by rsa.GenerateKey in FIPS mode only; the
		// test needs one to prove the parser refuses it.
		k1, e := rsa.GenerateKey(rand.Reader, 1024)
		must(e)
		keys.rsa1024 = k1
		keys.p256, e = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(e)
		keys.p384, e = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		must(e)
		_, keys.ed, e = ed25519.GenerateKey(rand.Reader)
		must(e)
		if err != nil {
			panic(err)
		}
	})
	return &keys
}

type obj = map[string]any

func rsaJWK(kid, alg string, pub *rsa.PublicKey) obj {
	m := obj{"kty": "RSA", "kid": kid, "use": "sig", "n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())}
	if alg != "" {
		m["alg"] = alg
	}
	return m
}

func ecJWK(kid string, pub *ecdsa.PublicKey) obj {
	size := (pub.Curve.Params().BitSize + 7) / 8
	crv := pub.Curve.Params().Name
	return obj{"kty": "EC", "kid": kid, "crv": crv, "x": b64(pub.X.FillBytes(make([]byte, size))), "y": b64(pub.Y.FillBytes(make([]byte, size)))}
}

func edJWK(kid string, pub ed25519.PublicKey) obj {
	return obj{"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64(pub)}
}

func with(m obj, kv ...any) obj {
	c := obj{}
	for k, v := range m {
		c[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

func setOf(ks ...obj) []byte {
	if ks == nil {
		ks = []obj{}
	}
	b, err := json.Marshal(obj{"keys": ks})
	if err != nil {
		panic(err)
	}
	return b
}

// endpoint is a loopback JWKS server whose answer the test changes.
type endpoint struct {
	*httptest.Server
	mu      sync.Mutex
	body    []byte
	status  int
	headers http.Header
	hits    atomic.Int64
}

func newEndpoint(t *testing.T, body []byte) *endpoint {
	e := &endpoint{body: body, status: http.StatusOK, headers: http.Header{}}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hits.Add(1)
		e.mu.Lock()
		body, status := e.body, e.status
		for k, v := range e.headers {
			w.Header()[k] = v
		}
		e.mu.Unlock()
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *endpoint) serve(status int, body []byte, kv ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.status, e.body, e.headers = status, body, http.Header{}
	for i := 0; i < len(kv); i += 2 {
		e.headers.Add(kv[i], kv[i+1])
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newSource is a Source on a loopback JWKS URL with an injected clock.
func newSource(t *testing.T, url string, c *clock, mod func(*jwks.Options)) *jwks.Source {
	t.Helper()
	o := jwks.Options{JWKSURL: url, Client: &http.Client{}, AllowLoopbackHTTP: true, Now: c.Now}
	if mod != nil {
		mod(&o)
	}
	s, err := jwks.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}
