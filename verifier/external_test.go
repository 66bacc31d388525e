package verifier_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/jwks"
	"github.com/gatehouse/gatehouse/verifier"
)

// header returns the single value of an answer header, failing when it is
// absent or repeated.
func header(t testing.TB, a answer, name string) string {
	t.Helper()
	v := a.header[http.CanonicalHeaderKey(name)]
	if len(v) != 1 {
		t.Fatalf("header %s: %q, want exactly one", name, v)
	}
	return v[0]
}

func TestExternalJWTAllowedWithMappedIdentity(t *testing.T) {
	x := newExtEnv(t, func(a, b *config.ExternalIssuer, o *verifier.Options) {
		a.NameClaim = "/profile/display"
		o.Assertion = &verifier.AssertionOptions{Key: edPriv(t), KeyID: "assert1"}
	})
	rs := x.tokA("profile", map[string]any{"display": "Build Bot"}, "email", "bot@ci.example.test",
		"groups", []string{"ops", "deploy"}, "scope", "read write")
	es := mint(t, jwt.SigningMethodES256, ecA, "a-ec", x.claims(extIssA, "groups", "ops", "scope", []string{"read"}))
	cases := []struct {
		name, tok                               string
		user, name2, email, groups, scopes, iss string
	}{
		{"rs256", rs, "svc-build", "Build Bot", "bot@ci.example.test", "ops,deploy", "read,write", extIssA},
		{"es256 string groups and array scopes", es, "svc-build", "", "", "ops", "read", extIssA},
		{"issuer b", mint(t, jwt.SigningMethodRS256, rsaB, "b1", x.claims(extIssB, "sub", "job-7")), "job-7", "", "", "", "", extIssB},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for i := 0; i < 2; i++ { // a miss, then a hit of the verified-token cache
				h := wantAllow(t, x.get("/m2m/x", c.tok))
				want := map[string]string{
					"Remote-Auth-Method": "external_jwt", "Remote-User": c.user, "Remote-User-Id": "",
					"Remote-Name": c.name2, "Remote-Email": c.email, "Remote-Groups": c.groups,
					"Remote-Scopes": c.scopes, "Remote-Issuer": c.iss, "Remote-Api-Key-Id": "",
					"Gatehouse-Assertion": "",
				}
				for k, v := range want {
					if got := h.Values(k); len(got) != 1 || got[0] != v {
						t.Fatalf("round %d: %s = %q, want %q", i, k, got, v)
					}
				}
			}
		})
	}
}

// TestRemoteIssuerEmptyForOtherCredentials: every allow carries
// Remote-Issuer, empty unless the credential is an external token, so a
// proxy that copies it overwrites whatever the client sent.
func TestRemoteIssuerEmptyForOtherCredentials(t *testing.T) {
	for _, withExternal := range []bool{false, true} {
		var e *env
		if withExternal {
			e = newExtEnv(t, nil).env
		} else {
			e = newEnv(t, nil)
		}
		raw, _, _ := e.apiKey(aliceID, []string{"read"}, nil)
		reqs := map[string]func() answer{
			"own jwt": func() answer {
				return e.do(spoof(bearer(fwd("nginx", "GET", "https://app.example.test/x"), e.jwt(aliceID))))
			},
			"cookie": func() answer {
				return e.do(spoof(withCookie(fwd("traefik", "GET", "https://app.example.test/x"), e.session(aliceID, nil))))
			},
			"api key": func() answer { return e.do(spoof(bearer(fwd("caddy", "GET", "https://app.example.test/x"), raw))) },
			"bypass":  func() answer { return e.do(spoof(fwd("envoy", "GET", "https://app.example.test/public/x"))) },
			"own jwt2": func() answer {
				return e.do(spoof(bearer(fwd("haproxy", "GET", "https://app.example.test/x"), e.jwt(rootID))))
			},
		}
		for name, do := range reqs {
			a := do()
			wantAllow(t, a)
			if got := header(t, a, "Remote-Issuer"); got != "" {
				t.Fatalf("external=%v %s: Remote-Issuer %q, want empty", withExternal, name, got)
			}
		}
	}
}

func spoof(r *fasthttpRequest) *fasthttpRequest {
	r.Header.Set("Remote-Issuer", extIssA)
	return r
}

// TestExternalJWTHostileTokens: every way a token of (or posing as) an
// external issuer can be wrong, with the answer it gets.
func TestExternalJWTHostileTokens(t *testing.T) {
	x := newExtEnv(t, func(a, b *config.ExternalIssuer, o *verifier.Options) {
		a.RequiredClaims = []string{"jti", "/ctx/run"}
	})
	now := x.clk.Now()
	base := func(kv ...any) jwt.MapClaims {
		return x.claims(extIssA, append([]any{"ctx", map[string]any{"run": 1}}, kv...)...)
	}
	rs := func(kv ...any) string { return mint(t, jwt.SigningMethodRS256, rsaA, "a1", base(kv...)) }
	pubDER, err := x509.MarshalPKIXPublicKey(&rsaA.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, base()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	const ok, e401, e503 = 200, 401, 503
	cases := []struct {
		name   string
		tok    string
		status int
	}{
		{"valid control", rs(), ok},
		{"valid es256", mint(t, jwt.SigningMethodES256, ecA, "a-ec", base()), ok},
		{"valid eddsa", mint(t, jwt.SigningMethodEdDSA, edA, "a-ed", base()), ok},
		{"eddsa on the RSA kid", mint(t, jwt.SigningMethodEdDSA, edA, "a1", base()), e401},
		{"alg confusion: HS256 keyed with the RSA public key (DER)", mint(t, jwt.SigningMethodHS256, pubDER, "a1", base()), e401},
		{"alg confusion: HS256 keyed with the RSA public key (PEM)", mint(t, jwt.SigningMethodHS256, pubPEM, "a1", base()), e401},
		{"alg none", none, e401},
		{"alg none with kid", strings.Replace(none, strings.SplitN(none, ".", 2)[0], b64url(`{"alg":"none","kid":"a1","typ":"JWT"}`), 1), e401},
		{"alg outside the allow-list (RS384)", mint(t, jwt.SigningMethodRS384, rsaA, "a1", base()), e401},
		{"alg not fitting the key (ES256 on the RSA kid)", mint(t, jwt.SigningMethodES256, ecA, "a1", base()), e401},
		{"unknown kid", mint(t, jwt.SigningMethodRS256, rsaA, "zz", base()), e503},
		{"no kid while the set has several keys", mint(t, jwt.SigningMethodRS256, rsaA, "", base()), e401},
		{"key of another issuer (B's kid, unknown to A)", mint(t, jwt.SigningMethodRS256, rsaB, "b1", base()), e503},
		{"issuer spoofing: iss A, A's kid, signed with B's key", mint(t, jwt.SigningMethodRS256, rsaB, "a1", base()), e401},
		{"issuer spoofing: iss A, signed by B as B", mint(t, jwt.SigningMethodRS256, rsaB, "b1", x.claims(extIssA)), e503},
		{"wrong aud", rs("aud", []string{"https://elsewhere.example"}), e401},
		{"aud as a single string", rs("aud", "other-aud"), ok},
		{"aud missing", rs("aud", nil), e401},
		{"aud of the wrong type", rs("aud", 7), e401},
		{"expired", rs("iat", now.Add(-2*time.Hour).Unix(), "nbf", nil, "exp", now.Add(-time.Hour).Unix()), e401},
		{"expired within the leeway", rs("iat", now.Add(-time.Hour).Unix(), "exp", now.Add(-10*time.Second).Unix()), ok},
		{"exp missing", rs("exp", nil), e401},
		{"exp not a number", rs("exp", "tomorrow"), e401},
		{"nbf in the future", rs("nbf", now.Add(5*time.Minute).Unix()), e401},
		{"nbf within the leeway", rs("nbf", now.Add(10*time.Second).Unix()), ok},
		{"iat in the future", rs("iat", now.Add(5*time.Minute).Unix()), e401},
		{"lifetime over max_lifetime", rs("exp", now.Add(25*time.Hour).Unix()), e401},
		{"iat missing with max_lifetime", rs("iat", nil), e401},
		{"oversized token", rs("pad", strings.Repeat("x", 5000)), e401},
		{"typ JWT", mint(t, jwt.SigningMethodRS256, rsaA, "a1", base(), "typ", "JWT"), ok},
		{"typ absent", mint(t, jwt.SigningMethodRS256, rsaA, "a1", base(), "typ", nil), ok},
		{"typ at+jwt", mint(t, jwt.SigningMethodRS256, rsaA, "a1", base(), "typ", "at+jwt"), ok},
		{"typ application/AT+JWT", mint(t, jwt.SigningMethodRS256, rsaA, "a1", base(), "typ", "application/AT+JWT"), ok},
		{"typ wrong", mint(t, jwt.SigningMethodRS256, rsaA, "a1", base(), "typ", "dpop+jwt"), e401},
		{"typ not a string", mint(t, jwt.SigningMethodRS256, rsaA, "a1", base(), "typ", 1), e401},
		{"crit", mint(t, jwt.SigningMethodRS256, rsaA, "a1", base(), "crit", []string{"exp"}), e401},
		{"kid not a string", mint(t, jwt.SigningMethodRS256, rsaA, "", base(), "kid", 1), e401},
		{"required claim missing", rs("jti", nil), e401},
		{"required nested claim missing", rs("ctx", map[string]any{"other": 1}), e401},
		{"subject missing", rs("sub", nil), e401},
		{"subject not a string", rs("sub", 12), e401},
		{"subject with a control character", rs("sub", "svc\r\nRemote-User: admin"), e401},
		{"subject too long", rs("sub", strings.Repeat("s", 300)), e401},
		{"group with a comma", rs("groups", []string{"ops,admin"}), e401},
		{"group not a string", rs("groups", []any{"ops", 1}), e401},
		{"name with a control character", rs("name", "a\x00b"), e401},
		{"email not a string", rs("email", true), e401},
		{"tampered payload", tamper(rs()), e401},
		{"unknown issuer", mint(t, jwt.SigningMethodRS256, rsaA, "a1", x.claims("https://evil.example.test")), e401},
		{"issuer differing only in a trailing slash", mint(t, jwt.SigningMethodRS256, rsaA, "a1", x.claims(extIssA+"/")), e401},
		{"no iss goes to the own verifier", rs("iss", nil), e401},
		{"own issuer goes to the own verifier", x.jwt(aliceID), ok},
		{"own issuer claimed by an external key", mint(t, jwt.SigningMethodRS256, rsaA, "a1", x.claims(issuer)), e401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := x.get("/x", c.tok)
			switch c.status {
			case ok:
				wantAllow(t, a)
			case e401:
				wantDeny(t, a, 401, "AUTHENTICATION_FAILED")
			case e503:
				wantDeny(t, a, 503, "TOKEN_PROCESSING_FAILED")
			}
		})
	}
	// The own-issuer token was checked by the own verifier.
	if h := wantAllow(t, x.get("/x", x.jwt(aliceID))); h.Get("Remote-Auth-Method") != "jwt" || h.Get("Remote-User-Id") != aliceID {
		t.Fatalf("own token answered %v", h)
	}
}

func b64url(s string) string {
	return strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(stdB64(s)), "=")
}

// tamper changes the payload's sub after signing.
func tamper(tok string) string {
	p := strings.Split(tok, ".")
	raw, _ := decodeSeg(p[1])
	p[1] = b64url(strings.Replace(string(raw), `"svc-build"`, `"svc-admin"`, 1))
	return strings.Join(p, ".")
}

// TestExternalJWTFailsClosedWithoutKeys: a key source that never got a set
// (the JWKS endpoint answers more than max_bytes, or hangs past the
// timeout) refuses every token of that issuer with 503.
func TestExternalJWTFailsClosedWithoutKeys(t *testing.T) {
	cases := map[string]func(s *jwksServer){
		"jwks over the size limit": func(s *jwksServer) {
			s.raw = []byte(`{"keys":[` + strings.Repeat(" ", 4096) + `]}`)
		},
		"jwks that hangs": func(s *jwksServer) { s.hang = true },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			extKeys(t)
			srv := newJWKSServer(t, publicJWK("a1", &rsaA.PublicKey))
			srv.set(mod)
			var src *jwks.Source
			e := newEnv(t, func(o *verifier.Options) {
				src = srv.source(t, o.Now, func(jo *jwks.Options) { jo.MaxBody = 1024; jo.Timeout = 200 * time.Millisecond })
				o.ExternalIssuers = []verifier.ExternalIssuer{{Config: issuerConfig(extIssA), Keys: src}}
			})
			if err := src.Refresh(context.Background()); err == nil {
				t.Fatal("the refresh succeeded")
			}
			x := &extEnv{env: e}
			wantDeny(t, x.get("/x", x.tokA()), 503, "TOKEN_PROCESSING_FAILED")
			wantDeny(t, x.get("/x", mint(t, jwt.SigningMethodRS256, rsaA, "", x.claims(extIssA))), 503, "TOKEN_PROCESSING_FAILED")
		})
	}
}
