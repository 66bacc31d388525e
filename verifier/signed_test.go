package verifier_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/keystore/memory"
	"github.com/gatehouse/gatehouse/signing"
	"github.com/gatehouse/gatehouse/verifier"
)

type signReq struct {
	dialect     string
	method, url string // as signed by the client
	body        []byte
	nonce       string
	at          time.Time
	extra       map[string]string // extra signed headers
	// proxy view, when it differs from what was signed
	fwdMethod, fwdURL string
	fwdBody           []byte
	mutate            func(*fasthttp.Request)
}

// signed builds the auth request a proxy sends for a client request signed
// with signing.SignRequest.
func (e *env) signed(t *testing.T, keyID, secret string, s signReq) *fasthttp.Request {
	t.Helper()
	r, err := http.NewRequest(s.method, s.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.at.IsZero() {
		s.at = e.clk.Now()
	}
	if s.nonce == "" {
		s.nonce, _ = signing.NewJTI()
	}
	if len(s.extra) > 0 {
		names := []string{"host", "x-auth-date", "x-auth-nonce"}
		for k, v := range s.extra {
			r.Header.Set(k, v)
			names = append(names, strings.ToLower(k))
		}
		if len(s.body) > 0 {
			names = append(names, "x-auth-content-sha256")
		}
		err = signing.SignRequestHeaders(r, keyID, secret, s.at, s.nonce, s.body, names)
	} else {
		err = signing.SignRequest(r, keyID, secret, s.at, s.nonce, s.body)
	}
	if err != nil {
		t.Fatal(err)
	}
	m, u := s.method, s.url
	if s.fwdMethod != "" {
		m = s.fwdMethod
	}
	if s.fwdURL != "" {
		u = s.fwdURL
	}
	req := fwd(s.dialect, m, u)
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	body := s.body
	if s.fwdBody != nil {
		body = s.fwdBody
	}
	if s.dialect == "envoy" || s.dialect == "traefik" {
		req.SetBody(body)
	}
	if s.mutate != nil {
		s.mutate(req)
	}
	return req
}

// TestSignedRequests runs every case against a nonce store reached
// through keystore.Markers (a context with a timeout per call) and against
// the in-process keystore/memory store (its allocation-free path): a
// replay is refused by both.
func TestSignedRequests(t *testing.T) {
	t.Run("store nonces", func(t *testing.T) { testSignedRequests(t, nil) })
	t.Run("in-process nonces", func(t *testing.T) {
		testSignedRequests(t, func(o *verifier.Options) { o.Nonces = memory.New(memory.Options{Clock: o.Now}) })
	})
}

func testSignedRequests(t *testing.T, mut func(*verifier.Options)) {
	e := newEnv(t, mut)
	keyID, secret := e.signingKey(aliceID, []string{"read"})
	writeID, writeSecret := e.signingKey(aliceID, []string{"write"})
	revokedID, revokedSecret := e.signingKey(aliceID, []string{"read"})
	e.st.mu.Lock()
	e.st.keys[revokedID].RevokedAt = t0.Add(-time.Minute)
	e.st.mu.Unlock()
	_, plainID, plainSecret := e.apiKey(aliceID, []string{"read"}, nil) // no sealed secret
	body := []byte(`{"amount":42}`)
	sum := sha256.Sum256(body)
	bodyHex := hex.EncodeToString(sum[:])
	const u = "https://app.example.test/api/items?b=2&a=1&a=0"

	replay := signReq{dialect: "nginx", method: "GET", url: u, nonce: "fixed-nonce-1"}
	cases := []struct {
		name        string
		keyID, sec  string
		r           signReq
		status      int
		code        string
		contentHash string
	}{
		{"nginx get", keyID, secret, signReq{dialect: "nginx", method: "GET", url: u}, 200, "", signing.LSA1EmptyBodySHA256},
		{"nginx post body declared", keyID, secret, signReq{dialect: "nginx", method: "POST", url: u, body: body}, 200, "", bodyHex},
		{"caddy post body declared", keyID, secret, signReq{dialect: "caddy", method: "POST", url: u, body: body}, 200, "", bodyHex},
		{"envoy post body forwarded", keyID, secret, signReq{dialect: "envoy", method: "POST", url: u, body: body}, 200, "", bodyHex},
		{"traefik put body forwarded", keyID, secret, signReq{dialect: "traefik", method: "PUT", url: u, body: body}, 200, "", bodyHex},
		{"haproxy get", keyID, secret, signReq{dialect: "haproxy", method: "GET", url: u}, 200, "", signing.LSA1EmptyBodySHA256},
		{"extra signed header", keyID, secret, signReq{dialect: "nginx", method: "GET", url: u, extra: map[string]string{"X-Tenant": "t1"}}, 200, "", signing.LSA1EmptyBodySHA256},
		{"first use", keyID, secret, replay, 200, "", signing.LSA1EmptyBodySHA256},
		{"replayed nonce", keyID, secret, replay, 401, "API_KEY_SIGNATURE_NONCE_REPLAY", ""},
		{"date in the past", keyID, secret, signReq{dialect: "nginx", method: "GET", url: u, at: t0.Add(-301 * time.Second)}, 401, "API_KEY_SIGNATURE_TIMESTAMP_SKEW", ""},
		{"date in the future", keyID, secret, signReq{dialect: "envoy", method: "GET", url: u, at: t0.Add(301 * time.Second)}, 401, "API_KEY_SIGNATURE_TIMESTAMP_SKEW", ""},
		{"date within skew", keyID, secret, signReq{dialect: "envoy", method: "GET", url: u, at: t0.Add(-299 * time.Second)}, 200, "", signing.LSA1EmptyBodySHA256},
		{"tampered method", keyID, secret, signReq{dialect: "traefik", method: "GET", url: u, fwdMethod: "DELETE"}, 401, "API_KEY_SIGNATURE_INVALID", ""},
		{"tampered path", keyID, secret, signReq{dialect: "nginx", method: "GET", url: u, fwdURL: "https://app.example.test/api/other?b=2&a=1&a=0"}, 401, "API_KEY_SIGNATURE_INVALID", ""},
		{"tampered query", keyID, secret, signReq{dialect: "caddy", method: "GET", url: u, fwdURL: "https://app.example.test/api/items?b=2&a=1&a=1"}, 401, "API_KEY_SIGNATURE_INVALID", ""},
		{"tampered host", keyID, secret, signReq{dialect: "envoy", method: "GET", url: u, fwdURL: "https://api.example.test/api/items?b=2&a=1&a=0"}, 401, "API_KEY_SIGNATURE_INVALID", ""},
		{"tampered signed header", keyID, secret, signReq{dialect: "nginx", method: "GET", url: u, extra: map[string]string{"X-Tenant": "t1"},
			mutate: func(r *fasthttp.Request) { r.Header.Set("X-Tenant", "t2") }}, 401, "API_KEY_SIGNATURE_INVALID", ""},
		{"tampered forwarded body", keyID, secret, signReq{dialect: "envoy", method: "POST", url: u, body: body, fwdBody: []byte(`{"amount":4200}`)}, 401, "REQUEST_BODY_INVALID", ""},
		{"tampered declared digest", keyID, secret, signReq{dialect: "nginx", method: "POST", url: u, body: body,
			mutate: func(r *fasthttp.Request) { r.Header.Set("X-Auth-Content-SHA256", strings.Repeat("0", 64)) }}, 401, "API_KEY_SIGNATURE_INVALID", ""},
		{"malformed declared digest", keyID, secret, signReq{dialect: "nginx", method: "POST", url: u, body: body,
			mutate: func(r *fasthttp.Request) { r.Header.Set("X-Auth-Content-SHA256", "xyz") }}, 401, "REQUEST_BODY_INVALID", ""},
		{"unsigned host", keyID, secret, signReq{dialect: "nginx", method: "GET", url: u,
			mutate: func(r *fasthttp.Request) {
				a := string(r.Header.Peek("Authorization"))
				r.Header.Set("Authorization", strings.Replace(a, "SignedHeaders=host;", "SignedHeaders=", 1))
			}}, 401, "API_KEY_SIGNATURE_INVALID", ""},
		{"missing nonce header", keyID, secret, signReq{dialect: "nginx", method: "GET", url: u,
			mutate: func(r *fasthttp.Request) { r.Header.Del("X-Auth-Nonce") }}, 401, "API_KEY_SIGNATURE_INVALID", ""},
		{"wrong secret", keyID, writeSecret, signReq{dialect: "nginx", method: "GET", url: u}, 401, "API_KEY_SIGNATURE_INVALID", ""},
		{"unknown key", "AAAAAAAAAAAAAAAAAAAAAA", secret, signReq{dialect: "nginx", method: "GET", url: u}, 401, "API_KEY_SIGNATURE_INVALID", ""},
		{"key without signing secret", plainID, plainSecret, signReq{dialect: "nginx", method: "GET", url: u}, 401, "API_KEY_SIGNATURE_INVALID", ""},
		{"revoked key", revokedID, revokedSecret, signReq{dialect: "nginx", method: "GET", url: u}, 401, "API_KEY_REVOKED", ""},
		{"missing scope", writeID, writeSecret, signReq{dialect: "nginx", method: "GET", url: u}, 403, "INSUFFICIENT_SCOPES", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := e.do(e.signed(t, c.keyID, c.sec, c.r))
			if c.status != 200 {
				wantDeny(t, a, c.status, c.code)
				if c.status == 401 && !strings.Contains(a.header.Get("Www-Authenticate"), "LSA1-HMAC-SHA256") {
					t.Fatalf("WWW-Authenticate %q lacks LSA1", a.header.Get("Www-Authenticate"))
				}
				return
			}
			h := wantAllow(t, a)
			if h.Get("Remote-Auth-Method") != "signed" || h.Get("Remote-Api-Key-Id") != c.keyID ||
				h.Get("Remote-Content-Sha256") != c.contentHash || h.Get("Remote-Scopes") != "read" {
				t.Fatalf("identity %v", h)
			}
		})
	}
}

func TestSignedBodyCap(t *testing.T) {
	e := newEnv(t, func(o *verifier.Options) { o.SignedBodyMax = 64 })
	keyID, secret := e.signingKey(aliceID, []string{"read"})
	big := []byte(strings.Repeat("x", 65))
	a := e.do(e.signed(t, keyID, secret, signReq{dialect: "envoy", method: "POST", url: "https://app.example.test/api/x", body: big}))
	wantDeny(t, a, 401, "REQUEST_BODY_INVALID")
	ok := []byte(strings.Repeat("x", 64))
	wantAllow(t, e.do(e.signed(t, keyID, secret, signReq{dialect: "envoy", method: "POST", url: "https://app.example.test/api/x", body: ok})))
}

func TestSignedSecretReopenedAfterRotation(t *testing.T) {
	e := newEnv(t, nil)
	keyID, secret := e.signingKey(aliceID, []string{"read"})
	r := signReq{dialect: "nginx", method: "GET", url: "https://app.example.test/api/x"}
	wantAllow(t, e.do(e.signed(t, keyID, secret, r)))
	// The key's secret is replaced (re-issued): the cached plaintext must
	// not keep the old secret alive.
	newSecret := strings.Repeat("B", 43)
	sealed, err := e.keyring.Seal([]byte(newSecret))
	if err != nil {
		t.Fatal(err)
	}
	e.st.mu.Lock()
	e.st.keys[keyID].SigningSecret = sealed
	e.st.mu.Unlock()
	e.v.InvalidateAPIKey(keyID)
	wantDeny(t, e.do(e.signed(t, keyID, secret, r)), 401, "API_KEY_SIGNATURE_INVALID")
	wantAllow(t, e.do(e.signed(t, keyID, newSecret, r)))
}

// TestSignedKeyringReloadOpensKeysSealedUnderANewKey: after `keys rotate`
// and SIGHUP, keys sealed under the new active key must verify without a
// restart.
func TestSignedKeyringReloadOpensKeysSealedUnderANewKey(t *testing.T) {
	e := newEnv(t, nil)
	oldID, oldSecret := e.signingKey(aliceID, []string{"read"})
	r := signReq{dialect: "nginx", method: "GET", url: "https://app.example.test/api/x"}
	wantAllow(t, e.do(e.signed(t, oldID, oldSecret, r)))

	k2, err := signing.GenerateFernetKey()
	if err != nil {
		t.Fatal(err)
	}
	// A ring that does not know the old key: keys sealed under it stop
	// verifying (fail closed), those sealed under k2 work.
	onlyNew, err := signing.NewKeyring("k2", map[string]string{"k2": k2})
	if err != nil {
		t.Fatal(err)
	}
	newID, newSecret := e.signingKey(aliceID, []string{"read"})
	sealed, err := onlyNew.Seal([]byte(newSecret))
	if err != nil {
		t.Fatal(err)
	}
	e.st.mu.Lock()
	e.st.keys[newID].SigningSecret = sealed
	e.st.mu.Unlock()
	e.v.InvalidateAPIKey(newID)
	wantDeny(t, e.do(e.signed(t, newID, newSecret, r)), 401, "API_KEY_SIGNATURE_INVALID")

	if err := e.v.ReloadKeyring(nil); err == nil {
		t.Fatal("nil keyring accepted")
	}
	if err := e.v.ReloadKeyring(onlyNew); err != nil {
		t.Fatal(err)
	}
	wantAllow(t, e.do(e.signed(t, newID, newSecret, r)))
}
