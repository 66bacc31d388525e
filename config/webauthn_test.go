package config_test

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestWebAuthnDefaultsFollowCookieDomainAndPublicURL pins the defaults
// and the effective RP ID and origins.
func TestWebAuthnDefaultsFollowCookieDomainAndPublicURL(t *testing.T) {
	c := load(t, prodYAML(t))
	w := c.WebAuthn
	if !w.Enabled || w.RPName != "gatehouse" || w.CeremonyTimeout != 5*time.Minute || w.RPID != "" {
		t.Fatalf("defaults %+v", w)
	}
	if got := c.WebAuthnRPID(); got != "example.com" {
		t.Fatalf("rp id %q, want the cookie domain", got)
	}
	if got := c.WebAuthnOrigins(); !slices.Equal(got, []string{"https://auth.example.com"}) {
		t.Fatalf("origins %q", got)
	}
	if !c.WebAuthnUsable() {
		t.Fatal("not usable")
	}
	c = load(t, strings.Replace(prodYAML(t), "cookie: {domain: example.com}\n", "", 1)+
		"webauthn: {extra_origins: ['https://app.auth.example.com']}\n")
	if got := c.WebAuthnRPID(); got != "auth.example.com" {
		t.Fatalf("rp id %q, want public_url's host", got)
	}
	if got := c.WebAuthnOrigins(); !slices.Equal(got, []string{"https://auth.example.com", "https://app.auth.example.com"}) {
		t.Fatalf("origins %q", got)
	}
	// The zero configuration on 127.0.0.1 has passkeys off, silently.
	z := load(t, "")
	if z.WebAuthnUsable() {
		t.Fatal("passkeys usable on an IP address")
	}
}

// TestValidateWebAuthn refuses RP IDs outside public_url's host and
// origins that are not https or not within the RP ID.
func TestValidateWebAuthn(t *testing.T) {
	cases := []struct {
		name, yml, path string
		ok              bool
	}{
		{"rp id is the host", "webauthn: {rp_id: auth.example.com}", "", true},
		{"rp id is a parent domain", "webauthn: {rp_id: example.com}", "", true},
		{"rp id elsewhere", "webauthn: {rp_id: evil.com}", "webauthn.rp_id", false},
		{"rp id a sibling", "webauthn: {rp_id: other.example.com}", "webauthn.rp_id", false},
		{"rp id suffix trick", "webauthn: {rp_id: ample.com}", "webauthn.rp_id", false},
		{"rp id upper case", "webauthn: {rp_id: Example.com}", "webauthn.rp_id", false},
		{"rp id leading dot", "webauthn: {rp_id: .example.com}", "webauthn.rp_id", false},
		{"rp id a single label", "webauthn: {rp_id: com}", "webauthn.rp_id", false},
		{"rp id an url", "webauthn: {rp_id: 'https://example.com'}", "webauthn.rp_id", false},
		{"origin https within", "webauthn: {extra_origins: ['https://app.example.com:8443']}", "", true},
		{"origin http", "webauthn: {extra_origins: ['http://app.example.com']}", "webauthn.extra_origins[0]", false},
		{"origin http loopback in production", "webauthn: {rp_id: example.com, extra_origins: ['http://localhost:8080']}", "webauthn.extra_origins[0]", false},
		{"origin outside rp id", "webauthn: {extra_origins: ['https://evil.com']}", "webauthn.extra_origins[0]", false},
		{"origin with path", "webauthn: {extra_origins: ['https://app.example.com/x']}", "webauthn.extra_origins[0]", false},
		{"origin not a url", "webauthn: {extra_origins: ['app.example.com']}", "webauthn.extra_origins[0]", false},
		{"timeout zero", "webauthn: {ceremony_timeout: 0s}", "webauthn.ceremony_timeout", false},
		{"timeout too long", "webauthn: {ceremony_timeout: 2h}", "webauthn.ceremony_timeout", false},
		{"rp name empty", "webauthn: {rp_name: ''}", "webauthn.rp_name", false},
		{"rp name control", "webauthn: {rp_name: \"a\\nb\"}", "webauthn.rp_name", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := load(t, prodYAML(t)+tc.yml+"\n")
			ps := problems(t, c.Validate())
			if tc.ok {
				if len(ps) != 0 {
					t.Fatalf("problems: %v", ps)
				}
				return
			}
			for _, p := range ps {
				if p.Path == tc.path && !p.Warning {
					return
				}
			}
			t.Fatalf("no error at %s: %v", tc.path, ps)
		})
	}
}

// TestValidateWebAuthnDevelopmentLoopbackOrigin: http on loopback is an
// origin in development only.
func TestValidateWebAuthnDevelopmentLoopbackOrigin(t *testing.T) {
	c := load(t, "public_url: http://localhost:9092\nwebauthn: {extra_origins: ['http://localhost:3000']}\n")
	for _, p := range problems(t, c.Validate()) {
		if strings.HasPrefix(p.Path, "webauthn") {
			t.Fatalf("problem %v", p)
		}
	}
	if !c.WebAuthnUsable() || c.WebAuthnRPID() != "localhost" {
		t.Fatalf("localhost not usable: %q", c.WebAuthnRPID())
	}
}
