package verifier_test

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/verifier"
)

// ghClaims are a GitHub Actions OIDC token's claims as GitHub documents
// them ("About security hardening with OpenID Connect": the example token),
// for a job of acme/deploy; kv changes them. GitHub sets nbf before iat and
// exp five minutes after it.
func (x *extEnv) ghClaims(iss string, kv ...any) jwt.MapClaims {
	now := x.clk.Now().Unix()
	c := jwt.MapClaims{
		"jti":                   "example-id",
		"sub":                   "repo:acme/deploy:ref:refs/heads/main",
		"aud":                   "https://github.com/acme",
		"ref":                   "refs/heads/main",
		"sha":                   "example-sha",
		"repository":            "acme/deploy",
		"repository_owner":      "acme",
		"actor_id":              "12",
		"repository_visibility": "private",
		"repository_id":         "74",
		"repository_owner_id":   "65",
		"run_id":                "example-run-id",
		"run_number":            "10",
		"run_attempt":           "2",
		"runner_environment":    "github-hosted",
		"actor":                 "octocat",
		"workflow":              "example-workflow",
		"head_ref":              "",
		"base_ref":              "",
		"event_name":            "workflow_dispatch",
		"ref_type":              "branch",
		"job_workflow_ref":      "acme/automation/.github/workflows/oidc.yml@refs/heads/main",
		"iss":                   iss,
		"nbf":                   now - 600,
		"exp":                   now + 300,
		"iat":                   now,
	}
	return setKV(c, kv...)
}

func (x *extEnv) call(method, path, tok string) answer {
	return x.do(bearer(fwd("traefik", method, "https://"+appHost+path), tok))
}

// TestExternalJWTClaimRules: claims and issuers conditions, on a
// GitHub-Actions-shaped token: only the main branch of acme/deploy may
// POST /deploy.
func TestExternalJWTClaimRules(t *testing.T) {
	x := newExtEnv(t, func(a, b *config.ExternalIssuer, o *verifier.Options) {
		a.Audiences = []string{"https://github.com/acme"}
		b.Audiences = a.Audiences
	})
	gh := func(kv ...any) string { return mint(t, jwt.SigningMethodRS256, rsaA, "a1", x.ghClaims(extIssA, kv...)) }
	cases := []struct {
		name, method, path, tok string
		status                  int
		code                    string
	}{
		{"main branch may deploy", "POST", "/deploy", gh(), 200, ""},
		{"another branch may not", "POST", "/deploy", gh("sub", "repo:acme/deploy:ref:refs/heads/dev"), 403, "AUTHORIZATION_DENIED"},
		{"an environment subject may not", "POST", "/deploy", gh("sub", "repo:acme/deploy:environment:prod"), 403, "AUTHORIZATION_DENIED"},
		{"a pull request may not", "POST", "/deploy", gh("sub", "repo:acme/deploy:pull_request"), 403, "AUTHORIZATION_DENIED"},
		{"prefix of the subject is not the subject", "POST", "/deploy", gh("sub", "repo:acme/deploy:ref:refs/heads/main-x"), 403, "AUTHORIZATION_DENIED"},
		{"the same subject from issuer B", "POST", "/deploy", mint(t, jwt.SigningMethodRS256, rsaB, "b1", x.ghClaims(extIssB)), 200, ""},
		{"own jwt never satisfies claims", "POST", "/deploy", x.jwt(rootID), 403, "AUTHORIZATION_DENIED"},
		{"regex and exact together", "GET", "/deploy", gh("ref", "refs/tags/v1"), 200, ""},
		{"regex refuses", "GET", "/deploy", gh("ref", "main"), 403, "AUTHORIZATION_DENIED"},
		{"exact refuses", "GET", "/deploy", gh("repository_owner", "acme-evil"), 403, "AUTHORIZATION_DENIED"},
		{"missing claim matches nothing", "GET", "/deploy", gh("ref", nil), 403, "AUTHORIZATION_DENIED"},
		{"null claim matches nothing", "GET", "/deploy", gh("repository_owner", nil, "ref", nil), 403, "AUTHORIZATION_DENIED"},
		{"list: one of the values", "GET", "/ops/", gh("groups", []string{"dev", "sre"}), 200, ""},
		{"list: a string claim", "GET", "/ops/", gh("groups", "ops"), 200, ""},
		{"list: none of the values", "GET", "/ops/", gh("groups", []string{"dev"}), 403, "AUTHORIZATION_DENIED"},
		{"list: missing", "GET", "/ops/", gh(), 403, "AUTHORIZATION_DENIED"},
		{"number and nested bool by JSON text", "GET", "/run/", gh("run_attempt", 1, "ctx", map[string]any{"prod": true}), 200, ""},
		{"number as a string", "GET", "/run/", gh("run_attempt", "1", "ctx", map[string]any{"prod": true}), 200, ""},
		{"other number", "GET", "/run/", gh("run_attempt", 2, "ctx", map[string]any{"prod": true}), 403, "AUTHORIZATION_DENIED"},
		{"bool false", "GET", "/run/", gh("run_attempt", 1, "ctx", map[string]any{"prod": false}), 403, "AUTHORIZATION_DENIED"},
		{"bool as an object", "GET", "/run/", gh("run_attempt", 1, "ctx", map[string]any{"prod": map[string]any{}}), 403, "AUTHORIZATION_DENIED"},
		{"issuers: listed", "GET", "/only-a/x", gh(), 200, ""},
		{"issuers: not listed", "GET", "/only-a/x", mint(t, jwt.SigningMethodRS256, rsaB, "b1", x.ghClaims(extIssB)), 403, "AUTHORIZATION_DENIED"},
		{"issuers: own jwt", "GET", "/only-a/x", x.jwt(rootID), 403, "AUTHORIZATION_DENIED"},
		{"credentials external_jwt", "GET", "/m2m/x", gh(), 200, ""},
		{"credentials external_jwt refuse own jwt", "GET", "/m2m/x", x.jwt(aliceID), 403, "AUTHORIZATION_DENIED"},
		{"credentials without external_jwt refuse it", "GET", "/api/items", gh("scope", "read"), 403, "AUTHORIZATION_DENIED"},
		{"scopes of the token", "GET", "/m2m-read/x", gh("scope", "write read"), 200, ""},
		{"scopes lacking", "GET", "/m2m-read/x", gh("scope", "write"), 403, "INSUFFICIENT_SCOPES"},
		{"scopes absent", "GET", "/m2m-read/x", gh(), 403, "INSUFFICIENT_SCOPES"},
		{"roles_any never", "GET", "/admin/x", gh("groups", []string{"admin"}), 403, "INSUFFICIENT_ROLES"},
		{"roles_all never", "GET", "/both/x", gh("groups", []string{"admin", "read"}), 403, "INSUFFICIENT_ROLES"},
		{"superuser never", "GET", "/root", gh(), 403, "INSUFFICIENT_ROLES"},
		{"verified_email never", "GET", "/verified/x", gh("email", "bot@acme.example", "email_verified", true), 403, "AUTHORIZATION_DENIED"},
		{"require_totp never", "GET", "/secure/x", gh(), 403, "TOTP_STEPUP_REQUIRED"},
		{"step_up never", "GET", "/billing/x", gh(), 403, "TOTP_STEPUP_REQUIRED"},
		{"plain authenticated", "GET", "/anything", gh(), 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for i := 0; i < 2; i++ { // miss, then cache hit
				a := x.call(c.method, c.path, c.tok)
				if c.status == 200 {
					wantAllow(t, a)
					continue
				}
				wantDeny(t, a, c.status, c.code)
			}
		})
	}
}

// A rule with claims or issuers whose credentials leave out external_jwt
// could never allow anything: it is refused at compile time.
func TestRuleClaimsRequireExternalCredentials(t *testing.T) {
	bad := []config.Rule{
		{Name: "a", Policy: config.PolicyAuthenticated, Credentials: []string{"jwt"}, Claims: map[string]config.ClaimValues{"sub": {"x"}}},
		{Name: "b", Policy: config.PolicyAuthenticated, Credentials: []string{"cookie"}, Issuers: []string{extIssA}},
		{Name: "c", Policy: config.PolicyAuthenticated, Claims: map[string]config.ClaimValues{"sub": {"~("}}},
		{Name: "d", Policy: config.PolicyAuthenticated, Claims: map[string]config.ClaimValues{"/a~2": {"x"}}},
		{Name: "e", Policy: config.PolicyAuthenticated, Claims: map[string]config.ClaimValues{"sub": {}}},
	}
	for _, r := range bad {
		if _, err := verifier.CompileRules([]config.Rule{r}, "deny"); err == nil {
			t.Errorf("rule %s compiled", r.Name)
		}
	}
	good := config.Rule{Name: "ok", Policy: config.PolicyAuthenticated, Credentials: []string{"jwt", "external_jwt"}, Claims: map[string]config.ClaimValues{"/a~1b/~0c": {"x"}}}
	if _, err := verifier.CompileRules([]config.Rule{good}, "deny"); err != nil {
		t.Fatal(err)
	}
}

// TestPresetGitHubActions: the issuer the github-actions preset makes
// (issuer https://token.actions.githubusercontent.com, discovery, RS256,
// subject sub), its keys served by the test's loopback JWKS server posing
// as GitHub's, and tokens shaped exactly like GitHub's.
func TestPresetGitHubActions(t *testing.T) {
	extKeys(t)
	srv := newJWKSServer(t, publicJWK("gh-1", &rsaA.PublicKey), publicJWK("gh-2", &rsaA2.PublicKey))
	preset := config.ExternalIssuer{
		Preset: config.PresetGitHubActions, Issuer: config.GitHubActionsIssuer, Discovery: true,
		Audiences: []string{"https://github.com/acme"}, Algorithms: []string{"RS256"},
		Leeway: 30 * time.Second, MaxLifetime: 24 * time.Hour, SubjectClaim: "sub",
	}
	var x *extEnv
	e := newEnv(t, func(o *verifier.Options) {
		o.Rules = extRules()
		o.ExternalIssuers = []verifier.ExternalIssuer{{Config: preset, Keys: srv.source(t, o.Now, nil)}}
	})
	x = &extEnv{env: e}
	gh := func(kv ...any) string {
		return mint(t, jwt.SigningMethodRS256, rsaA2, "gh-2", x.ghClaims(config.GitHubActionsIssuer, kv...), "x5t", "example-thumbprint")
	}
	h := wantAllow(t, x.call("POST", "/deploy", gh()))
	if h.Get("Remote-User") != "repo:acme/deploy:ref:refs/heads/main" || h.Get("Remote-Issuer") != config.GitHubActionsIssuer ||
		h.Get("Remote-Auth-Method") != "external_jwt" || h.Get("Remote-Groups") != "" || h.Get("Remote-Scopes") != "" {
		t.Fatalf("headers %v", h)
	}
	wantAllow(t, x.call("GET", "/deploy", gh("ref", "refs/tags/v2.0.0", "sub", "repo:acme/deploy:ref:refs/tags/v2.0.0")))
	for name, tok := range map[string]string{
		"branch":           gh("sub", "repo:acme/deploy:ref:refs/heads/feature", "ref", "refs/heads/feature"),
		"environment":      gh("sub", "repo:acme/deploy:environment:prod", "environment", "prod"),
		"another repo":     gh("sub", "repo:acme/web:ref:refs/heads/main", "repository", "acme/web"),
		"another owner":    gh("sub", "repo:evil/deploy:ref:refs/heads/main", "repository_owner", "evil"),
		"pull_request":     gh("sub", "repo:acme/deploy:pull_request", "event_name", "pull_request"),
		"es256 not preset": mint(t, jwt.SigningMethodES256, ecA, "gh-1", x.ghClaims(config.GitHubActionsIssuer)),
	} {
		a := x.call("POST", "/deploy", tok)
		if a.status == 200 {
			t.Errorf("%s: allowed", name)
		}
	}
	// GitHub's audience is the owner's URL unless the workflow asks for
	// another: a token minted for another audience is refused.
	wantDeny(t, x.call("POST", "/deploy", gh("aud", "sts.amazonaws.com")), 401, "AUTHENTICATION_FAILED")
}

// k8sClaims are a projected service-account token's claims as the
// Kubernetes documentation shows them ("Service account tokens",
// kubernetes.io claims), for pod billing-worker-7d9 of namespace payments,
// with a one-hour expirationSeconds.
func (x *extEnv) k8sClaims(iss string, kv ...any) jwt.MapClaims {
	now := x.clk.Now().Unix()
	c := jwt.MapClaims{
		"aud": []string{"gatehouse"},
		"exp": now + 3600,
		"iat": now,
		"iss": iss,
		"jti": "ea28ed49-2e11-4280-9ec5-bc3d1d84661a",
		"kubernetes.io": map[string]any{
			"namespace": "payments",
			"node":      map[string]any{"name": "node-1", "uid": "58456cb0-dd00-45ed-b797-5578fdceaced"},
			"pod":       map[string]any{"name": "billing-worker-7d9", "uid": "778a530c-b3f4-47c0-9cd5-ab018fb64f33"},
			"serviceaccount": map[string]any{
				"name": "billing-worker", "uid": "a087d5a0-e1dd-43ec-93ac-f13d89cd13af",
			},
			"warnafter": now + 3000,
		},
		"nbf": now,
		"sub": "system:serviceaccount:payments:billing-worker",
	}
	return setKV(c, kv...)
}

// TestPresetKubernetes: the issuer the kubernetes preset makes (RS256 and
// ES256, subject sub, Remote-Name from /kubernetes.io/serviceaccount/name,
// no groups), with the cluster's keys on the loopback JWKS server.
func TestPresetKubernetes(t *testing.T) {
	extKeys(t)
	const k8sIss = "https://kubernetes.default.svc.cluster.local"
	srv := newJWKSServer(t, publicJWK("Rz8Kq1", &rsaB.PublicKey), publicJWK("ec-1", &ecB.PublicKey))
	preset := config.ExternalIssuer{
		Preset: config.PresetKubernetes, Issuer: k8sIss, JWKSURL: "https://kubernetes.default.svc/openid/v1/jwks",
		Audiences: []string{"gatehouse"}, Algorithms: []string{"RS256", "ES256"},
		Leeway: 30 * time.Second, MaxLifetime: 24 * time.Hour, SubjectClaim: "sub",
		NameClaim: "/kubernetes.io/serviceaccount/name",
	}
	e := newEnv(t, func(o *verifier.Options) {
		o.Rules = extRules()
		o.ExternalIssuers = []verifier.ExternalIssuer{{Config: preset, Keys: srv.source(t, o.Now, nil)}}
	})
	x := &extEnv{env: e}
	rs := mint(t, jwt.SigningMethodRS256, rsaB, "Rz8Kq1", x.k8sClaims(k8sIss))
	es := mint(t, jwt.SigningMethodES256, ecB, "ec-1", x.k8sClaims(k8sIss))
	for _, tok := range []string{rs, es} {
		h := wantAllow(t, x.get("/k8s/charge", tok))
		if h.Get("Remote-User") != "system:serviceaccount:payments:billing-worker" || h.Get("Remote-Name") != "billing-worker" ||
			h.Get("Remote-Issuer") != k8sIss || h.Get("Remote-Groups") != "" {
			t.Fatalf("headers %v", h)
		}
	}
	other := x.k8sClaims(k8sIss)
	other["kubernetes.io"].(map[string]any)["namespace"] = "default"
	wantDeny(t, x.get("/k8s/charge", mint(t, jwt.SigningMethodRS256, rsaB, "Rz8Kq1", other)), 403, "AUTHORIZATION_DENIED")
	sa := x.k8sClaims(k8sIss)
	sa["kubernetes.io"].(map[string]any)["serviceaccount"] = map[string]any{"name": "coredns", "uid": "x"}
	wantDeny(t, x.get("/k8s/charge", mint(t, jwt.SigningMethodRS256, rsaB, "Rz8Kq1", sa)), 403, "AUTHORIZATION_DENIED")
	// A legacy one-year token (the documentation's example lifetime) is
	// over max_lifetime.
	year := x.k8sClaims(k8sIss, "exp", x.clk.Now().Unix()+365*24*3600)
	wantDeny(t, x.get("/k8s/charge", mint(t, jwt.SigningMethodRS256, rsaB, "Rz8Kq1", year)), 401, "AUTHENTICATION_FAILED")
	// The API server's own audience is not gatehouse's.
	api := x.k8sClaims(k8sIss, "aud", []string{k8sIss})
	wantDeny(t, x.get("/k8s/charge", mint(t, jwt.SigningMethodRS256, rsaB, "Rz8Kq1", api)), 401, "AUTHENTICATION_FAILED")
}
