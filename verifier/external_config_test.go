package verifier_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/verifier"
)

// An issuer New cannot use is reported with every other problem at once.
func TestNewRefusesUnusableExternalIssuers(t *testing.T) {
	extKeys(t)
	srv := newJWKSServer(t, publicJWK("a1", &rsaA.PublicKey))
	cases := map[string]func(c *config.ExternalIssuer){
		"own issuer":        func(c *config.ExternalIssuer) { c.Issuer = issuer },
		"no issuer":         func(c *config.ExternalIssuer) { c.Issuer = "" },
		"no audience":       func(c *config.ExternalIssuer) { c.Audiences = nil },
		"bad pointer":       func(c *config.ExternalIssuer) { c.NameClaim = "/a~x" },
		"bad required name": func(c *config.ExternalIssuer) { c.RequiredClaims = []string{"/ok", "/~"} },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil)
			o := e.opts
			c := issuerConfig(extIssA)
			mod(&c)
			o.ExternalIssuers = []verifier.ExternalIssuer{{Config: c, Keys: srv.source(t, o.Now, nil)}}
			if _, err := verifier.New(o); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	t.Run("twice", func(t *testing.T) {
		e := newEnv(t, nil)
		o := e.opts
		src := srv.source(t, o.Now, nil)
		o.ExternalIssuers = []verifier.ExternalIssuer{{Config: issuerConfig(extIssA), Keys: src}, {Config: issuerConfig(extIssA), Keys: src}}
		if _, err := verifier.New(o); err == nil {
			t.Fatal("accepted")
		}
	})
}

// Defensive defaults: an allow-list with nothing usable refuses every
// token; none and HS* never count; a zero max_lifetime is 24 h.
func TestExternalIssuerDefensiveDefaults(t *testing.T) {
	for _, c := range []struct {
		name  string
		algs  []string
		allow bool
	}{
		{"empty algorithms", nil, false},
		{"only none and HS*", []string{"none", "HS256", "HS512"}, false},
		{"lower-case rs256", []string{"rs256"}, false},
		{"RS256 among junk", []string{"none", "RS256"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := newExtEnv(t, func(a, _ *config.ExternalIssuer, _ *verifier.Options) { a.Algorithms = c.algs })
			a := x.get("/x", x.tokA())
			if (a.status == 200) != c.allow {
				t.Fatalf("status %d, want allowed=%v", a.status, c.allow)
			}
			if !c.allow {
				wantDeny(t, a, 401, "AUTHENTICATION_FAILED")
			}
		})
	}
	x := newExtEnv(t, func(a, _ *config.ExternalIssuer, _ *verifier.Options) { a.MaxLifetime = 0 })
	now := x.clk.Now()
	wantAllow(t, x.get("/x", x.tokA("exp", now.Add(23*time.Hour).Unix())))
	wantDeny(t, x.get("/x", x.tokA("exp", now.Add(25*time.Hour).Unix())), 401, "AUTHENTICATION_FAILED")
}

// TestExternalKeyFailureLogNamesIssuerNotToken: the 503 of unavailable
// keys is logged with the issuer, without the token, and not once per
// request.
func TestExternalKeyFailureLogNamesIssuerNotToken(t *testing.T) {
	var buf bytes.Buffer
	x := newExtEnv(t, func(_, _ *config.ExternalIssuer, o *verifier.Options) {
		o.Logger = zerolog.New(&buf).Level(zerolog.InfoLevel)
	})
	tok := mint(t, jwt.SigningMethodRS256, rsaA, "rotated-away", x.claims(extIssA, "sub", "secret-subject"))
	for i := 0; i < 20; i++ {
		wantDeny(t, x.get("/x", tok), 503, "TOKEN_PROCESSING_FAILED")
	}
	out := buf.String()
	if n := strings.Count(out, "\n"); n != 1 {
		t.Fatalf("%d log lines for 20 denials within 10 s:\n%s", n, out)
	}
	if !strings.Contains(out, extIssA) || !strings.Contains(out, "unknown kid") {
		t.Fatalf("log line lacks the issuer or the cause: %s", out)
	}
	for _, secret := range []string{tok, strings.Split(tok, ".")[1], "secret-subject", "rotated-away"} {
		if strings.Contains(out, secret) {
			t.Fatalf("log line contains %q: %s", secret, out)
		}
	}
	x.clk.Advance(11 * time.Second)
	wantDeny(t, x.get("/x", mint(t, jwt.SigningMethodRS256, rsaA, "rotated-away", x.claims(extIssA))), 503, "TOKEN_PROCESSING_FAILED")
	if n := strings.Count(buf.String(), "\n"); n != 2 {
		t.Fatalf("%d log lines after 10 s, want 2", n)
	}
}
