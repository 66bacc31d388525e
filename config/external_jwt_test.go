package config_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/jwks"
)

// externalProblems returns the problems under external_jwt.
func externalProblems(ps []config.Problem) []config.Problem {
	var out []config.Problem
	for _, p := range ps {
		if strings.HasPrefix(p.Path, "external_jwt") {
			out = append(out, p)
		}
	}
	return out
}

// TestValidateExternalJWT: every mistake in external_jwt.issuers is an
// error at its own path, and the good shapes (generic, both presets,
// loopback http in development) pass.
func TestValidateExternalJWT(t *testing.T) {
	const gen = "{issuer: https://idp.example.com, discovery: true, audiences: [api]}"
	good := []struct{ name, issuers string }{
		{"generic with discovery", gen},
		{"generic with jwks_url", "{issuer: https://idp.example.com/tenant/, jwks_url: 'https://idp.example.com/keys?v=2', audiences: [api, other]}"},
		{"github-actions preset", "{preset: github-actions, audiences: ['https://github.com/acme']}"},
		{"kubernetes preset", "{preset: kubernetes, issuer: 'https://kubernetes.default.svc.cluster.local', audiences: [gatehouse]}"},
		{"loopback http in development", "{issuer: 'http://127.0.0.1:8080', jwks_url: 'http://localhost:8080/jwks', audiences: [api]}"},
		{"written zero leeway", "{issuer: https://idp.example.com, discovery: true, audiences: [api], leeway: 0s}"},
		{"every key", `{issuer: https://idp.example.com, discovery: true, audiences: [api], algorithms: [PS256, ES384, RS512],
		   leeway: 5m, max_lifetime: 1h, required_claims: [client_id, /ext/tenant~1id], subject_claim: client_id, name_claim: name,
		   email_claim: email, groups_claim: /realm_access/roles, scopes_claim: scope,
		   jwks: {min_ttl: 1m, max_ttl: 1m, stale_for: 1s, timeout: 60s, max_bytes: 1024}}`},
		{"two issuers", gen + ", {preset: github-actions, audiences: [x]}"},
	}
	for _, tc := range good {
		t.Run("good/"+tc.name, func(t *testing.T) {
			c := load(t, "external_jwt: {issuers: ["+tc.issuers+"]}\n")
			if ps := externalProblems(problems(t, c.Validate())); len(ps) > 0 {
				t.Errorf("valid issuers flagged:%s", dump(ps))
			}
		})
	}

	bad := []struct {
		name, issuers string
		prod          bool
		path, msg     string // msg: a part of the message, "" for any
	}{
		{"unknown preset", "{preset: gitlab, issuer: https://gitlab.com, discovery: true, audiences: [a]}", false, "external_jwt.issuers[0].preset", "gitlab"},
		{"issuer missing", "{discovery: true, audiences: [a]}", false, "external_jwt.issuers[0].issuer", "required"},
		{"kubernetes issuer missing", "{preset: kubernetes, audiences: [a]}", false, "external_jwt.issuers[0].issuer", "service-account-issuer"},
		{"issuer not absolute", "{issuer: idp.example.com, discovery: true, audiences: [a]}", false, "external_jwt.issuers[0].issuer", ""},
		{"issuer http off loopback", "{issuer: 'http://idp.example.com', discovery: true, audiences: [a]}", false, "external_jwt.issuers[0].issuer", "https"},
		{"issuer loopback http in production", "{issuer: 'http://127.0.0.1:8080', discovery: true, audiences: [a]}", true, "external_jwt.issuers[0].issuer", "https"},
		{"issuer with a query", "{issuer: 'https://idp.example.com/?x=1', discovery: true, audiences: [a]}", false, "external_jwt.issuers[0].issuer", "query"},
		{"issuer with a fragment", "{issuer: 'https://idp.example.com/#x', discovery: true, audiences: [a]}", false, "external_jwt.issuers[0].issuer", "fragment"},
		{"issuer ftp", "{issuer: 'ftp://idp.example.com', discovery: true, audiences: [a]}", false, "external_jwt.issuers[0].issuer", "scheme"},
		{"own issuer", "{issuer: 'https://auth.example.com/', discovery: true, audiences: [a]}", true, "external_jwt.issuers[0].issuer", "own"},
		{"duplicate issuer", gen + "," + gen, false, "external_jwt.issuers[1].issuer", "also"},
		{"discovery and jwks_url", "{issuer: https://idp.example.com, discovery: true, jwks_url: https://idp.example.com/k, audiences: [a]}", false, "external_jwt.issuers[0].jwks_url", "not both"},
		{"neither discovery nor jwks_url", "{issuer: https://idp.example.com, audiences: [a]}", false, "external_jwt.issuers[0].discovery", ""},
		{"preset with discovery turned off and no jwks_url", "{preset: github-actions, discovery: false, audiences: [a]}", false, "external_jwt.issuers[0].discovery", ""},
		{"jwks_url http off loopback", "{issuer: https://idp.example.com, jwks_url: 'http://idp.example.com/k', audiences: [a]}", false, "external_jwt.issuers[0].jwks_url", "https"},
		{"jwks_url with userinfo", "{issuer: https://idp.example.com, jwks_url: 'https://u:pw@idp.example.com/k', audiences: [a]}", false, "external_jwt.issuers[0].jwks_url", "userinfo"},
		{"no audiences", "{issuer: https://idp.example.com, discovery: true}", false, "external_jwt.issuers[0].audiences", "at least one"},
		{"empty audience", "{issuer: https://idp.example.com, discovery: true, audiences: [a, ' ']}", false, "external_jwt.issuers[0].audiences[1]", "empty"},
		{"duplicate audience", "{issuer: https://idp.example.com, discovery: true, audiences: [a, a]}", false, "external_jwt.issuers[0].audiences[1]", "twice"},
		{"alg none", "{issuer: https://idp.example.com, discovery: true, audiences: [a], algorithms: [none]}", false, "external_jwt.issuers[0].algorithms[0]", "unsigned"},
		{"alg HS256", "{issuer: https://idp.example.com, discovery: true, audiences: [a], algorithms: [RS256, HS256]}", false, "external_jwt.issuers[0].algorithms[1]", "HMAC"},
		{"alg lower case", "{issuer: https://idp.example.com, discovery: true, audiences: [a], algorithms: [rs256]}", false, "external_jwt.issuers[0].algorithms[0]", "RS256"},
		{"alg ES512 unsupported", "{issuer: https://idp.example.com, discovery: true, audiences: [a], algorithms: [ES512]}", false, "external_jwt.issuers[0].algorithms[0]", "not one of"},
		{"alg duplicate", "{issuer: https://idp.example.com, discovery: true, audiences: [a], algorithms: [RS256, RS256]}", false, "external_jwt.issuers[0].algorithms[1]", "twice"},
		{"leeway negative", "{issuer: https://idp.example.com, discovery: true, audiences: [a], leeway: -1s}", false, "external_jwt.issuers[0].leeway", ""},
		{"leeway too long", "{issuer: https://idp.example.com, discovery: true, audiences: [a], leeway: 6m}", false, "external_jwt.issuers[0].leeway", "5m"},
		{"max_lifetime zero", "{issuer: https://idp.example.com, discovery: true, audiences: [a], max_lifetime: 0s}", false, "external_jwt.issuers[0].max_lifetime", "positive"},
		{"max_lifetime over a year", "{issuer: https://idp.example.com, discovery: true, audiences: [a], max_lifetime: 9000h}", false, "external_jwt.issuers[0].max_lifetime", ""},
		{"min_ttl over max_ttl", "{issuer: https://idp.example.com, discovery: true, audiences: [a], jwks: {min_ttl: 2h, max_ttl: 1h}}", false, "external_jwt.issuers[0].jwks.max_ttl", "min_ttl"},
		{"min_ttl zero", "{issuer: https://idp.example.com, discovery: true, audiences: [a], jwks: {min_ttl: 0s}}", false, "external_jwt.issuers[0].jwks.min_ttl", ""},
		{"max_ttl over a week", "{issuer: https://idp.example.com, discovery: true, audiences: [a], jwks: {max_ttl: 200h}}", false, "external_jwt.issuers[0].jwks.max_ttl", ""},
		{"stale_for zero", "{issuer: https://idp.example.com, discovery: true, audiences: [a], jwks: {stale_for: 0s}}", false, "external_jwt.issuers[0].jwks.stale_for", "default"},
		{"stale_for negative", "{issuer: https://idp.example.com, discovery: true, audiences: [a], jwks: {stale_for: -1m}}", false, "external_jwt.issuers[0].jwks.stale_for", ""},
		{"timeout zero", "{issuer: https://idp.example.com, discovery: true, audiences: [a], jwks: {timeout: 0s}}", false, "external_jwt.issuers[0].jwks.timeout", ""},
		{"timeout over a minute", "{issuer: https://idp.example.com, discovery: true, audiences: [a], jwks: {timeout: 61s}}", false, "external_jwt.issuers[0].jwks.timeout", ""},
		{"max_bytes under 1 KiB", "{issuer: https://idp.example.com, discovery: true, audiences: [a], jwks: {max_bytes: 1023}}", false, "external_jwt.issuers[0].jwks.max_bytes", ""},
		{"max_bytes over 8 MiB", "{issuer: https://idp.example.com, discovery: true, audiences: [a], jwks: {max_bytes: 8388609}}", false, "external_jwt.issuers[0].jwks.max_bytes", ""},
		{"subject_claim bad pointer", "{issuer: https://idp.example.com, discovery: true, audiences: [a], subject_claim: '/a//b'}", false, "external_jwt.issuers[0].subject_claim", "empty segment"},
		{"name_claim bad escape", "{issuer: https://idp.example.com, discovery: true, audiences: [a], name_claim: '/a/~2'}", false, "external_jwt.issuers[0].name_claim", "~"},
		{"groups_claim control character", "{issuer: https://idp.example.com, discovery: true, audiences: [a], groups_claim: \"gr\\toups\"}", false, "external_jwt.issuers[0].groups_claim", "control"},
		{"scopes_claim trailing slash", "{issuer: https://idp.example.com, discovery: true, audiences: [a], scopes_claim: '/scp/'}", false, "external_jwt.issuers[0].scopes_claim", ""},
		{"required claim empty", "{issuer: https://idp.example.com, discovery: true, audiences: [a], required_claims: [azp, '']}", false, "external_jwt.issuers[0].required_claims[1]", "empty"},
		{"second issuer named by its index", gen + ", {issuer: https://other.example.com, discovery: true, audiences: []}", false, "external_jwt.issuers[1].audiences", ""},
	}
	for _, tc := range bad {
		t.Run("bad/"+tc.name, func(t *testing.T) {
			yml := "external_jwt: {issuers: [" + tc.issuers + "]}\n"
			if tc.prod {
				yml = prodYAML(t) + yml
			}
			c := load(t, yml)
			ps := problems(t, c.Validate())
			if !hasError(ps, tc.path) {
				t.Fatalf("no error at %s:%s", tc.path, dump(ps))
			}
			if tc.msg != "" && !strings.Contains(dump(find(ps, tc.path)), tc.msg) {
				t.Errorf("message at %s lacks %q:%s", tc.path, tc.msg, dump(find(ps, tc.path)))
			}
			if strings.Contains(dump(ps), "pw@") {
				t.Errorf("a message shows the URL's password:%s", dump(ps))
			}
		})
	}
}

// TestExternalAlgorithmProblem: none and HS* are refused with a reason,
// every algorithm of the allow-list passes.
func TestExternalAlgorithmProblem(t *testing.T) {
	for _, alg := range config.ExternalAlgorithms {
		if msg := config.ExternalAlgorithmProblem(alg); msg != "" {
			t.Errorf("%s refused: %s", alg, msg)
		}
	}
	for alg, want := range map[string]string{
		"": "empty", "none": "unsigned", "NONE": "unsigned", "HS256": "HMAC", "hs512": "HMAC",
		"Es256": "write", "ES512": "not one of", "RSA-OAEP": "not one of",
	} {
		if msg := config.ExternalAlgorithmProblem(alg); !strings.Contains(msg, want) {
			t.Errorf("ExternalAlgorithmProblem(%q) = %q, want it to say %q", alg, msg, want)
		}
	}
}

// TestExternalJWTPresetsAndDefaults: each preset fills what it knows,
// every issuer gets the defaults, and whatever the file writes (a zero
// included) wins over both.
func TestExternalJWTPresetsAndDefaults(t *testing.T) {
	defaultJWKS := config.JWKSFetch{
		MinTTL: jwks.DefaultMinTTL, MaxTTL: jwks.DefaultMaxTTL, StaleFor: jwks.DefaultStaleFor,
		Timeout: jwks.DefaultTimeout, MaxBytes: jwks.DefaultMaxBody,
	}
	if defaultJWKS != (config.JWKSFetch{MinTTL: 5 * time.Minute, MaxTTL: 24 * time.Hour, StaleFor: time.Hour, Timeout: 5 * time.Second, MaxBytes: 256 << 10}) {
		t.Fatalf("internal/jwks defaults changed; update config/reference.md: %+v", defaultJWKS)
	}
	base := func(e config.ExternalIssuer) config.ExternalIssuer {
		e.Leeway, e.MaxLifetime, e.JWKS = 30*time.Second, 24*time.Hour, defaultJWKS
		if e.SubjectClaim == "" {
			e.SubjectClaim = "sub"
		}
		return e
	}
	cases := []struct {
		name, issuer string
		want         config.ExternalIssuer
	}{
		{"github-actions", "{preset: github-actions, audiences: [x]}", base(config.ExternalIssuer{
			Preset: "github-actions", Issuer: "https://token.actions.githubusercontent.com", Discovery: true,
			Audiences: []string{"x"}, Algorithms: []string{"RS256"},
		})},
		{"github-actions with jwks_url", "{preset: github-actions, jwks_url: 'https://token.actions.githubusercontent.com/.well-known/jwks', audiences: [x]}", base(config.ExternalIssuer{
			Preset: "github-actions", Issuer: "https://token.actions.githubusercontent.com",
			JWKSURL: "https://token.actions.githubusercontent.com/.well-known/jwks", Audiences: []string{"x"}, Algorithms: []string{"RS256"},
		})},
		{"github-actions written over", "{preset: github-actions, issuer: 'https://token.actions.githubusercontent.com/acme', audiences: [x], algorithms: [ES256], subject_claim: repository, leeway: 0s, jwks: {max_bytes: 2048}}", func() config.ExternalIssuer {
			e := base(config.ExternalIssuer{
				Preset: "github-actions", Issuer: "https://token.actions.githubusercontent.com/acme", Discovery: true,
				Audiences: []string{"x"}, Algorithms: []string{"ES256"}, SubjectClaim: "repository",
			})
			e.Leeway, e.JWKS.MaxBytes = 0, 2048
			return e
		}()},
		{"github-actions with discovery written false", "{preset: github-actions, discovery: false, audiences: [x]}", base(config.ExternalIssuer{
			Preset: "github-actions", Issuer: "https://token.actions.githubusercontent.com",
			Audiences: []string{"x"}, Algorithms: []string{"RS256"},
		})},
		{"kubernetes", "{preset: kubernetes, audiences: [x]}", base(config.ExternalIssuer{
			Preset: "kubernetes", Discovery: true, Audiences: []string{"x"},
			Algorithms: []string{"RS256", "ES256"}, NameClaim: "/kubernetes.io/serviceaccount/name",
		})},
		{"kubernetes written over", "{preset: kubernetes, issuer: 'https://k8s.example.com', audiences: [x], name_claim: /kubernetes.io/pod/name, max_lifetime: 2h}", func() config.ExternalIssuer {
			e := base(config.ExternalIssuer{
				Preset: "kubernetes", Issuer: "https://k8s.example.com", Discovery: true, Audiences: []string{"x"},
				Algorithms: []string{"RS256", "ES256"}, NameClaim: "/kubernetes.io/pod/name",
			})
			e.MaxLifetime = 2 * time.Hour
			return e
		}()},
		{"no preset", "{issuer: 'https://idp.example.com', audiences: [x]}", base(config.ExternalIssuer{
			Issuer: "https://idp.example.com", Audiences: []string{"x"}, Algorithms: []string{"RS256", "ES256", "EdDSA"},
		})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := load(t, "external_jwt: {issuers: ["+tc.issuer+"]}\n")
			if got := c.ExternalJWT.Issuers[0]; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
	t.Run("ApplyDefaults in code matches Load", func(t *testing.T) {
		e := config.ExternalIssuer{Preset: config.PresetKubernetes, Audiences: []string{"x"}}
		e.ApplyDefaults()
		if want := load(t, "external_jwt: {issuers: [{preset: kubernetes, audiences: [x]}]}\n").ExternalJWT.Issuers[0]; !reflect.DeepEqual(e, want) {
			t.Errorf("ApplyDefaults %+v\nLoad          %+v", e, want)
		}
	})
	t.Run("aliases count as written", func(t *testing.T) {
		c := load(t, "external_jwt: {issuers: [{issuer: https://a.example.com, audiences: [a], leeway: &z 0s}, {issuer: https://b.example.com, audiences: [a], leeway: *z}]}\n")
		if c.ExternalJWT.Issuers[1].Leeway != 0 {
			t.Errorf("leeway = %s, want the written 0s", c.ExternalJWT.Issuers[1].Leeway)
		}
	})
}

// TestValidateRuleClaims: rule claims and issuers are checked, and a rule
// only an external token can meet is refused when it also asks for what
// such a token cannot have.
func TestValidateRuleClaims(t *testing.T) {
	const issuers = "external_jwt: {issuers: [{preset: github-actions, audiences: [gatehouse]}, {preset: kubernetes, issuer: 'https://k8s.example.com', audiences: [gatehouse]}]}\n"
	const gh = "https://token.actions.githubusercontent.com"
	good := `rules:
  - paths: [=/deploy]
    methods: [POST]
    policy: authenticated
    credentials: [external_jwt]
    issuers: [` + gh + `]
    claims:
      sub: repo:acme/deploy:ref:refs/heads/main
      ref: ["refs/heads/main", "~^refs/tags/v[0-9]+$"]
      /kubernetes.io/namespace: [prod, staging]
  - {paths: [/api/], policy: authenticated, claims: {aud: gatehouse}}
  - {paths: [/k8s/], policy: authenticated, credentials: [external_jwt, api_key], issuers: ['https://k8s.example.com', ` + gh + `], claims: {/kubernetes.io/namespace: ci, repository_owner: acme}}
  - {paths: [/any/], policy: authenticated, credentials: [api_key, cookie]}
  - {paths: [/staff/], policy: authenticated, roles_all: [staff]}
  - {paths: [/users/], policy: authenticated, credentials: [cookie, jwt], roles_any: [admin]}
`
	if ps := problems(t, load(t, issuers+good).Validate()); len(ps) > 0 {
		for _, p := range ps {
			if strings.HasPrefix(p.Path, "rules") {
				t.Errorf("valid rule flagged: %s", p)
			}
		}
	}
	manyClaims := "{"
	for i := 0; i < 33; i++ {
		manyClaims += "c" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ": x, "
	}
	manyClaims += "}"
	cases := []struct {
		name, cfg, rule string
		path            string
		warning         bool
	}{
		{"bad claim pointer", issuers, "{policy: authenticated, claims: {'/a//b': x}}", "rules[0].claims", false},
		{"control character in claim name", issuers, "{policy: authenticated, claims: {\"s\\x01ub\": x}}", "rules[0].claims", false},
		{"no values", issuers, "{policy: authenticated, claims: {sub: []}}", "rules[0].claims.sub", false},
		{"empty value", issuers, "{policy: authenticated, claims: {sub: [a, '']}}", "rules[0].claims.sub[1]", false},
		{"regex does not compile", issuers, "{policy: authenticated, claims: {sub: '~^(x$'}}", "rules[0].claims.sub[0]", false},
		{"empty regex", issuers, "{policy: authenticated, claims: {sub: '~'}}", "rules[0].claims.sub[0]", false},
		{"unanchored regex", issuers, "{policy: authenticated, claims: {sub: '~repo:acme/deploy'}}", "rules[0].claims.sub[0]", true},
		{"too many claims", issuers, "{policy: authenticated, claims: " + manyClaims + "}", "rules[0].claims", false},
		{"issuer not configured", issuers, "{policy: authenticated, issuers: ['https://evil.example.com']}", "rules[0].issuers[0]", false},
		{"issuer listed twice", issuers, "{policy: authenticated, issuers: [" + gh + ", " + gh + "]}", "rules[0].issuers[1]", false},
		{"empty issuer", issuers, "{policy: authenticated, issuers: ['']}", "rules[0].issuers[0]", false},
		{"claims without external_jwt among credentials", issuers, "{policy: authenticated, credentials: [jwt, api_key], claims: {sub: x}}", "rules[0].credentials", false},
		{"issuers without external_jwt among credentials", issuers, "{policy: authenticated, credentials: [cookie], issuers: [" + gh + "]}", "rules[0].credentials", false},
		{"claims with roles", issuers, "{policy: authenticated, claims: {sub: x}, roles_any: [admin]}", "rules[0].roles_any", false},
		{"issuers with superuser", issuers, "{policy: authenticated, issuers: [" + gh + "], superuser: true}", "rules[0].superuser", false},
		{"external_jwt only with step_up", issuers, "{policy: authenticated, credentials: [external_jwt], step_up: 5m}", "rules[0].step_up", false},
		{"external_jwt only with require_totp", issuers, "{policy: authenticated, credentials: [external_jwt], require_totp: true}", "rules[0].require_totp", false},
		{"claims with verified_email", issuers, "{policy: authenticated, claims: {sub: x}, verified_email: true}", "rules[0].verified_email", false},
		{"claims on deny", issuers, "{paths: [/x], policy: deny, claims: {sub: x}}", "rules[0].claims", false},
		{"issuers on bypass", issuers, "{paths: [/x], policy: bypass, issuers: [" + gh + "]}", "rules[0].issuers", false},
		{"external_jwt with no issuers configured", "", "{policy: authenticated, credentials: [external_jwt]}", "rules[0]", true},
		{"claims with no issuers configured", "", "{policy: authenticated, claims: {sub: x}}", "rules[0]", true},
		{"github-actions tokens of any repository admitted", issuers, "{paths: [/x], policy: authenticated}", "rules[0]", true},
		{"github-actions issuer named without claims", issuers, "{paths: [/x], policy: authenticated, credentials: [external_jwt], issuers: [" + gh + "]}", "rules[0]", true},
		{"kubernetes service accounts all admitted", issuers, "{paths: [/x], policy: authenticated, issuers: ['https://k8s.example.com']}", "rules[0]", true},
		{"default_policy authenticated admits github-actions tokens", issuers + "default_policy: authenticated\n", "{paths: [/x], policy: deny}", "default_policy", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := load(t, tc.cfg+"rules:\n  - "+tc.rule+"\n")
			ps := problems(t, c.Validate())
			ok := hasError(ps, tc.path)
			if tc.warning {
				ok = hasWarning(ps, tc.path) && !hasError(ps, tc.path)
			}
			if !ok {
				t.Errorf("want a problem at %s (warning=%v):%s", tc.path, tc.warning, dump(ps))
			}
		})
	}
	t.Run("a claim value is a string or a list of strings", func(t *testing.T) {
		for _, v := range []string{"{a: b}", "[[a]]", "[{a: b}]"} {
			if _, err := config.LoadBytes([]byte(issuers+"rules: [{policy: authenticated, claims: {sub: "+v+"}}]\n"), t.TempDir(), nil); err == nil {
				t.Errorf("claim value %s loaded", v)
			}
		}
	})
	t.Run("a null claim value does not load or does not validate", func(t *testing.T) {
		c, err := config.LoadBytes([]byte(issuers+"rules: [{policy: authenticated, claims: {sub: null}}]\n"), t.TempDir(), nil)
		if err == nil && !hasError(problems(t, c.Validate()), "rules[0].claims.sub") {
			t.Error("claims {sub: null} accepted")
		}
	})
}

// TestUnscopedGitHubActionsRuleIsAnErrorInProduction: in production a rule
// that lets every GitHub repository's token through (the preset's issuer,
// no claims) stops the server; naming only another issuer does not.
func TestUnscopedGitHubActionsRuleIsAnErrorInProduction(t *testing.T) {
	const issuers = "external_jwt: {issuers: [{preset: github-actions, audiences: [gatehouse]}, {issuer: 'https://idp.example.com', discovery: true, audiences: [api]}]}\n"
	c := load(t, prodYAML(t)+issuers+"rules:\n  - {paths: [/deploy], policy: authenticated}\n  - {paths: [/api], policy: authenticated, issuers: ['https://idp.example.com']}\n")
	ps := problems(t, c.Validate())
	if !hasError(ps, "rules[0]") || !strings.Contains(dump(find(ps, "rules[0]")), "every GitHub repository") {
		t.Errorf("unscoped github-actions rule not refused:%s", dump(ps))
	}
	if len(find(ps, "rules[1]")) > 0 {
		t.Errorf("rule naming only another issuer flagged:%s", dump(ps))
	}
}

// TestValidateIssuerHeader: verifier.headers.issuer follows the rules of
// the other identity header names.
func TestValidateIssuerHeader(t *testing.T) {
	for _, h := range []string{"''", "'Remote Issuer'", "Authorization", "remote-user"} {
		c := load(t, "verifier: {headers: {issuer: "+h+"}}\n")
		if ps := problems(t, c.Validate()); !hasError(ps, "verifier.headers.issuer") {
			t.Errorf("issuer header %s accepted:%s", h, dump(ps))
		}
	}
	if got := config.Default().Verifier.Headers.Issuer; got != "Remote-Issuer" {
		t.Errorf("default issuer header %q", got)
	}
}
