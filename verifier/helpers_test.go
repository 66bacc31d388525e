package verifier_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
	"github.com/gatehouse/gatehouse/verifier"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

type clock struct{ ns atomic.Int64 }

func newClock() *clock { c := &clock{}; c.ns.Store(t0.UnixNano()); return c }

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

const (
	publicURL  = "https://auth.example.test"
	appHost    = "app.example.test"
	issuer     = publicURL
	accessAud  = "gatehouse:access"
	aliceID    = "a11ce000000000000000000000000001"
	bobID      = "b0b00000000000000000000000000002"
	carolID    = "ca401000000000000000000000000003"
	rootID     = "0000000000000000000000000000root"
	aliceEmail = "Alice@Example.test"
)

var (
	tokenKey     = signing.NewSecret([]byte("token-hash-secret-0123456789abcdef-xyz"))
	apiKeyKey    = signing.NewSecret([]byte("api-key-hash-secret-0123456789abcdef-xyz"))
	fpKey        = signing.NewSecret([]byte("fingerprint-secret-0123456789abcdef-xyz"))
	hsKey        = signing.NewSecret([]byte("access-token-secret-0123456789abcdef-xyz"))
	fernetKeyB64 = base64.URLEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
)

// specRules mirrors the example configuration's rules plus rows for every requirement.
func specRules() []config.Rule {
	return []config.Rule{
		{Name: "public", Hosts: []string{appHost}, Paths: []string{"/public/"}, Policy: config.PolicyBypass},
		{Name: "forbidden", Paths: []string{"/forbidden/"}, Policy: config.PolicyDeny},
		{Name: "admin-area", Paths: []string{"/admin/"}, Policy: config.PolicyAuthenticated, RolesAny: []string{"admin"}},
		{Name: "both", Paths: []string{"/both/"}, Policy: config.PolicyAuthenticated, RolesAll: []string{"admin", "read"}},
		{Name: "root", Paths: []string{"=/root"}, Policy: config.PolicyAuthenticated, Superuser: true},
		{Name: "api", Paths: []string{"/api/"}, Policy: config.PolicyAuthenticated, Credentials: []string{"jwt", "api_key", "signed"}, Scopes: []string{"read"}},
		{Name: "write", Paths: []string{"/write/"}, Policy: config.PolicyAuthenticated, Scopes: []string{"write"}},
		{Name: "cookie-only", Paths: []string{"/portal/"}, Policy: config.PolicyAuthenticated, Credentials: []string{"cookie"}},
		{Name: "sensitive", Paths: []string{"/billing/"}, Policy: config.PolicyAuthenticated, StepUp: 5 * time.Minute},
		{Name: "totp", Paths: []string{"/secure/"}, Policy: config.PolicyAuthenticated, StepUp: 5 * time.Minute, RequireTOTP: true},
		{Name: "verified", Paths: []string{"/verified/"}, Policy: config.PolicyAuthenticated, VerifiedEmail: true},
		{Name: "intranet", Paths: []string{"/intranet/"}, Networks: []string{"10.0.0.0/8"}, Policy: config.PolicyBypass},
		{Name: "intranet-else", Paths: []string{"/intranet/"}, Policy: config.PolicyDeny},
		{Name: "health", Paths: []string{"~^/status/[0-9]+$"}, Policy: config.PolicyBypass},
		{Name: "subdomains", Hosts: []string{"*.open.example.test"}, Policy: config.PolicyBypass},
		{Name: "everything-else", Policy: config.PolicyAuthenticated},
	}
}

type env struct {
	t       testing.TB
	v       *verifier.Verifier
	st      *fakeStore
	clk     *clock
	hs      *signing.JWTIssuer
	ed      *signing.JWTIssuer
	edKey   signing.JWTKey
	keyring *signing.Keyring
	hasher  *signing.APIKeyHasher
	remote  net.Addr
	opts    verifier.Options
}

func newEnv(t testing.TB, mut func(*verifier.Options)) *env {
	t.Helper()
	clk := newClock()
	st := newFakeStore(clk.Now)
	edKey, _, err := signing.GenerateEd25519Key("ed1")
	if err != nil {
		t.Fatal(err)
	}
	hsJWT := signing.JWTKey{Alg: signing.AlgHS256, HMAC: hsKey}
	jv, err := signing.NewJWTVerifier(signing.JWTVerifierConfig{Issuer: issuer, Audience: accessAud, Keys: []signing.JWTKey{hsJWT, edKey}})
	if err != nil {
		t.Fatal(err)
	}
	hs, err := signing.NewJWTIssuer(signing.JWTIssuerConfig{Issuer: issuer, Audience: accessAud, Key: hsJWT})
	if err != nil {
		t.Fatal(err)
	}
	ed, err := signing.NewJWTIssuer(signing.JWTIssuerConfig{Issuer: issuer, Audience: accessAud, Key: edKey})
	if err != nil {
		t.Fatal(err)
	}
	ring, err := signing.NewKeyring("k1", map[string]string{"k1": fernetKeyB64})
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := signing.NewAPIKeyHasher(apiKeyKey)
	if err != nil {
		t.Fatal(err)
	}
	opts := verifier.Options{
		PublicURL:      publicURL,
		CookieDomain:   "example.test",
		TrustedHops:    1,
		DefaultPolicy:  "deny",
		Rules:          specRules(),
		Users:          st,
		Sessions:       st,
		APIKeys:        st,
		Denylist:       st,
		Nonces:         st,
		Passkeys:       st,
		TokenHashKey:   tokenKey,
		APIKeyHashKey:  apiKeyKey,
		FingerprintKey: fpKey,
		JWT:            jv,
		SigningKeyring: ring,
		ForwardsBody:   []string{"envoy", "traefik"},
		StoreTimeout:   200 * time.Millisecond,
		JWKS:           []byte(`{"keys":[]}`),
		Logger:         zerolog.Nop(),
		Now:            clk.Now,
		// Every JWT test runs through the verified-token cache.
		TokenCacheEntries: 4096,
	}
	if mut != nil {
		mut(&opts)
	}
	v, err := verifier.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	e := &env{t: t, v: v, st: st, clk: clk, hs: hs, ed: ed, edKey: edKey, keyring: ring, hasher: hasher,
		remote: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, opts: opts}
	e.addUser(keystore.User{ID: aliceID, Email: aliceEmail, DisplayName: "Alice A.", PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$YWxpY2U$aGFzaA", Roles: []string{"admin", "read"}, Active: true, Verified: true})
	e.addUser(keystore.User{ID: bobID, Email: "bob@example.test", DisplayName: "Bob", PasswordHash: "$argon2id$bob", Roles: []string{"user"}, Active: true, TOTPEnabled: true})
	e.addUser(keystore.User{ID: carolID, Email: "carol@example.test", PasswordHash: "$argon2id$carol", Roles: []string{"admin"}, Active: false, Verified: true})
	e.addUser(keystore.User{ID: rootID, Email: "root@example.test", PasswordHash: "$argon2id$root", Superuser: true, Active: true, Verified: true})
	return e
}

func (e *env) addUser(u keystore.User) {
	u.CreatedAt = t0
	e.st.users[u.ID] = &u
}

func (e *env) user(id string) *keystore.User { return e.st.users[id] }

// jwt issues an access token for a user as it is stored now.
func (e *env) jwt(id string) string { return e.jwtWith(e.hs, id, 15*time.Minute) }

func (e *env) jwtWith(iss *signing.JWTIssuer, id string, life time.Duration) string {
	e.t.Helper()
	u := e.user(id)
	sfp := signing.SessionFingerprint(fpKey, u.ID, keystore.FoldEmail(u.Email), u.PasswordHash)
	tok, err := iss.Issue(signing.IssueClaims{Subject: id, SFP: sfp, Lifetime: life}, e.clk.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// session creates a browser session and returns its cookie value.
func (e *env) session(userID string, mut func(*keystore.Session)) string {
	e.t.Helper()
	tok, err := signing.NewOpaqueToken()
	if err != nil {
		e.t.Fatal(err)
	}
	d := signing.TokenDigest(tokenKey, []byte(tok))
	s := &keystore.Session{Digest: d[:], UserID: userID, Kind: "session", AuthMethod: "password", CreatedAt: e.clk.Now(), ExpiresAt: e.clk.Now().Add(12 * time.Hour)}
	if mut != nil {
		mut(s)
	}
	e.st.sessions[string(s.Digest)] = s
	return tok
}

// apiKey creates a key and returns the raw key, its id and its secret.
func (e *env) apiKey(userID string, scopes []string, mut func(*keystore.APIKey)) (raw, keyID, secret string) {
	e.t.Helper()
	raw, keyID, secret, err := signing.GenerateAPIKey("ak", "prod")
	if err != nil {
		e.t.Fatal(err)
	}
	d := e.hasher.Digest([]byte(secret))
	k := &keystore.APIKey{KeyID: keyID, UserID: userID, Name: "test", Env: "prod", Digest: d[:], Scopes: scopes, CreatedAt: e.clk.Now()}
	if mut != nil {
		mut(k)
	}
	e.st.mu.Lock() // the verifier's last-used writer reads the map concurrently
	e.st.keys[keyID] = k
	e.st.mu.Unlock()
	return raw, keyID, secret
}

// signingKey creates a signing-required key holding a sealed secret.
func (e *env) signingKey(userID string, scopes []string) (keyID, secret string) {
	e.t.Helper()
	_, keyID, secret = e.apiKey(userID, scopes, func(k *keystore.APIKey) { k.SigningRequired = true })
	sealed, err := e.keyring.Seal([]byte(secret))
	if err != nil {
		e.t.Fatal(err)
	}
	e.st.mu.Lock()
	e.st.keys[keyID].SigningSecret = sealed
	e.st.mu.Unlock()
	return keyID, secret
}

// fwd builds the auth request a proxy of dialect d would send for the
// original request method + rawURL (absolute).
func fwd(d, method, rawURL string) *fasthttp.Request {
	req := &fasthttp.Request{}
	scheme, rest, _ := strings.Cut(rawURL, "://")
	host, uri := rest, "/"
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		host, uri = rest[:i], rest[i:]
		if uri[0] == '?' {
			uri = "/" + uri
		}
	}
	switch d {
	case "nginx":
		req.Header.SetMethod("GET")
		req.SetRequestURI("/auth/nginx")
		req.Header.SetHost("127.0.0.1:9091")
		req.Header.Set("X-Original-Method", method)
		req.Header.Set("X-Original-URL", rawURL)
	case "traefik", "haproxy":
		req.Header.SetMethod("GET")
		req.SetRequestURI("/auth/" + d)
		req.Header.SetHost("127.0.0.1:9091")
		req.Header.Set("X-Forwarded-Method", method)
		req.Header.Set("X-Forwarded-Proto", scheme)
		req.Header.Set("X-Forwarded-Host", host)
		req.Header.Set("X-Forwarded-Uri", uri)
	case "caddy":
		req.Header.SetMethod("GET")
		req.SetRequestURI("/auth/caddy")
		req.Header.SetHost(host)
		req.Header.Set("X-Forwarded-Method", method)
		req.Header.Set("X-Forwarded-Proto", scheme)
		req.Header.Set("X-Forwarded-Host", host)
		req.Header.Set("X-Forwarded-Uri", uri)
	case "envoy":
		req.Header.SetMethod(method)
		req.SetRequestURI("/auth/envoy" + uri)
		req.Header.SetHost(host)
		req.Header.Set("X-Forwarded-Proto", scheme)
	default:
		panic("unknown dialect " + d)
	}
	return req
}

var dialects = []string{"nginx", "traefik", "caddy", "envoy", "haproxy"}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) code() string {
	var v struct{ Code, Detail string }
	if len(a.body) == 0 || json.Unmarshal(a.body, &v) != nil {
		return ""
	}
	return v.Code
}

func (e *env) do(req *fasthttp.Request) answer { return e.doFrom(req, e.remote) }

func (e *env) doFrom(req *fasthttp.Request, remote net.Addr) answer {
	var ctx fasthttp.RequestCtx
	ctx.Init(req, remote, nil)
	e.v.Handler(&ctx)
	a := answer{status: ctx.Response.StatusCode(), header: http.Header{}, body: append([]byte(nil), ctx.Response.Body()...)}
	for k, v := range ctx.Response.Header.All() {
		a.header.Add(string(k), string(v))
	}
	return a
}

func bearer(req *fasthttp.Request, tok string) *fasthttp.Request {
	req.Header.Set("Authorization", "Bearer "+tok)
	return req
}

func withCookie(req *fasthttp.Request, tok string) *fasthttp.Request {
	req.Header.SetCookie("gatehouse_session", tok)
	return req
}

// identityHeaders are the names that must be present on every allow.
var identityHeaders = []string{"Remote-User", "Remote-User-Id", "Remote-Email", "Remote-Name", "Remote-Groups", "Remote-Auth-Method", "Remote-Api-Key-Id", "Remote-Scopes", "Remote-Content-Sha256"}

// wantAllow checks an allow answer and returns its identity headers.
func wantAllow(t testing.TB, a answer) http.Header {
	t.Helper()
	if a.status != 200 {
		t.Fatalf("status %d (%s), want 200", a.status, a.code())
	}
	if len(a.body) != 0 {
		t.Fatalf("allow body %q, want empty", a.body)
	}
	for _, h := range identityHeaders {
		if _, ok := a.header[http.CanonicalHeaderKey(h)]; !ok {
			t.Fatalf("allow lacks header %s: %v", h, a.header)
		}
		if n := len(a.header[http.CanonicalHeaderKey(h)]); n != 1 {
			t.Fatalf("header %s appears %d times", h, n)
		}
	}
	return a.header
}

func wantDeny(t testing.TB, a answer, status int, code string) {
	t.Helper()
	if a.status != status || a.code() != code {
		t.Fatalf("got %d %q (%s), want %d %s", a.status, a.code(), a.body, status, code)
	}
	if a.status == 200 {
		t.Fatal("deny answered 200")
	}
}

func mustPrefixes(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}

var assertKey = ed25519.NewKeyFromSeed([]byte("assertion-seed-0123456789abcdef!"))

func edPriv(testing.TB) ed25519.PrivateKey { return assertKey }

// verifyAssertion checks a Gatehouse-Assertion with the public key and its
// claims.
func verifyAssertion(t testing.TB, tok, sub string) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("assertion %q", tok)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !ed25519.Verify(assertKey.Public().(ed25519.PublicKey), []byte(parts[0]+"."+parts[1]), sig) {
		t.Fatal("assertion signature does not verify")
	}
	hdr, _ := base64.RawURLEncoding.DecodeString(parts[0])
	if string(hdr) != `{"alg":"EdDSA","typ":"JWT","kid":"assert1"}` {
		t.Fatalf("header %s", hdr)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Iss, Aud, Sub, Email, Amr string
		Roles                     []string
		Iat, Exp                  int64
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	if c.Sub != sub || c.Iss != publicURL || c.Aud != "gatehouse:assertion" || c.Exp-c.Iat != 60 || c.Iat != t0.Unix() {
		t.Fatalf("claims %+v", c)
	}
}
