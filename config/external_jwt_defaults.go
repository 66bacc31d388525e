package config

import (
	"time"

	"github.com/gatehouse/gatehouse/internal/jwks"
)

// Defaults of external_jwt.issuers[] (config/reference.md "external_jwt").
// The key-set bounds are internal/jwks's, so the config and the key source
// agree on them.
const (
	DefaultExternalLeeway      = 30 * time.Second
	DefaultExternalMaxLifetime = 24 * time.Hour
	DefaultExternalSubject     = "sub"
	DefaultJWKSMaxBytes        = jwks.DefaultMaxBody
	DefaultJWKSTimeout         = jwks.DefaultTimeout
	DefaultJWKSMinTTL          = jwks.DefaultMinTTL
	DefaultJWKSMaxTTL          = jwks.DefaultMaxTTL
	DefaultJWKSStaleFor        = jwks.DefaultStaleFor
)

// KubernetesNameClaim is the kubernetes preset's name_claim: the service
// account's name inside the token's "kubernetes.io" claim.
const KubernetesNameClaim = "/kubernetes.io/serviceaccount/name"

// DefaultExternalAlgorithms is the algorithms of an issuer without a preset.
func DefaultExternalAlgorithms() []string { return []string{"RS256", "ES256", "EdDSA"} }

// writtenIssuer records which keys of one external_jwt.issuers[] entry the
// file writes out, so a written zero (leeway: 0s, discovery: false) is kept
// and judged by Validate rather than replaced by a default.
type writtenIssuer struct {
	Discovery   *bool          `yaml:"discovery"`
	Leeway      *time.Duration `yaml:"leeway"`
	MaxLifetime *time.Duration `yaml:"max_lifetime"`
	JWKS        struct {
		MinTTL   *time.Duration `yaml:"min_ttl"`
		MaxTTL   *time.Duration `yaml:"max_ttl"`
		StaleFor *time.Duration `yaml:"stale_for"`
		Timeout  *time.Duration `yaml:"timeout"`
		MaxBytes *int64         `yaml:"max_bytes"`
	} `yaml:"jwks"`
}

// ApplyDefaults fills what e's preset sets and then the defaults of every
// issuer, leaving every field that is already set. Load calls it for each
// configured issuer (keeping written zeros); callers that build an
// ExternalIssuer in code may call it too.
func (e *ExternalIssuer) ApplyDefaults() { e.applyDefaults(writtenIssuer{}) }

func (e *ExternalIssuer) applyDefaults(w writtenIssuer) {
	setStr := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	setList := func(p *[]string, v ...string) {
		if len(*p) == 0 {
			*p = v
		}
	}
	setDur := func(p *time.Duration, written *time.Duration, v time.Duration) {
		if *p == 0 && written == nil {
			*p = v
		}
	}
	discovery := func() {
		if w.Discovery == nil && e.JWKSURL == "" {
			e.Discovery = true
		}
	}
	switch e.Preset {
	case PresetGitHubActions:
		setStr(&e.Issuer, GitHubActionsIssuer)
		discovery()
		setList(&e.Algorithms, "RS256")
	case PresetKubernetes:
		// The issuer is the cluster's (--service-account-issuer): no default.
		discovery()
		setList(&e.Algorithms, "RS256", "ES256")
		setStr(&e.NameClaim, KubernetesNameClaim)
	}
	setList(&e.Algorithms, DefaultExternalAlgorithms()...)
	setStr(&e.SubjectClaim, DefaultExternalSubject)
	setDur(&e.Leeway, w.Leeway, DefaultExternalLeeway)
	setDur(&e.MaxLifetime, w.MaxLifetime, DefaultExternalMaxLifetime)
	j := &e.JWKS
	setDur(&j.MinTTL, w.JWKS.MinTTL, DefaultJWKSMinTTL)
	setDur(&j.MaxTTL, w.JWKS.MaxTTL, DefaultJWKSMaxTTL)
	setDur(&j.StaleFor, w.JWKS.StaleFor, DefaultJWKSStaleFor)
	setDur(&j.Timeout, w.JWKS.Timeout, DefaultJWKSTimeout)
	if j.MaxBytes == 0 && w.JWKS.MaxBytes == nil {
		j.MaxBytes = DefaultJWKSMaxBytes
	}
}

// applyExternalJWTDefaults applies presets and defaults to every issuer;
// written[i] says which keys issuers[i] writes out (shorter than the list
// when the file's shape could not be read twice: then nothing counts as
// written).
func (c *Config) applyExternalJWTDefaults(written []writtenIssuer) {
	for i := range c.ExternalJWT.Issuers {
		var w writtenIssuer
		if i < len(written) {
			w = written[i]
		}
		c.ExternalJWT.Issuers[i].applyDefaults(w)
	}
}
