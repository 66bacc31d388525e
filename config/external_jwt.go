package config

import (
	"errors"
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// ExternalJWT lists the external token issuers whose JWTs the verifier
// accepts as the credential kind external_jwt (README "Machine-to-machine
// tokens", docs/design.md "External issuers"). Empty: the kind never
// matches.
type ExternalJWT struct {
	Issuers []ExternalIssuer `yaml:"issuers"`
}

// Presets of external_jwt.issuers[].preset.
const (
	PresetGitHubActions = "github-actions"
	PresetKubernetes    = "kubernetes"
)

// GitHubActionsIssuer is the iss of GitHub Actions OIDC tokens.
const GitHubActionsIssuer = "https://token.actions.githubusercontent.com"

// ExternalIssuer is one trusted issuer. A preset fills the fields it knows
// (at load, in applyDerivedDefaults) unless they are written out.
type ExternalIssuer struct {
	// Preset is "", "github-actions" or "kubernetes".
	Preset string `yaml:"preset"`
	// Issuer is the tokens' exact iss.
	Issuer string `yaml:"issuer"`
	// Discovery reads jwks_uri from <issuer>/.well-known/openid-configuration;
	// exactly one of Discovery and JWKSURL is set.
	Discovery bool   `yaml:"discovery"`
	JWKSURL   string `yaml:"jwks_url"`
	// Audiences: a token is accepted when its aud names at least one.
	Audiences []string `yaml:"audiences"`
	// Algorithms is the allow-list of JWS algs (default RS256, ES256,
	// EdDSA; never none or HS*).
	Algorithms []string `yaml:"algorithms"`
	// Leeway is the clock skew allowed on exp, nbf and iat (default 30 s).
	Leeway time.Duration `yaml:"leeway"`
	// MaxLifetime refuses tokens whose exp - iat is longer (default 24 h;
	// iat is then required). Zero after defaults means no limit is
	// impossible: the default applies.
	MaxLifetime time.Duration `yaml:"max_lifetime"`
	// RequiredClaims must be present (any value).
	RequiredClaims []string `yaml:"required_claims"`

	// The mapping to an identity. A claim name that starts with '/' is a
	// JSON Pointer (RFC 6901) into the claims, for nested claims such as
	// "/kubernetes.io/namespace".
	SubjectClaim string `yaml:"subject_claim"` // default "sub"
	NameClaim    string `yaml:"name_claim"`
	EmailClaim   string `yaml:"email_claim"`
	GroupsClaim  string `yaml:"groups_claim"` // string or array of strings
	ScopesClaim  string `yaml:"scopes_claim"` // space-separated string or array

	// JWKS bounds the key-set fetches and their cache.
	JWKS JWKSFetch `yaml:"jwks"`
}

// JWKSFetch configures how one issuer's key set is fetched and cached.
type JWKSFetch struct {
	// MinTTL and MaxTTL clamp the lifetime the endpoint's Cache-Control
	// gives (default 5 min / 24 h).
	MinTTL time.Duration `yaml:"min_ttl"`
	MaxTTL time.Duration `yaml:"max_ttl"`
	// StaleFor is how long a set stays usable past its lifetime while the
	// endpoint fails (default 1 h); then the issuer fails closed (503).
	StaleFor time.Duration `yaml:"stale_for"`
	// Timeout bounds one request (default 5 s).
	Timeout time.Duration `yaml:"timeout"`
	// MaxBytes bounds a response body (default 256 KiB).
	MaxBytes int64 `yaml:"max_bytes"`
}

// ClaimValues is the value of one entry of a rule's claims: a single
// string or a list; a value starting with '~' is a regular expression
// (RE2, anchored by the writer) matched against the claim.
type ClaimValues []string

// UnmarshalYAML accepts a scalar or a sequence of scalars.
func (c *ClaimValues) UnmarshalYAML(n *yaml.Node) error {
	n = deref(n)
	if n == nil {
		return errors.New("a claim value is a string or a list of strings, not an alias loop")
	}
	switch n.Kind {
	case yaml.ScalarNode:
		*c = ClaimValues{n.Value}
		return nil
	case yaml.SequenceNode:
		out := make(ClaimValues, 0, len(n.Content))
		for _, e := range n.Content {
			e = deref(e)
			if e == nil || e.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: a claim value is a string or a list of strings", n.Line)
			}
			out = append(out, e.Value)
		}
		*c = out
		return nil
	}
	return fmt.Errorf("line %d: a claim value is a string or a list of strings", n.Line)
}
