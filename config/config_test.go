package config_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/signing"
)

// --- helpers ---------------------------------------------------------------

func randText(t testing.TB) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func fernetKey(t testing.TB) string {
	t.Helper()
	k, err := signing.GenerateFernetKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// prodYAML is a production config that validates without any problem.
func prodYAML(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("mode: production\n")
	b.WriteString("public_url: https://auth.example.com\n")
	b.WriteString("cookie: {domain: example.com}\n")
	b.WriteString("shared: {backend: memory, allow_in_memory: true}\n")
	b.WriteString("secrets:\n")
	for _, role := range config.SecretRoles {
		fmt.Fprintf(&b, "  %s: %q\n", role, randText(t))
	}
	b.WriteString("keyrings:\n")
	for _, ring := range config.KeyringNames {
		fmt.Fprintf(&b, "  %s: {active_key_id: k1, keys: {k1: %q}}\n", ring, fernetKey(t))
	}
	return b.String()
}

func load(t testing.TB, yml string) *config.Config {
	t.Helper()
	c, err := config.LoadBytes([]byte(yml), t.TempDir(), nil)
	if err != nil {
		t.Fatalf("LoadBytes: %v", err)
	}
	return c
}

func problems(t testing.TB, err error) []config.Problem {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve *config.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate returned %T, want *ValidationError: %v", err, err)
	}
	return ve.Problems
}

// find returns the problems at path.
func find(ps []config.Problem, path string) []config.Problem {
	var out []config.Problem
	for _, p := range ps {
		if p.Path == path {
			out = append(out, p)
		}
	}
	return out
}

func hasError(ps []config.Problem, path string) bool {
	for _, p := range find(ps, path) {
		if !p.Warning {
			return true
		}
	}
	return false
}

func hasWarning(ps []config.Problem, path string) bool {
	for _, p := range find(ps, path) {
		if p.Warning {
			return true
		}
	}
	return false
}

func dump(ps []config.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// --- the example configuration and the defaults --------------------------------------

func TestSpecExampleLoadsWithoutErrorsInDevelopment(t *testing.T) {
	c, err := config.Load(filepath.Join("testdata", "spec_example.yaml"), nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"mode", c.Mode, "development"},
		{"listen.portal", c.Listen.Portal, "127.0.0.1:9092"},
		{"cookie.domain", c.Cookie.Domain, "example.test"},
		{"trusted_proxies", c.TrustedProxies, []string{"127.0.0.0/8", "::1/128"}},
		{"state.redis.url", c.State.Redis.URL, "redis://127.0.0.1:6379/0"},
		{"tokens.access.lifetime", c.Tokens.Access.Lifetime, 15 * time.Minute},
		{"tokens.session.lifetime", c.Tokens.Session.Lifetime, 12 * time.Hour},
		{"tokens.refresh.lifetime (default)", c.Tokens.Refresh.Lifetime, 720 * time.Hour},
		{"secrets.csrf", string(c.Secrets.CSRF.Bytes()), "..."},
		{"keyrings.totp_secrets.active_key_id", c.Keyrings.TOTPSecrets.ActiveKeyID, "k1"},
		{"rules", len(c.Rules), 5},
		{"rules[3].step_up", c.Rules[3].StepUp, 5 * time.Minute},
		{"rules[2].credentials", c.Rules[2].Credentials, []string{"jwt", "api_key", "signed"}},
		{"api_keys.signing.enabled", c.APIKeys.Signing.Enabled, true},
		{"api_keys.prefix (default)", c.APIKeys.Prefix, "ak"},
		{"rate_limits.login", c.RateLimits["login"], config.RateLimit{Max: 5, Window: time.Minute}},
		{"rate_limits.refresh (default)", c.RateLimits["refresh"], config.RateLimit{Max: 60, Window: time.Minute}},
	}
	for _, ck := range checks {
		if !reflect.DeepEqual(ck.got, ck.want) {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
	ps := problems(t, c.Validate())
	for _, p := range ps {
		if !p.Warning {
			t.Errorf("unexpected error: %s", p)
		}
	}
	// The placeholder secrets are short and shared: development warns.
	if !hasWarning(ps, "secrets.csrf") {
		t.Errorf("no warning for the placeholder csrf secret:%s", dump(ps))
	}
	// The same file in production fails on exactly those points.
	c.Mode = config.ModeProduction
	if ve := problems(t, c.Validate()); !hasError(ve, "secrets.csrf") || !hasError(ve, "public_url") {
		t.Errorf("production did not turn the warnings into errors:%s", dump(ve))
	}
}

func TestDefaultsMatchTheSpec(t *testing.T) {
	c := config.Default()
	checks := []struct {
		name      string
		got, want any
	}{
		{"mode", c.Mode, "development"},
		{"data_dir", c.DataDir, "./gatehouse-data"},
		{"listen", c.Listen, config.Listen{Verifier: "127.0.0.1:9091", Portal: "127.0.0.1:9092", Admin: "127.0.0.1:9093"}},
		{"public_url", c.PublicURL, "http://127.0.0.1:9092"},
		{"cookie.name", c.Cookie.Name, "gatehouse_session"},
		{"trusted_proxies", c.TrustedProxies, []string{"127.0.0.0/8", "::1/128"}},
		{"trusted_hops", c.TrustedHops, 1},
		{"state.backend", c.State.Backend, "bbolt"},
		{"shared", [2]any{c.Shared.Backend, c.Shared.AllowInMemory}, [2]any{"memory", true}},
		{"tokens.access.algorithm", c.Tokens.Access.Algorithm, "HS256"},
		{"tokens.access.lifetime", c.Tokens.Access.Lifetime, 15 * time.Minute},
		{"default_policy", c.DefaultPolicy, "deny"},
		{"api_keys.max_per_user", c.APIKeys.MaxPerUser, 20},
		{"api_keys.default_lifetime", c.APIKeys.DefaultLifetime, 365 * 24 * time.Hour},
		{"api_keys.signing.max_skew", c.APIKeys.Signing.MaxSkew, 300 * time.Second},
		{"api_keys.signing.signed_body_max_bytes", c.APIKeys.Signing.BodyMaxBytes, int64(1 << 20)},
		{"verifier.store_timeout", c.Verifier.StoreTimeout, 250 * time.Millisecond},
		{"verifier.assertion.lifetime", c.Verifier.Assertion.Lifetime, 60 * time.Second},
		{"verifier.token_cache", c.Verifier.TokenCache, config.TokenCache{TTL: 60 * time.Second, MaxEntries: 100000}},
		{"verifier.headers.user", c.Verifier.Headers.User, "Remote-User"},
		{"verifier.headers.api_key_id", c.Verifier.Headers.APIKeyID, "Remote-Api-Key-Id"},
		{"passwords", c.Passwords, config.Passwords{Memory: 65536, Time: 3, Threads: 4, MinLength: 12, MaxLength: 128}},
		{"totp", [3]any{c.TOTP.Enabled, c.TOTP.Algorithm, c.TOTP.StepUpTTL}, [3]any{true, "SHA256", 5 * time.Minute}},
		{"log format", c.LogFormat(), "console"},
		{"cookie secure (http loopback, dev)", c.CookieSecure(), false},
	}
	for _, ck := range checks {
		if !reflect.DeepEqual(ck.got, ck.want) {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
	if slots := len(c.RateLimits); slots != len(config.RateLimitSlots) {
		t.Errorf("default rate limits cover %d slots, want %d", slots, len(config.RateLimitSlots))
	}
	ps := problems(t, c.Validate())
	for _, p := range ps {
		if !p.Warning {
			t.Errorf("Default() has an error: %s", p)
		}
	}
	p := load(t, "mode: production\n")
	if p.LogFormat() != "json" || !p.CookieSecure() || p.Shared.AllowInMemory {
		t.Errorf("production derived defaults: format %q secure %v allow_in_memory %v", p.LogFormat(), p.CookieSecure(), p.Shared.AllowInMemory)
	}
}

// Every key of the Config must appear in reference.md.
func TestReferenceDocumentsEveryKey(t *testing.T) {
	ref, err := os.ReadFile("reference.md")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			key := prefix + name
			ft := f.Type
			switch {
			case ft == reflect.TypeOf(config.Secrets{}):
				for _, r := range config.SecretRoles {
					keys = append(keys, key+"."+r)
				}
				continue
			case ft == reflect.TypeOf(config.Keyring{}), ft == reflect.TypeOf(config.RateLimits{}), ft == reflect.TypeOf(config.SecretText{}):
			case ft.Kind() == reflect.Struct && ft != reflect.TypeOf(time.Duration(0)):
				walk(key+".", ft)
				continue
			case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct:
				// An optional block (state.redis.sentinel): the block
				// and each of its keys.
				keys = append(keys, key)
				walk(key+".", ft.Elem())
				continue
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
				keys = append(keys, key)
				walk(key+"[].", ft.Elem())
				continue
			}
			keys = append(keys, key)
		}
	}
	walk("", reflect.TypeOf(config.Config{}))
	keys = append(keys, "oauth.providers[].client_secret")
	for _, s := range config.RateLimitSlots {
		keys = append(keys, "rate_limits."+s)
	}
	for _, k := range keys {
		if !bytes.Contains(ref, []byte("`"+k+"`")) {
			t.Errorf("reference.md does not document `%s`", k)
		}
	}
	if len(keys) < 80 {
		t.Errorf("walked only %d keys; the walk is broken", len(keys))
	}
}

// --- validation ------------------------------------------------------------

func TestValidateReportsEveryMistakeWithItsPath(t *testing.T) {
	yml := `
mode: staging
listen:
  portal: "nope"
rules:
  - paths: ["api/"]
    policy: authenticated
  - methods: [FETCH]
    policy: deny
rate_limits:
  logins: {max: 5, window: 1m}
`
	ps := problems(t, load(t, yml).Validate())
	for _, path := range []string{"mode", "listen.portal", "rules[0].paths[0]", "rules[1].methods[0]", "rate_limits.logins"} {
		if !hasError(ps, path) {
			t.Errorf("no error at %s:%s", path, dump(ps))
		}
	}
	if n := len(ps); n < 5 {
		t.Errorf("got %d problems, want at least 5", n)
	}
}

func TestValidationErrorFormat(t *testing.T) {
	ve := &config.ValidationError{Problems: []config.Problem{
		{Path: "a", Message: "warned", Warning: true},
		{Path: "rules[2].paths[0]", Message: "bad"},
		{Path: "b", Message: "worse"},
	}}
	want := "rules[2].paths[0]: bad\nb: worse\na: warned (warning)"
	if got := ve.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if len(ve.Errors()) != 2 || len(ve.Warnings()) != 1 || !ve.HasErrors() {
		t.Errorf("split: %d errors, %d warnings", len(ve.Errors()), len(ve.Warnings()))
	}
	onlyWarn := &config.ValidationError{Problems: ve.Warnings()}
	if onlyWarn.HasErrors() {
		t.Error("warnings alone count as errors")
	}
}

func TestProductionBaselineIsClean(t *testing.T) {
	c := load(t, prodYAML(t))
	if err := c.Validate(); err != nil {
		t.Fatalf("baseline production config has problems:\n%v", err)
	}
	if !c.IsProduction() {
		t.Fatal("IsProduction false")
	}
}

func TestProductionMissingSecretsNamesEachOne(t *testing.T) {
	c := load(t, "mode: production\npublic_url: https://auth.example.com\nshared: {allow_in_memory: true}\ntotp: {enabled: false}\napi_keys: {signing: {enabled: false}}\n")
	ps := problems(t, c.Validate())
	required := []string{"access_token", "verify_token", "reset_token", "token_hash", "api_key_hash", "csrf", "totp_pending", "recovery_code_lookup"}
	for _, role := range required {
		if !hasError(ps, "secrets."+role) {
			t.Errorf("missing secrets.%s not reported:%s", role, dump(ps))
		}
	}
	for _, role := range []string{"telemetry", "oauth_flow_cookie"} {
		if len(find(ps, "secrets."+role)) != 0 {
			t.Errorf("optional secrets.%s reported as missing", role)
		}
	}
	if n := len(ve(t, c).Errors()); n != len(required) {
		t.Errorf("%d errors, want %d:%s", n, len(required), dump(ps))
	}

	// With EdDSA keys the access_token secret is not needed; with OAuth on
	// the flow cookie secret is.
	c.Tokens.Access.Algorithm = "EdDSA"
	c.Tokens.Access.Keys = map[string]string{"a": "/etc/gatehouse/a.pem"}
	c.Tokens.Access.ActiveKID = "a"
	c.OAuth.Enabled = true
	ps = problems(t, c.Validate())
	if len(find(ps, "secrets.access_token")) != 0 {
		t.Errorf("access_token required with EdDSA:%s", dump(ps))
	}
	if !hasError(ps, "secrets.oauth_flow_cookie") {
		t.Errorf("oauth_flow_cookie not required with OAuth on:%s", dump(ps))
	}
}

func ve(t *testing.T, c *config.Config) *config.ValidationError {
	t.Helper()
	var v *config.ValidationError
	if err := c.Validate(); !errors.As(err, &v) {
		t.Fatalf("Validate = %v, want *ValidationError", err)
	}
	return v
}

func TestProductionRules(t *testing.T) {
	short := signing.NewSecret([]byte("only-31-bytes-long-xxxxxxxxxxxx"))
	cases := []struct {
		name   string
		mutate func(c *config.Config)
		path   string
	}{
		{"short secret", func(c *config.Config) { c.Secrets.TokenHash = short }, "secrets.token_hash"},
		{"reused secret", func(c *config.Config) { c.Secrets.ResetToken = c.Secrets.VerifyToken }, "secrets.reset_token"},
		{"missing csrf", func(c *config.Config) { c.Secrets.CSRF = signing.Secret{} }, "secrets.csrf"},
		{"memory shared store without allow_in_memory", func(c *config.Config) { c.Shared.AllowInMemory = false }, "shared.backend"},
		{"TOTP without keyring", func(c *config.Config) { c.Keyrings.TOTPSecrets = config.Keyring{} }, "keyrings.totp_secrets"},
		{"signed requests without keyring", func(c *config.Config) { c.Keyrings.APIKeySigning = config.Keyring{}; c.APIKeys.Signing.Enabled = true }, "keyrings.api_key_signing"},
		{"keyring key not Fernet", func(c *config.Config) { c.Keyrings.OAuthTokens.Keys["k1"] = "not-a-key" }, "keyrings.oauth_tokens.keys.k1"},
		{"keyring key reused", func(c *config.Config) {
			c.Keyrings.OAuthTokens.Keys["k1"] = c.Keyrings.TOTPSecrets.Keys["k1"]
		}, "keyrings.oauth_tokens.keys.k1"},
		{"OAuth without flow cookie secret", func(c *config.Config) {
			enableOAuth(c)
			c.Secrets.OAuthFlowCookie = signing.Secret{}
		}, "secrets.oauth_flow_cookie"},
		{"OAuth redirect base http", func(c *config.Config) { enableOAuth(c); c.OAuth.RedirectBase = "http://auth.example.com" }, "oauth.redirect_base"},
		{"OAuth redirect base not public", func(c *config.Config) { enableOAuth(c); c.OAuth.RedirectBase = "https://10.0.0.5" }, "oauth.redirect_base"},
		{"public_url http", func(c *config.Config) { c.PublicURL = "http://auth.example.com" }, "public_url"},
		{"cookie not secure", func(c *config.Config) { f := false; c.Cookie.Secure = &f }, "cookie.secure"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := load(t, prodYAML(t))
			tc.mutate(c)
			ps := problems(t, c.Validate())
			if !hasError(ps, tc.path) {
				t.Errorf("production: no error at %s:%s", tc.path, dump(ps))
			}
			c.Mode = config.ModeDevelopment
			ps = problems(t, c.Validate())
			if hasError(ps, tc.path) {
				t.Errorf("development: error instead of warning at %s:%s", tc.path, dump(ps))
			}
			// cookie.secure: false is allowed in development.
			wantWarning := tc.path != "cookie.secure"
			if got := hasWarning(ps, tc.path); got != wantWarning {
				t.Errorf("development: warning at %s = %v, want %v:%s", tc.path, got, wantWarning, dump(ps))
			}
		})
	}
}

func enableOAuth(c *config.Config) {
	c.OAuth.Enabled = true
	c.OAuth.Providers = []config.OAuthProvider{{
		Name: "github", Kind: config.ProviderGitHub, ClientID: "id",
		ClientSecret: signing.NewSecret([]byte("client-secret")),
		Scopes:       []string{"read:user"},
	}}
}

func TestValidateRules(t *testing.T) {
	cases := []struct {
		name    string
		rule    string
		path    string
		warning bool
	}{
		{"prefix without slash", `{paths: ["api"], policy: deny}`, "rules[0].paths[0]", false},
		{"exact without slash", `{paths: ["=health"], policy: deny}`, "rules[0].paths[0]", false},
		{"regex does not compile", `{paths: ["~^/(x"], policy: deny}`, "rules[0].paths[0]", false},
		{"empty regex", `{paths: ["~"], policy: deny}`, "rules[0].paths[0]", false},
		{"dot-dot never matches", `{paths: ["/a/../b"], policy: deny}`, "rules[0].paths[0]", true},
		{"double slash never matches", `{paths: ["//admin"], policy: deny}`, "rules[0].paths[0]", true},
		{"encoded slash never matches", `{paths: ["/a%2Fb"], policy: deny}`, "rules[0].paths[0]", true},
		{"encoded unreserved never matches", `{paths: ["/%61dmin"], policy: deny}`, "rules[0].paths[0]", true},
		{"bad escape never matches", `{paths: ["/a%zz"], policy: deny}`, "rules[0].paths[0]", true},
		{"query never matches", `{paths: ["/a?b=1"], policy: deny}`, "rules[0].paths[0]", true},
		{"path parameter never matches", `{paths: ["/app;jsessionid=1"], policy: deny}`, "rules[0].paths[0]", true},
		{"encoded semicolon never matches", `{paths: ["/app%3Bx"], policy: deny}`, "rules[0].paths[0]", true},
		{"escaped escape never matches", `{paths: ["/%2541"], policy: deny}`, "rules[0].paths[0]", true},
		{"host with scheme", `{hosts: ["https://app.example.com"], policy: deny}`, "rules[0].hosts[0]", false},
		{"host wildcard in the middle", `{hosts: ["app.*.example.com"], policy: deny}`, "rules[0].hosts[0]", false},
		{"bare star host", `{hosts: ["*"], policy: deny}`, "rules[0].hosts[0]", false},
		{"host bad port", `{hosts: ["app.example.com:99999"], policy: deny}`, "rules[0].hosts[0]", false},
		{"lower-case method", `{methods: [get], policy: deny}`, "rules[0].methods[0]", false},
		{"unknown method", `{methods: [FETCH], policy: deny}`, "rules[0].methods[0]", false},
		{"network not CIDR", `{networks: ["10.0.0.1"], policy: deny}`, "rules[0].networks[0]", false},
		{"unknown credential", `{credentials: [password], policy: authenticated}`, "rules[0].credentials[0]", false},
		{"duplicate credential", `{credentials: [jwt, jwt], policy: authenticated}`, "rules[0].credentials[1]", false},
		{"negative step_up", `{step_up: -5m, policy: authenticated}`, "rules[0].step_up", false},
		{"missing policy", `{paths: ["/x"]}`, "rules[0].policy", false},
		{"unknown policy", `{paths: ["/x"], policy: allow}`, "rules[0].policy", false},
		{"requirement on bypass", `{paths: ["/x"], policy: bypass, roles_any: [admin]}`, "rules[0].roles_any", false},
		{"requirement on deny", `{paths: ["/x"], policy: deny, step_up: 5m}`, "rules[0].step_up", false},
		{"role with comma", `{paths: ["/x"], policy: authenticated, roles_all: ["a,b"]}`, "rules[0].roles_all[0]", false},
		{"scope not allowed", `{paths: ["/x"], policy: authenticated, scopes: [admin]}`, "rules[0].scopes[0]", true},
		{"unknown auth method", `{policy: authenticated, auth_methods: [webauthn]}`, "rules[0].auth_methods[0]", false},
		{"auth method of a stored record, not a factor", `{policy: authenticated, auth_methods: ["password+totp"]}`, "rules[0].auth_methods[0]", false},
		{"auth method in upper case", `{policy: authenticated, auth_methods: [Passkey]}`, "rules[0].auth_methods[0]", false},
		{"duplicate auth method", `{policy: authenticated, auth_methods: [passkey, totp, passkey]}`, "rules[0].auth_methods[2]", false},
		{"empty auth methods", `{policy: authenticated, auth_methods: []}`, "rules[0].auth_methods", false},
		{"auth methods without cookies", `{policy: authenticated, credentials: [jwt, api_key], auth_methods: [passkey]}`, "rules[0].auth_methods", false},
		{"auth methods on bypass", `{paths: ["/x"], policy: bypass, auth_methods: [passkey]}`, "rules[0].auth_methods", false},
		{"auth methods on external only", `{policy: authenticated, credentials: [external_jwt], auth_methods: [totp]}`, "rules[0].auth_methods", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := load(t, "api_keys: {allowed_scopes: [read]}\nrules:\n  - "+tc.rule+"\n")
			ps := problems(t, c.Validate())
			ok := hasError(ps, tc.path)
			if tc.warning {
				ok = hasWarning(ps, tc.path) && !hasError(ps, tc.path)
			}
			if !ok {
				t.Errorf("want %s at %s (warning=%v):%s", "a problem", tc.path, tc.warning, dump(ps))
			}
		})
	}
	good := `
api_keys: {allowed_scopes: [read]}
rules:
  - {hosts: ["*.example.com", "app.example.com:8443", "[::1]:8080"], paths: ["/api/", "=/health", "~^/v[0-9]+/"], methods: [GET, POST], networks: ["10.0.0.0/8"], policy: authenticated, credentials: [api_key], scopes: [read], step_up: 5m, roles_any: [admin]}
  - {paths: ["/a%20b"], policy: bypass}
  - {paths: ["/vault/"], policy: authenticated, auth_methods: [totp, passkey]}
  - {paths: ["/vault2/"], policy: authenticated, credentials: [cookie, jwt], auth_methods: [password, oauth, totp, passkey]}
`
	for _, p := range problems(t, load(t, good).Validate()) {
		if strings.HasPrefix(p.Path, "rules") || strings.HasPrefix(p.Path, "api_keys") {
			t.Errorf("valid rule flagged: %s", p)
		}
	}
	unreachable := load(t, "rules:\n  - {policy: authenticated}\n  - {paths: [/x], policy: deny}\n")
	if ps := problems(t, unreachable.Validate()); !hasWarning(ps, "rules[1]") {
		t.Errorf("rule after a catch-all not flagged:%s", dump(ps))
	}
}

func TestValidateOtherSections(t *testing.T) {
	cases := []struct {
		name string
		yml  string
		path string
	}{
		{"listen without port", "listen: {verifier: 127.0.0.1}", "listen.verifier"},
		{"listen port out of range", "listen: {admin: 127.0.0.1:70000}", "listen.admin"},
		{"listen duplicate", "listen: {admin: 127.0.0.1:9092}", "listen.admin"},
		{"pprof beyond loopback", "listen: {pprof: '0.0.0.0:6060'}", "listen.pprof"},
		{"pprof on every interface", "listen: {pprof: ':6060'}", "listen.pprof"},
		{"pprof by host name", "listen: {pprof: 'localhost:6060'}", "listen.pprof"},
		{"pprof on the admin address", "listen: {pprof: '127.0.0.1:9093'}", "listen.pprof"},
		{"public_url relative", "public_url: /portal", "public_url"},
		{"public_url with userinfo", "public_url: http://u:p@127.0.0.1:9092", "public_url"},
		{"public_url ftp", "public_url: ftp://127.0.0.1", "public_url"},
		{"public_url with path", "public_url: http://127.0.0.1:9092/auth", "public_url"},
		{"cookie domain leading dot", "cookie: {domain: .example.com}", "cookie.domain"},
		{"cookie domain upper", "cookie: {domain: Example.com}", "cookie.domain"},
		{"cookie domain url", "cookie: {domain: 'https://example.com'}", "cookie.domain"},
		{"cookie name", "cookie: {name: 'bad name'}", "cookie.name"},
		{"host cookie with domain", "cookie: {name: __Host-s, domain: example.com, secure: true}", "cookie.name"},
		{"trusted proxy not CIDR", "trusted_proxies: [localhost]", "trusted_proxies[0]"},
		{"negative hops", "trusted_hops: -1", "trusted_hops"},
		{"zero hops makes the proxy the client", "trusted_hops: 0", "trusted_hops"},
		{"too many hops", "trusted_hops: 65", "trusted_hops"},
		{"state backend", "state: {backend: sqlite}", "state.backend"},
		{"shared backend", "shared: {backend: disk}", "shared.backend"},
		{"redis url missing", "state: {backend: redis}", "state.redis.url"},
		{"redis url scheme", "shared: {backend: redis, redis: {url: 'http://x'}}", "shared.redis.url"},
		{"algorithm", "tokens: {access: {algorithm: none}}", "tokens.access.algorithm"},
		{"EdDSA without keys", "tokens: {access: {algorithm: EdDSA}}", "tokens.access.keys"},
		{"active kid unknown", "tokens: {access: {algorithm: ES256, keys: {a: a.pem}, active_kid: b}}", "tokens.access.active_kid"},
		{"zero lifetime", "tokens: {session: {lifetime: 0s}}", "tokens.session.lifetime"},
		{"default policy", "default_policy: allow", "default_policy"},
		{"api key prefix", "api_keys: {prefix: AK_1}", "api_keys.prefix"},
		{"api key env", "api_keys: {env: ''}", "api_keys.env"},
		{"api key scope", "api_keys: {allowed_scopes: ['has space']}", "api_keys.allowed_scopes[0]"},
		{"api key max", "api_keys: {max_per_user: 0}", "api_keys.max_per_user"},
		{"signing skew", "api_keys: {signing: {max_skew: 2h}}", "api_keys.signing.max_skew"},
		{"body cap", "api_keys: {signing: {signed_body_max_bytes: 0}}", "api_keys.signing.signed_body_max_bytes"},
		{"rate limit max", "rate_limits: {login: {max: 0, window: 1m}}", "rate_limits.login.max"},
		{"rate limit window", "rate_limits: {login: {max: 5}}", "rate_limits.login.window"},
		{"forwards_body", "verifier: {forwards_body: [nginx]}", "verifier.forwards_body[0]"},
		{"store timeout", "verifier: {store_timeout: 0s}", "verifier.store_timeout"},
		{"token cache negative entries", "verifier: {token_cache: {max_entries: -1}}", "verifier.token_cache.max_entries"},
		{"token cache absurd entries", "verifier: {token_cache: {max_entries: 10000001}}", "verifier.token_cache.max_entries"},
		{"token cache zero ttl", "verifier: {token_cache: {ttl: 0s}}", "verifier.token_cache.ttl"},
		{"token cache negative ttl", "verifier: {token_cache: {ttl: -1s}}", "verifier.token_cache.ttl"},
		{"token cache long ttl", "verifier: {token_cache: {ttl: 2h}}", "verifier.token_cache.ttl"},
		{"assertion with HS256", "verifier: {assertion: {enabled: true}}", "verifier.assertion.enabled"},
		{"header reserved", "verifier: {headers: {user: Authorization}}", "verifier.headers.user"},
		{"header duplicate", "verifier: {headers: {email: remote-user}}", "verifier.headers.email"},
		{"header invalid", "verifier: {headers: {name: 'Remote Name'}}", "verifier.headers.name"},
		{"argon threads", "passwords: {threads: 0}", "passwords.threads"},
		{"argon memory", "passwords: {memory: 8}", "passwords.memory"},
		{"password lengths", "passwords: {min_length: 20, max_length: 10}", "passwords.max_length"},
		{"hash concurrency", "passwords: {max_concurrent_hashes: -1}", "passwords.max_concurrent_hashes"},
		{"totp algorithm", "totp: {algorithm: MD5}", "totp.algorithm"},
		{"totp issuer colon", "totp: {issuer: 'a:b'}", "totp.issuer"},
		{"oauth without providers", "oauth: {enabled: true}", "oauth.providers"},
		{"oauth provider name", "oauth: {enabled: true, providers: [{name: 'Bad Name', client_id: x, client_secret: y, issuer: 'https://id.example.com'}]}", "oauth.providers[0].name"},
		{"oidc without issuer", "oauth: {enabled: true, providers: [{name: corp, client_id: x, client_secret: y}]}", "oauth.providers[0].issuer"},
		{"oidc without openid", "oauth: {enabled: true, providers: [{name: corp, client_id: x, client_secret: y, issuer: 'https://id.example.com', scopes: [email]}]}", "oauth.providers[0].scopes"},
		{"provider without secret", "oauth: {enabled: true, providers: [{name: github, client_id: x}]}", "oauth.providers[0].client_secret"},
		{"provider kind", "oauth: {enabled: true, providers: [{name: x, kind: saml, client_id: x, client_secret: y}]}", "oauth.providers[0].kind"},
		{"log level", "log: {level: loud}", "log.level"},
		{"log format", "log: {format: xml}", "log.format"},
		{"keyring active id missing", "keyrings: {totp_secrets: {keys: {k1: 'x'}}}", "keyrings.totp_secrets.active_key_id"},
		{"keyring active id unknown", "keyrings: {totp_secrets: {active_key_id: k2, keys: {k1: 'x'}}}", "keyrings.totp_secrets.active_key_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps := problems(t, load(t, tc.yml+"\n").Validate())
			if !hasError(ps, tc.path) {
				t.Errorf("no error at %s:%s", tc.path, dump(ps))
			}
		})
	}
}

func TestValidatePprofOnLoopbackIsAccepted(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:6060", "[::1]:6060"} {
		ps := problems(t, load(t, "listen: {pprof: '"+addr+"'}\n").Validate())
		if hasError(ps, "listen.pprof") {
			t.Errorf("%s refused:%s", addr, dump(ps))
		}
	}
}

func TestValidateHasNoSideEffects(t *testing.T) {
	c := load(t, prodYAML(t)+"rules:\n  - {paths: [/x], policy: deny}\n")
	c.Mode = config.ModeDevelopment
	c.Secrets.CSRF = signing.Secret{}
	before := fmt.Sprintf("%+v", *c)
	first := c.Validate()
	second := c.Validate()
	if fmt.Sprint(first) != fmt.Sprint(second) {
		t.Errorf("two runs differ:\n%v\n---\n%v", first, second)
	}
	if after := fmt.Sprintf("%+v", *c); after != before {
		t.Errorf("Validate changed the config:\n%s\n---\n%s", before, after)
	}
	if !c.Secrets.CSRF.IsZero() {
		t.Error("Validate filled a secret")
	}
}

// --- loading -------------------------------------------------------------------

func TestUnknownKeyIsAnErrorWithItsLine(t *testing.T) {
	cases := []struct {
		name, yml, want string
	}{
		{"top level", "mode: development\npublic_url: http://127.0.0.1:9092\nverifer: {}\n", "line 3"},
		{"nested", "listen:\n  verifier: 127.0.0.1:9091\n  portall: 127.0.0.1:1\n", "line 3"},
		{"in a rule", "rules:\n  - name: x\n    policy: deny\n    path: [/x]\n", "line 4"},
		{"in secrets", "secrets:\n  csrf: x\n  crsf: y\n", "line 3"},
		{"secret file typo", "secrets:\n  csrf_fil: x\n", "line 2"},
		{"in a keyring", "keyrings:\n  totp_secrets:\n    active_key: k1\n", "line 3"},
		{"unknown keyring", "keyrings:\n  totp: {}\n", "line 2"},
		{"in a provider", "oauth:\n  providers:\n    - name: x\n      client: y\n", "line 4"},
		{"duplicate key", "mode: development\nmode: production\n", "line 2"},
		{"duplicate secret", "secrets:\n  csrf: a\n  csrf: b\n", "line 3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.LoadBytes([]byte(tc.yml), t.TempDir(), nil)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %s", err, tc.want)
			}
		})
	}
}

func TestLoadRejects(t *testing.T) {
	cases := []struct {
		name string
		data []byte
	}{
		{"duration as a bare number", []byte("tokens: {access: {lifetime: 900}}\n")},
		{"bad duration", []byte("tokens: {access: {lifetime: 15 minutes}}\n")},
		{"two documents", []byte("mode: development\n---\nmode: production\n")},
		{"not a mapping", []byte("- a\n- b\n")},
		{"secrets not a mapping", []byte("secrets: [a, b]\n")},
		{"secret not a string", []byte("secrets: {csrf: [a]}\n")},
		{"too large", append([]byte("mode: development\n#"), bytes.Repeat([]byte("x"), config.MaxConfigBytes)...)},
		{"syntax", []byte("mode: [\n")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := config.LoadBytes(tc.data, t.TempDir(), nil); err == nil {
				t.Error("accepted")
			}
		})
	}
	if _, err := config.Load(filepath.Join(t.TempDir(), "missing.yaml"), nil); err == nil {
		t.Error("missing file accepted")
	}
	c, err := config.LoadBytes(nil, t.TempDir(), nil)
	if err != nil || c.Mode != config.ModeDevelopment {
		t.Errorf("empty file: %v", err)
	}
}

func TestSecretSources(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("csrf.txt", "csrf-from-file-0123456789-0123456789\n\n")
	write("token_hash.txt", "hash-from-file-0123456789-0123456789 \r\n")
	write("k2.key", fernetKeyText+"\n")
	write("redis.txt", "redis://:pw@127.0.0.1:6379/0\n")
	write("client.txt", "gh-secret\n")
	write("empty.txt", "\n \n")
	yml := `
secrets:
  csrf_file: csrf.txt
  token_hash_file: ` + filepath.Join(dir, "token_hash.txt") + `
  verify_token: inline-verify
  reset_token: inline-reset
  api_key_hash_file: csrf.txt
keyrings:
  totp_secrets:
    active_key_id: k2
    keys:
      k1: inline-k1
      k2_file: k2.key
state:
  backend: redis
  redis:
    url_file: redis.txt
oauth:
  providers:
    - name: github
      client_id: id
      client_secret_file: client.txt
tokens:
  access:
    keys: {a: keys/a.pem, b: /abs/b.pem}
`
	env := envMap(map[string]string{
		"GATEHOUSE_SECRETS_RESET_TOKEN":           "reset-from-env",
		"GATEHOUSE_SECRETS_API_KEY_HASH":          "api-key-hash-from-env",
		"GATEHOUSE_KEYRINGS_TOTP_SECRETS_K1":      "k1-from-env",
		"GATEHOUSE_DATA_DIR":                      "/var/lib/gatehouse",
		"GATEHOUSE_SECRETS_TELEMETRY":             "",
		"GATEHOUSE_OAUTH_PROVIDERS_GITHUB_CLIENT": "wrong name, unused",
	})
	cfgPath := filepath.Join(dir, "gatehouse.yaml")
	if err := os.WriteFile(cfgPath, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(cfgPath, env)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"file, relative, trailing newlines trimmed", string(c.Secrets.CSRF.Bytes()), "csrf-from-file-0123456789-0123456789"},
		{"file, absolute, trailing space and CRLF trimmed", string(c.Secrets.TokenHash.Bytes()), "hash-from-file-0123456789-0123456789"},
		{"inline", string(c.Secrets.VerifyToken.Bytes()), "inline-verify"},
		{"env wins over inline", string(c.Secrets.ResetToken.Bytes()), "reset-from-env"},
		{"env wins over file", string(c.Secrets.APIKeyHash.Bytes()), "api-key-hash-from-env"},
		{"empty env is unset", string(c.Secrets.Telemetry.Bytes()), ""},
		{"keyring key from env", c.Keyrings.TOTPSecrets.Keys["k1"], "k1-from-env"},
		{"keyring key from file", c.Keyrings.TOTPSecrets.Keys["k2"], fernetKeyText},
		{"redis url from file", c.State.Redis.URL, "redis://:pw@127.0.0.1:6379/0"},
		{"client secret from file", string(c.OAuth.Providers[0].ClientSecret.Bytes()), "gh-secret"},
		{"data dir from env", c.DataDir, "/var/lib/gatehouse"},
		{"relative key path", c.Tokens.Access.Keys["a"], filepath.Join(dir, "keys/a.pem")},
		{"absolute key path", c.Tokens.Access.Keys["b"], "/abs/b.pem"},
		{"derived provider kind", c.OAuth.Providers[0].Kind, "github"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: got %q, want %q", ck.name, ck.got, ck.want)
		}
	}
	// Messages say where a bad secret came from, never what it is.
	c.Mode = config.ModeProduction
	err = c.Validate()
	if ps := problems(t, err); !strings.Contains(fmt.Sprint(find(ps, "secrets.reset_token")), "env GATEHOUSE_SECRETS_RESET_TOKEN") {
		t.Errorf("short env secret not attributed to its variable:%s", dump(ps))
	}
	if strings.Contains(err.Error(), "reset-from-env") || strings.Contains(err.Error(), "k1-from-env") {
		t.Errorf("a secret value leaked into %q", err)
	}

	t.Run("inline and file is a problem", func(t *testing.T) {
		c := loadIn(t, dir, "secrets:\n  csrf: inline\n  csrf_file: csrf.txt\n", nil)
		if ps := problems(t, c.Validate()); !hasError(ps, "secrets.csrf") {
			t.Errorf("both inline and _file accepted:%s", dump(ps))
		}
		c = loadIn(t, dir, "keyrings: {oauth_tokens: {active_key_id: k1, keys: {k1: x, k1_file: k2.key}}}\n", nil)
		if ps := problems(t, c.Validate()); !hasError(ps, "keyrings.oauth_tokens.keys.k1") {
			t.Errorf("both inline and _file accepted for a keyring key:%s", dump(ps))
		}
	})
	t.Run("unreadable or empty file is a problem", func(t *testing.T) {
		for _, f := range []string{"missing.txt", "empty.txt", "."} {
			c := loadIn(t, dir, "secrets:\n  csrf_file: "+f+"\n", nil)
			if ps := problems(t, c.Validate()); !hasError(ps, "secrets.csrf_file") {
				t.Errorf("%s: no problem:%s", f, dump(ps))
			}
		}
	})
	t.Run("FromDefaults reads the environment", func(t *testing.T) {
		c := config.FromDefaults(envMap(map[string]string{
			"GATEHOUSE_DATA_DIR":     "/srv/gh",
			"GATEHOUSE_SECRETS_CSRF": "csrf-env",
		}))
		if c.DataDir != "/srv/gh" || string(c.Secrets.CSRF.Bytes()) != "csrf-env" {
			t.Errorf("FromDefaults: data_dir %q, csrf set %v", c.DataDir, !c.Secrets.CSRF.IsZero())
		}
		if d := config.FromDefaults(nil); d.DataDir != "./gatehouse-data" {
			t.Errorf("FromDefaults(nil).DataDir = %q", d.DataDir)
		}
	})
}

const fernetKeyText = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="

func loadIn(t *testing.T, dir, yml string, env func(string) string) *config.Config {
	t.Helper()
	c, err := config.LoadBytes([]byte(yml), dir, env)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSecretsNeverAppearInOutput(t *testing.T) {
	const (
		secret   = "SUPERSECRETVALUE-do-not-print"
		password = "redispassword-do-not-print"
	)
	yml := `
mode: production
secrets:
  csrf: "` + secret + `"
  verify_token: "` + secret + `"
keyrings:
  totp_secrets: {active_key_id: k1, keys: {k1: "` + secret + `"}}
state:
  backend: redis
  redis: {url: "redis://user:` + password + `@127.0.0.1:6379/0"}
oauth:
  enabled: true
  providers: [{name: github, client_id: id, client_secret: "` + secret + `"}]
`
	c := load(t, yml)
	outputs := map[string]string{
		"%v":  fmt.Sprintf("%v", c),
		"%+v": fmt.Sprintf("%+v", c),
		"%#v": fmt.Sprintf("%#v", *c),
		"%s":  fmt.Sprintf("%s", c.Keyrings),
	}
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json"] = string(j)
	if err := c.Validate(); err != nil {
		outputs["validate"] = err.Error()
	}
	for name, out := range outputs {
		if strings.Contains(out, secret) || strings.Contains(out, password) {
			t.Errorf("%s output contains a secret: %s", name, out)
		}
	}
	// A secret misplaced under a typed key must not come back in the
	// decoder's error.
	for _, bad := range []string{
		"trusted_hops: " + secret + "\n",
		"tokens: {access: {lifetime: " + secret + "}}\n",
		"api_keys: {enabled: " + secret + "}\n",
		"oauth: {providers: [{name: x, store_tokens: " + secret + "}]}\n",
		"secrets: {csrf: {nested: " + secret + "}}\n",
		"keyrings: {totp_secrets: " + secret + "}\n",
	} {
		_, err := config.LoadBytes([]byte(bad), t.TempDir(), nil)
		if err == nil {
			t.Errorf("accepted %q", bad)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error echoes the value: %v", err)
		}
	}
}

// --- data directory --------------------------------------------------------

func TestEnsureDataDirGeneratesOnceAndReuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	env := envMap(map[string]string{"GATEHOUSE_DATA_DIR": dir})
	c1 := config.FromDefaults(env)
	gen, err := config.EnsureDataDir(c1)
	if err != nil || !gen {
		t.Fatalf("first EnsureDataDir = %v, %v; want true, nil", gen, err)
	}
	checkMode(t, dir, 0o700)
	checkMode(t, filepath.Join(dir, config.SecretsFileName), 0o600)
	if err := c1.Validate(); err != nil {
		t.Errorf("zero-config with generated secrets has problems:\n%v", err)
	}
	for i, role := range config.SecretRoles {
		s := c1.Secrets.Get(role)
		if s.Len() < 43 {
			t.Errorf("%s: %d bytes, want >= 43", role, s.Len())
		}
		for _, other := range config.SecretRoles[:i] {
			if s.Equal(c1.Secrets.Get(other)) {
				t.Errorf("%s equals %s", role, other)
			}
		}
	}
	for _, ring := range config.KeyringNames {
		k := c1.Keyrings.Get(ring)
		if _, err := signing.NewKeyring(k.ActiveKeyID, k.Keys); err != nil || k.ActiveKeyID != "k1" {
			t.Errorf("%s: active %q, NewKeyring: %v", ring, k.ActiveKeyID, err)
		}
	}

	c2 := config.FromDefaults(env)
	gen, err = config.EnsureDataDir(c2)
	if err != nil || gen {
		t.Fatalf("second EnsureDataDir = %v, %v; want false, nil", gen, err)
	}
	for _, role := range config.SecretRoles {
		if !c1.Secrets.Get(role).Equal(c2.Secrets.Get(role)) {
			t.Errorf("%s changed between starts", role)
		}
	}
	if !reflect.DeepEqual(c1.Keyrings.TOTPSecrets.Keys, c2.Keyrings.TOTPSecrets.Keys) {
		t.Error("totp_secrets keyring changed between starts")
	}
	checkMode(t, filepath.Join(dir, config.SecretsFileName), 0o600)
}

// privDir is a temporary directory with mode 0700 whatever the umask.
func privDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %04o, want %04o", path, got, want)
	}
}

func TestEnsureDataDirKeepsConfiguredValues(t *testing.T) {
	dir := privDir(t)
	ring := fernetKey(t)
	c := load(t, "data_dir: "+dir+"\nsecrets: {csrf: configured-csrf-0123456789-0123456789}\nkeyrings: {oauth_tokens: {active_key_id: mine, keys: {mine: '"+ring+"'}}}\n")
	if _, err := config.EnsureDataDir(c); err != nil {
		t.Fatal(err)
	}
	if string(c.Secrets.CSRF.Bytes()) != "configured-csrf-0123456789-0123456789" {
		t.Error("configured secret replaced by a generated one")
	}
	if c.Keyrings.OAuthTokens.ActiveKeyID != "mine" || c.Keyrings.OAuthTokens.Keys["mine"] != ring || len(c.Keyrings.OAuthTokens.Keys) != 1 {
		t.Errorf("configured keyring changed: %v", c.Keyrings.OAuthTokens)
	}
	if c.Secrets.TokenHash.IsZero() || c.Keyrings.TOTPSecrets.IsZero() {
		t.Error("unset values not filled")
	}
}

func TestEnsureDataDirCompletesAnOlderFile(t *testing.T) {
	dir := privDir(t)
	old := "secrets:\n  csrf: kept-csrf-value-0123456789-0123456789\n"
	if err := os.WriteFile(filepath.Join(dir, config.SecretsFileName), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	c := load(t, "data_dir: "+dir+"\n")
	gen, err := config.EnsureDataDir(c)
	if err != nil || !gen {
		t.Fatalf("EnsureDataDir = %v, %v", gen, err)
	}
	if string(c.Secrets.CSRF.Bytes()) != "kept-csrf-value-0123456789-0123456789" || c.Secrets.Telemetry.IsZero() {
		t.Error("existing entry lost or missing entry not generated")
	}
	checkMode(t, filepath.Join(dir, config.SecretsFileName), 0o600)
}

func TestEnsureDataDirRefusesUnsafePermissions(t *testing.T) {
	t.Run("group-writable directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "d")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o770); err != nil {
			t.Fatal(err)
		}
		c := load(t, "data_dir: "+dir+"\n")
		if _, err := config.EnsureDataDir(c); !errors.Is(err, config.ErrUnsafeDataDir) {
			t.Errorf("err = %v, want ErrUnsafeDataDir", err)
		}
	})
	t.Run("world-readable secrets file", func(t *testing.T) {
		dir := privDir(t)
		c := load(t, "data_dir: "+dir+"\n")
		if _, err := config.EnsureDataDir(c); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, config.SecretsFileName), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := config.EnsureDataDir(load(t, "data_dir: "+dir+"\n")); !errors.Is(err, config.ErrUnsafeSecretsFile) {
			t.Errorf("err = %v, want ErrUnsafeSecretsFile", err)
		}
	})
	t.Run("symlinked secrets file", func(t *testing.T) {
		dir := privDir(t)
		target := filepath.Join(t.TempDir(), "elsewhere.yaml")
		if err := os.WriteFile(target, []byte("secrets: {}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(dir, config.SecretsFileName)); err != nil {
			t.Fatal(err)
		}
		if _, err := config.EnsureDataDir(load(t, "data_dir: "+dir+"\n")); !errors.Is(err, config.ErrUnsafeSecretsFile) {
			t.Errorf("err = %v, want ErrUnsafeSecretsFile", err)
		}
	})
	t.Run("data dir is a file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := config.EnsureDataDir(load(t, "data_dir: "+f+"\n")); err == nil {
			t.Error("accepted a file as data directory")
		}
	})
}

func TestEnsureDataDirProductionGeneratesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "prod")
	c := load(t, "mode: production\ndata_dir: "+dir+"\n")
	gen, err := config.EnsureDataDir(c)
	if err != nil || gen {
		t.Fatalf("EnsureDataDir = %v, %v", gen, err)
	}
	checkMode(t, dir, 0o700)
	if _, err := os.Stat(filepath.Join(dir, config.SecretsFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("production wrote a secrets file (stat: %v)", err)
	}
	if !c.Secrets.CSRF.IsZero() {
		t.Error("production filled a secret")
	}
}

func TestAddKeyringKey(t *testing.T) {
	dir := privDir(t)
	c := load(t, "data_dir: "+dir+"\n")
	if _, err := config.EnsureDataDir(c); err != nil {
		t.Fatal(err)
	}
	k1 := c.Keyrings.TOTPSecrets.Keys["k1"]
	for _, want := range []string{"k2", "k3"} {
		id, err := config.AddKeyringKey(dir, config.KeyringTOTPSecrets)
		if err != nil || id != want {
			t.Fatalf("AddKeyringKey = %q, %v; want %q", id, err, want)
		}
	}
	checkMode(t, filepath.Join(dir, config.SecretsFileName), 0o600)
	c2 := load(t, "data_dir: "+dir+"\n")
	if gen, err := config.EnsureDataDir(c2); err != nil || gen {
		t.Fatalf("EnsureDataDir after rotate = %v, %v", gen, err)
	}
	r := c2.Keyrings.TOTPSecrets
	if r.ActiveKeyID != "k3" || len(r.Keys) != 3 || r.Keys["k1"] != k1 {
		t.Errorf("after two rotations: active %q, ids %v, k1 kept %v", r.ActiveKeyID, r.KeyIDs(), r.Keys["k1"] == k1)
	}
	if r.Keys["k2"] == r.Keys["k3"] || r.Keys["k1"] == r.Keys["k2"] {
		t.Error("rotation reused a key")
	}
	if _, err := signing.NewKeyring(r.ActiveKeyID, r.Keys); err != nil {
		t.Errorf("rotated keyring does not build: %v", err)
	}
	if c2.Keyrings.OAuthTokens.ActiveKeyID != "k1" {
		t.Error("rotation touched another keyring")
	}
	if err := c2.Validate(); err != nil {
		t.Errorf("config after rotation has problems:\n%v", err)
	}
	if _, err := config.AddKeyringKey(dir, "nope"); err == nil {
		t.Error("unknown keyring accepted")
	}
	if _, err := config.AddKeyringKey(privDir(t), config.KeyringTOTPSecrets); !errors.Is(err, config.ErrNoSecretsFile) {
		t.Errorf("no secrets file: err = %v", err)
	}
}

func TestEnvName(t *testing.T) {
	cases := map[string][]string{
		"GATEHOUSE_SECRETS_ACCESS_TOKEN":                 {"secrets", "access_token"},
		"GATEHOUSE_KEYRINGS_TOTP_SECRETS_K1":             {"keyrings", "totp_secrets", "k1"},
		"GATEHOUSE_OAUTH_PROVIDERS_MY_IDP_CLIENT_SECRET": {"oauth", "providers", "my-idp", "client_secret"},
	}
	for want, parts := range cases {
		if got := config.EnvName(parts...); got != want {
			t.Errorf("EnvName(%v) = %q, want %q", parts, got, want)
		}
	}
}

func TestRedisURLPrintsWithoutPassword(t *testing.T) {
	cases := []struct{ url, want string }{
		{"redis://:pw-secret@127.0.0.1:6379/0", "redis://REDACTED@127.0.0.1:6379/0"},
		{"redis://user:pw-secret@127.0.0.1:6379/0?protocol=3", "redis://REDACTED@127.0.0.1:6379/0"},
		{"redis://u:pw-secret#frag@127.0.0.1/0", "[REDACTED]"},
		{"redis://u:pw-secret/x@127.0.0.1/0", "[REDACTED]"},
		{"rediss://127.0.0.1:6380/1", "rediss://127.0.0.1:6380/1"},
		{"unix:///run/redis.sock", "unix:///run/redis.sock"},
	}
	for _, tc := range cases {
		r := config.Redis{URL: tc.url}
		got := fmt.Sprintf("%v", r)
		if !strings.Contains(got, "url:"+tc.want+" ") || strings.Contains(got, "pw-secret") {
			t.Errorf("%q prints as %s, want url:%s", tc.url, got, tc.want)
		}
		j, _ := json.Marshal(r)
		if strings.Contains(string(j), "pw-secret") {
			t.Errorf("%q: JSON %s shows the password", tc.url, j)
		}
	}
}
