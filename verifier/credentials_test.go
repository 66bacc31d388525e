package verifier_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
	"github.com/gatehouse/gatehouse/verifier"
)

// craft signs an arbitrary header and claims set with key (HS256 MAC).
func craft(key []byte, header string, claims map[string]any) string {
	p, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString(p)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (e *env) claims(id string, mut func(map[string]any)) map[string]any {
	u := e.user(id)
	c := map[string]any{
		"iss": issuer, "aud": accessAud, "sub": id,
		"iat": t0.Unix(), "nbf": t0.Unix(), "exp": t0.Add(15 * time.Minute).Unix(),
		"jti": "0123456789abcdef0123456789abcdef",
		"sfp": signing.SessionFingerprint(fpKey, u.ID, keystore.FoldEmail(u.Email), u.PasswordHash),
	}
	if mut != nil {
		mut(c)
	}
	return c
}

func TestHostileJWTsDeniedThroughHandler(t *testing.T) {
	e := newEnv(t, nil)
	const hdr = `{"alg":"HS256","typ":"JWT"}`
	hk := hsKey.Bytes()
	valid := craft(hk, hdr, e.claims(aliceID, nil))
	edPub := []byte(e.edKey.Ed25519Public)
	cases := []struct {
		name string
		tok  string
	}{
		{"alg none", base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + strings.Split(valid, ".")[1] + "."},
		{"wrong key", craft([]byte("another-secret-0123456789abcdef-0123"), hdr, e.claims(aliceID, nil))},
		{"missing typ", craft(hk, `{"alg":"HS256"}`, e.claims(aliceID, nil))},
		{"wrong typ", craft(hk, `{"alg":"HS256","typ":"at+jwt"}`, e.claims(aliceID, nil))},
		{"duplicate header member", craft(hk, `{"alg":"HS256","typ":"JWT","typ":"JWT"}`, e.claims(aliceID, nil))},
		{"alg confusion with ed25519 public key", craft(edPub, `{"alg":"HS256","typ":"JWT","kid":"ed1"}`, e.claims(aliceID, nil))},
		{"expired", craft(hk, hdr, e.claims(aliceID, func(c map[string]any) { c["exp"] = t0.Add(-time.Minute).Unix() }))},
		{"not yet valid", craft(hk, hdr, e.claims(aliceID, func(c map[string]any) { c["nbf"] = t0.Add(time.Hour).Unix() }))},
		{"wrong audience", craft(hk, hdr, e.claims(aliceID, func(c map[string]any) { c["aud"] = "gatehouse:reset-password" }))},
		{"wrong issuer", craft(hk, hdr, e.claims(aliceID, func(c map[string]any) { c["iss"] = "https://evil.test" }))},
		{"missing jti", craft(hk, hdr, e.claims(aliceID, func(c map[string]any) { delete(c, "jti") }))},
		{"missing sfp", craft(hk, hdr, e.claims(aliceID, func(c map[string]any) { delete(c, "sfp") }))},
		{"other user's sfp", craft(hk, hdr, e.claims(aliceID, func(c map[string]any) { c["sfp"] = e.claims(bobID, nil)["sfp"] }))},
		{"unknown user", craft(hk, hdr, e.claims(aliceID, func(c map[string]any) { c["sub"] = "ffffffffffffffffffffffffffffffff" }))},
		{"inactive user", craft(hk, hdr, e.claims(carolID, nil))},
		{"tampered payload", strings.Split(valid, ".")[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"`+rootID+`"}`)) + "." + strings.Split(valid, ".")[2]},
		{"oversize", craft(hk, hdr, e.claims(aliceID, func(c map[string]any) { c["pad"] = strings.Repeat("x", 2100) }))},
		{"garbage", "!!!.???.###"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, d := range []string{"nginx", "envoy"} {
				wantDeny(t, e.do(bearer(fwd(d, "GET", "https://app.example.test/x"), c.tok)), 401, "AUTHENTICATION_FAILED")
			}
		})
	}
	// The crafted valid token is accepted, so the rows above fail for the
	// reason they name.
	wantAllow(t, e.do(bearer(fwd("nginx", "GET", "https://app.example.test/x"), valid)))
	// EdDSA tokens verify too.
	wantAllow(t, e.do(bearer(fwd("nginx", "GET", "https://app.example.test/x"), e.jwtWith(e.ed, aliceID, time.Minute))))
}

func TestJWTRevocationAndAccountChanges(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.jwt(aliceID)
	req := func() *fasthttp.Request { return bearer(fwd("traefik", "GET", "https://app.example.test/x"), tok) }
	wantAllow(t, e.do(req()))

	// Revoked jti: seen at once through the hook, and within the cache TTL
	// without it.
	var c signing.AccessClaims
	var s signing.JWTScratch
	if err := e.opts.JWT.Verify([]byte(tok), e.clk.Now(), &s, &c); err != nil {
		t.Fatal(err)
	}
	jti := string(c.JTI)
	if err := e.st.Deny(t.Context(), jti, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(1100 * time.Millisecond)
	wantDeny(t, e.do(req()), 401, "AUTHENTICATION_FAILED")

	// Password change kills tokens carrying the old fingerprint.
	tok = e.jwt(aliceID)
	wantAllow(t, e.do(req()))
	e.user(aliceID).PasswordHash = "$argon2id$new"
	e.v.InvalidateUser(aliceID)
	wantDeny(t, e.do(req()), 401, "AUTHENTICATION_FAILED")
	// Email change too (case-folded: a case-only change keeps the token).
	tok = e.jwt(aliceID)
	e.user(aliceID).Email = "ALICE@example.TEST"
	e.v.InvalidateUser(aliceID)
	wantAllow(t, e.do(req()))
	e.user(aliceID).Email = "alice2@example.test"
	e.v.InvalidateUser(aliceID)
	wantDeny(t, e.do(req()), 401, "AUTHENTICATION_FAILED")
	// Disabling the account.
	tok = e.jwt(aliceID)
	e.user(aliceID).Active = false
	e.v.InvalidateUser(aliceID)
	wantDeny(t, e.do(req()), 401, "AUTHENTICATION_FAILED")
	// Role changes apply to live tokens.
	bobTok := e.jwt(bobID)
	adm := bearer(fwd("traefik", "GET", "https://app.example.test/admin/"), bobTok)
	wantDeny(t, e.do(adm), 403, "INSUFFICIENT_ROLES")
	e.user(bobID).Roles = []string{"admin"}
	e.v.InvalidateUser(bobID)
	wantAllow(t, e.do(bearer(fwd("traefik", "GET", "https://app.example.test/admin/"), bobTok)))
}

func TestAPIKeys(t *testing.T) {
	e := newEnv(t, nil)
	good, goodID, _ := e.apiKey(aliceID, []string{"read", "write"}, nil)
	revoked, _, _ := e.apiKey(aliceID, []string{"read"}, func(k *keystore.APIKey) { k.RevokedAt = t0.Add(-time.Hour) })
	expired, _, _ := e.apiKey(aliceID, []string{"read"}, func(k *keystore.APIKey) { k.ExpiresAt = t0.Add(-time.Second) })
	signOnly, _, _ := e.apiKey(aliceID, []string{"read"}, func(k *keystore.APIKey) { k.SigningRequired = true })
	inactive, _, _ := e.apiKey(carolID, []string{"read"}, nil)
	noRead, _, _ := e.apiKey(aliceID, []string{"write"}, nil)
	bobWrite, _, _ := e.apiKey(bobID, []string{"read", "write"}, nil)
	wrongSecret := good[:len(good)-4] + "AAAA"
	otherEnv := strings.Replace(good, "_prod_", "_test_", 1)
	unknown, _, _, _ := signing.GenerateAPIKey("ak", "prod")

	cases := []struct {
		name, key, path string
		viaHeader       bool
		status          int
		code            string
	}{
		{"valid bearer", good, "/api/x", false, 200, ""},
		{"valid x-api-key", good, "/api/x", true, 200, ""},
		{"wrong secret", wrongSecret, "/api/x", false, 401, "API_KEY_INVALID"},
		{"wrong env", otherEnv, "/api/x", false, 401, "API_KEY_INVALID"},
		{"unknown id", unknown, "/api/x", false, 401, "API_KEY_INVALID"},
		{"malformed", "ak_prod_short.x", "/api/x", false, 401, "API_KEY_INVALID"},
		{"malformed header", "garbage", "/api/x", true, 401, "API_KEY_INVALID"},
		{"revoked", revoked, "/api/x", false, 401, "API_KEY_REVOKED"},
		{"expired", expired, "/api/x", false, 401, "API_KEY_EXPIRED"},
		{"signing required as bearer", signOnly, "/api/x", false, 401, "API_KEY_INVALID"},
		{"owner inactive", inactive, "/api/x", false, 401, "API_KEY_INVALID"},
		{"missing scope", noRead, "/api/x", false, 403, "INSUFFICIENT_SCOPES"},
		{"scope write", good, "/write/x", true, 200, ""},
		{"roles still apply", bobWrite, "/admin/x", false, 403, "INSUFFICIENT_ROLES"},
		{"cookie-only rule", good, "/portal/x", false, 403, "AUTHORIZATION_DENIED"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := fwd("caddy", "GET", "https://app.example.test"+c.path)
			if c.viaHeader {
				req.Header.Set("X-API-Key", c.key)
			} else {
				bearer(req, c.key)
			}
			a := e.do(req)
			if c.status != 200 {
				wantDeny(t, a, c.status, c.code)
				return
			}
			h := wantAllow(t, a)
			if h.Get("Remote-Auth-Method") != "api_key" || h.Get("Remote-Api-Key-Id") != goodID ||
				h.Get("Remote-Scopes") != "read,write" || h.Get("Remote-User-Id") != aliceID {
				t.Fatalf("identity %v", h)
			}
		})
	}
	// last_used_at is written off the hot path, at most once a minute.
	deadline := time.Now().Add(2 * time.Second)
	for e.st.touchCount(goodID) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	if n := e.st.touchCount(goodID); n != 1 {
		t.Fatalf("touches = %d after requests within a minute, want 1", n)
	}
	e.clk.Advance(61 * time.Second)
	wantAllow(t, e.do(bearer(fwd("caddy", "GET", "https://app.example.test/api/x"), good)))
	for e.st.touchCount(goodID) < 2 && time.Now().Before(deadline.Add(2*time.Second)) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := e.st.touchCount(goodID); n != 2 {
		t.Fatalf("touches = %d after a minute, want 2", n)
	}
}

func TestAPIKeyScopeSubsetCheck(t *testing.T) {
	e := newEnv(t, func(o *verifier.Options) { o.ScopeSubsetCheck = true })
	// alice holds role "read" but not "write".
	raw, _, _ := e.apiKey(aliceID, []string{"read", "write"}, nil)
	h := wantAllow(t, e.do(bearer(fwd("traefik", "GET", "https://app.example.test/api/x"), raw)))
	if h.Get("Remote-Scopes") != "read" {
		t.Fatalf("scopes %q, want narrowed to read", h.Get("Remote-Scopes"))
	}
	wantDeny(t, e.do(bearer(fwd("traefik", "GET", "https://app.example.test/write/x"), raw)), 403, "INSUFFICIENT_SCOPES")
}
