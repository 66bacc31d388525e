package serve

import (
	"github.com/gatehouse/gatehouse/internal/accounts"
	"io"
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/coherence"
	"github.com/gatehouse/gatehouse/internal/jwks"
	"github.com/gatehouse/gatehouse/keystore/memory"
	"github.com/gatehouse/gatehouse/metrics"
	"github.com/gatehouse/gatehouse/signing"
	"github.com/gatehouse/gatehouse/verifier"
)

// Options the mapping leaves at their zero value on purpose; every other
// field must be filled from a config that turns every feature on. A new
// field in verifier.Options or loginui.Options (or in their nested option
// structs) fails this test until it is mapped in options.go or listed
// here with the reason.
var (
	verifierUnmapped = map[string]string{
		"CacheTTL":         "no config key; verifier.DefaultCacheTTL",
		"CacheEntries":     "no config key; verifier.DefaultCacheEntries",
		"Now":              "tests only; time.Now",
		"Assertion.Issuer": "defaults to public_url",
	}
	portalUnmapped = map[string]string{
		"TokenLifetime":               "no config key; 1h",
		"SessionTouch":                "no config key; 1m",
		"PasswordParams":              "Hasher is given instead",
		"LocalLimiterMaxKeys":         "Counters is always given",
		"Lockout":                     "no config key; off",
		"RegistrationDisabled":        "no config key",
		"Now":                         "tests only; time.Now",
		"MinResponseTime":             "no config key; 250ms",
		"SecondStep":                  "hook for Go embedders; TOTP is built in",
		"AccountSections":             "hook for Go embedders",
		"OAuth.HTTPClient":            "default client with a 10 s timeout",
		"OAuth.Providers[0].AuthURL":  "endpoint overrides are for tests and GitHub Enterprise; no config key",
		"OAuth.Providers[0].TokenURL": "as AuthURL",
		"OAuth.Providers[0].APIBase":  "as AuthURL",
	}
)

// fullConfig is a development config with every mapped feature on.
func fullConfig(t *testing.T) (*config.Config, *app.Core) {
	t.Helper()
	dir := t.TempDir()
	keys := map[string]string{}
	for _, kid := range []string{"k1", "k2"} {
		_, pemBytes, err := signing.GenerateEd25519Key(kid)
		if err != nil {
			t.Fatal(err)
		}
		keys[kid] = filepath.Join(dir, kid+".pem")
		writeFile(t, keys[kid], string(pemBytes))
	}
	cfg := config.FromDefaults(noEnv)
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Passwords.Memory, cfg.Passwords.Time, cfg.Passwords.Threads = 1024, 1, 1
	cfg.Cookie.Domain = "example.test"
	cfg.PublicURL = "https://auth.example.test" // passkeys need a domain name
	cfg.Rules = []config.Rule{{Name: "everyone", Policy: config.PolicyAuthenticated}}
	cfg.Verifier.ForwardsBody = []string{"envoy"}
	cfg.Verifier.Assertion.Enabled = true
	cfg.APIKeys.AllowedScopes = []string{"read"}
	cfg.Tokens.Access.Algorithm = "EdDSA"
	cfg.Tokens.Access.Keys = keys
	cfg.Tokens.Access.ActiveKID = "k2"
	cfg.Email.Hook = config.EmailHookNone
	cfg.OAuth.Enabled = true
	cfg.OAuth.Providers = []config.OAuthProvider{{
		Name:                       "corp",
		Kind:                       "oidc",
		DisplayName:                "Corp",
		Issuer:                     "https://idp.example.test",
		ClientID:                   "gatehouse",
		ClientSecret:               signing.NewSecret([]byte("not-a-real-secret-0123456789")),
		Scopes:                     []string{"openid"},
		TrustProviderEmailVerified: true,
		AssociateByEmail:           true,
		StoreTokens:                true,
	}}
	cfg.ExternalJWT.Issuers = []config.ExternalIssuer{{
		Issuer:    "https://ci.example.test",
		JWKSURL:   "https://ci.example.test/jwks",
		Audiences: []string{"gatehouse"},
	}}
	cfg.ExternalJWT.Issuers[0].ApplyDefaults()
	if _, err := config.EnsureDataDir(cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Secrets.Telemetry = signing.NewSecret([]byte("telemetry-secret-0123456789-0123456789"))
	if err := app.Validate(cfg, io.Discard); err != nil {
		t.Fatal(err)
	}
	cr, err := app.BuildCrypto(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, &app.Core{Crypto: cr, Cfg: cfg, Store: coherence.Store{}}
}

func fullWiring(t *testing.T, cfg *config.Config) wired {
	t.Helper()
	shared := memory.New(memory.Options{MaxEntries: 10})
	k, _, err := signing.GenerateEd25519Key("assertion-1")
	if err != nil {
		t.Fatal(err)
	}
	// The key sources as New builds them, without their first fetch.
	var external []verifier.ExternalIssuer
	for _, ic := range cfg.ExternalJWT.Issuers {
		src, err := jwks.New(app.JWKSOptions(ic, cfg.IsProduction(), jwksClient(cfg.ExternalJWT.Issuers)))
		if err != nil {
			t.Fatal(err)
		}
		external = append(external, verifier.ExternalIssuer{Config: ic, Keys: src})
	}
	return wired{
		external:     external,
		trusted:      []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		deny:         shared,
		shared:       shared,
		nonces:       memory.New(memory.Options{MaxEntries: 10}),
		accounts:     accounts.New(accounts.Config{}),
		jwks:         []byte(`{"keys":[]}`),
		assertion:    assertionOptions(cfg, k),
		log:          zerolog.New(io.Discard),
		metrics:      metrics.New(),
		store:        coherence.Store{},
		portalDeny:   shared,
		setupToken:   "setup-token",
		setupExpires: time.Now().Add(time.Hour),
	}
}

// zeroFields lists the fields of an options struct left at their zero
// value, descending into the option structs of the verifier and the
// portal (and into the first element of a slice of them).
func zeroFields(v reflect.Value, prefix string) []string {
	var out []string
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		if !sf.IsExported() {
			continue
		}
		name := prefix + sf.Name
		switch {
		case f.Kind() == reflect.Pointer && !f.IsNil() && isOptionStruct(f.Type().Elem()):
			out = append(out, zeroFields(f.Elem(), name+".")...)
		case f.Kind() == reflect.Struct && isOptionStruct(f.Type()):
			out = append(out, zeroFields(f, name+".")...)
		case f.Kind() == reflect.Slice && f.Len() > 0 && isOptionStruct(f.Type().Elem()):
			out = append(out, zeroFields(f.Index(0), name+"[0].")...)
		case f.IsZero():
			out = append(out, name)
		}
	}
	return out
}

// isOptionStruct: the option structs nested in verifier.Options and
// loginui.Options, including those its feature packages define
// (loginui/totp.Options as loginui.TOTPOptions); plain values such as
// loginui.RateLimit are leaves.
func isOptionStruct(t reflect.Type) bool {
	if t.Kind() != reflect.Struct || !(strings.HasSuffix(t.PkgPath(), "/verifier") || strings.HasSuffix(t.PkgPath(), "/loginui") || strings.Contains(t.PkgPath(), "/loginui/")) {
		return false
	}
	return strings.HasSuffix(t.Name(), "Options") || slices.Contains([]string{"Secrets", "HeaderNames", "OAuthProvider", "Provider"}, t.Name())
}

func checkMapped(t *testing.T, what string, opts any, unmapped map[string]string) {
	t.Helper()
	zero := zeroFields(reflect.ValueOf(opts), "")
	for _, f := range zero {
		if _, ok := unmapped[f]; !ok {
			t.Errorf("%s.%s is not filled from the config: map it in options.go or list it as unmapped, with the reason", what, f)
		}
	}
	for f := range unmapped {
		if !slices.Contains(zero, f) {
			t.Errorf("%s.%s is listed as unmapped but is filled: drop it from the list", what, f)
		}
	}
}

// TestEveryVerifierOptionIsMappedOrListed: see verifierUnmapped.
func TestEveryVerifierOptionIsMappedOrListed(t *testing.T) {
	cfg, c := fullConfig(t)
	checkMapped(t, "verifier.Options", verifierOptions(cfg, c, fullWiring(t, cfg)), verifierUnmapped)
}

// TestEveryPortalOptionIsMappedOrListed: see portalUnmapped.
func TestEveryPortalOptionIsMappedOrListed(t *testing.T) {
	cfg, c := fullConfig(t)
	checkMapped(t, "loginui.Options", portalOptions(cfg, c, fullWiring(t, cfg)), portalUnmapped)
}

// TestOptionsCarryTheConfiguredValues spot-checks fields that are easy to
// cross (two strings, two secrets, two keyrings side by side).
func TestOptionsCarryTheConfiguredValues(t *testing.T) {
	cfg, c := fullConfig(t)
	w := fullWiring(t, cfg)
	v := verifierOptions(cfg, c, w)
	p := portalOptions(cfg, c, w)
	checks := []struct {
		name      string
		got, want any
	}{
		{"verifier CookieName", v.CookieName, cfg.Cookie.Name},
		{"verifier CookieDomain", v.CookieDomain, cfg.Cookie.Domain},
		{"verifier TokenHashKey", v.TokenHashKey, cfg.Secrets.TokenHash},
		{"verifier APIKeyHashKey", v.APIKeyHashKey, cfg.Secrets.APIKeyHash},
		{"verifier SigningKeyring", v.SigningKeyring, c.Keyrings["api_key_signing"]},
		{"verifier Headers.UserID", v.Headers.UserID, cfg.Verifier.Headers.UserID},
		{"verifier Headers.Email", v.Headers.Email, cfg.Verifier.Headers.Email},
		{"verifier Headers.Issuer", v.Headers.Issuer, cfg.Verifier.Headers.Issuer},
		{"verifier ExternalIssuers[0].Config", v.ExternalIssuers[0].Config, cfg.ExternalJWT.Issuers[0]},
		{"verifier ExternalIssuers[0].Keys", v.ExternalIssuers[0].Keys, w.external[0].Keys},
		{"portal CookieName", p.CookieName, cfg.Cookie.Name},
		{"portal CookieDomain", p.CookieDomain, cfg.Cookie.Domain},
		{"portal Secrets.VerifyToken", p.Secrets.VerifyToken, cfg.Secrets.VerifyToken},
		{"portal Secrets.ResetToken", p.Secrets.ResetToken, cfg.Secrets.ResetToken},
		{"portal Secrets.TOTPPending", p.Secrets.TOTPPending, cfg.Secrets.TOTPPending},
		{"portal Secrets.RecoveryCodeLookup", p.Secrets.RecoveryCodeLookup, cfg.Secrets.RecoveryCodeLookup},
		{"portal TOTP.Keyring", p.TOTP.Keyring, c.Keyrings["totp_secrets"]},
		{"portal APIKeyConfig.SigningKeyring", p.APIKeyConfig.SigningKeyring, c.Keyrings["api_key_signing"]},
		{"portal OAuth.TokensKeyring", p.OAuth.TokensKeyring, c.Keyrings["oauth_tokens"]},
		{"portal AccessActiveKID", p.AccessActiveKID, "k2"},
		{"portal SessionLifetime", p.SessionLifetime, cfg.Tokens.Session.Lifetime},
		{"portal RefreshLifetime", p.RefreshLifetime, cfg.Tokens.Refresh.Lifetime},
		{"portal RateLimits[login]", p.RateLimits["login"].Max, cfg.RateLimits["login"].Max},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}
