package verifier

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/jwks"
	"github.com/gatehouse/gatehouse/signing"
)

// ExternalKeys is where the verifier finds an external issuer's signature
// keys; *jwks.Source implements it. Key must not block or allocate.
type ExternalKeys interface {
	Key(kid, alg string) (*jwks.Key, error)
}

// ExternalIssuer is one trusted external issuer (README "Machine-to-machine
// tokens"): its configuration, with presets and defaults applied by
// config.Load, and its key source.
type ExternalIssuer struct {
	Config config.ExternalIssuer
	Keys   ExternalKeys
}

// Bounds of external tokens (docs/design.md "External issuers").
const (
	// maxExternalTokenLen bounds a compact external token; longer ones are
	// refused before any decoding.
	maxExternalTokenLen = 6144
	// defaultMaxLifetime applies when an issuer's MaxLifetime is zero.
	defaultMaxLifetime = 24 * time.Hour
	// externalWarnEvery spaces the log lines of an issuer whose keys are
	// unavailable.
	externalWarnEvery = 10 * time.Second
)

// extIssuer is an ExternalIssuer compiled for the hot path.
type extIssuer struct {
	iss       string
	keys      ExternalKeys
	parser    *jwt.Parser // nil: no usable algorithm, every token is refused
	audiences []string
	leeway    int64 // seconds
	maxLife   int64 // seconds
	required  []claimPath
	subject   claimPath
	name      claimPath // zero: not mapped
	email     claimPath
	groups    claimPath
	scopes    claimPath
	lastWarn  atomic.Int64 // unix nanoseconds of the last keys-unavailable log line
}

// compileExternal checks and compiles the issuers. ownIssuer is the iss of
// gatehouse's own access tokens ("" when none are accepted): an external
// issuer of that name could never be reached.
func compileExternal(in []ExternalIssuer, ownIssuer string) ([]*extIssuer, []string) {
	var out []*extIssuer
	var problems []string
	seen := map[string]bool{}
	for i, e := range in {
		c := e.Config
		bad := func(msg string) {
			problems = append(problems, fmt.Sprintf("external issuer %d (%q): %s", i, c.Issuer, msg))
		}
		switch {
		case c.Issuer == "":
			bad("issuer is required")
			continue
		case c.Issuer == ownIssuer:
			bad("issuer is gatehouse's own issuer")
			continue
		case seen[c.Issuer]:
			bad("issuer listed twice")
			continue
		case e.Keys == nil:
			bad("no key source")
			continue
		case len(c.Audiences) == 0:
			bad("at least one audience is required")
			continue
		}
		seen[c.Issuer] = true
		x := &extIssuer{iss: c.Issuer, keys: e.Keys, audiences: append([]string(nil), c.Audiences...)}
		if c.Leeway > 0 {
			x.leeway = int64(c.Leeway / time.Second)
		}
		x.maxLife = int64(defaultMaxLifetime / time.Second)
		if c.MaxLifetime > 0 {
			x.maxLife = int64(c.MaxLifetime / time.Second)
		}
		if algs := signatureAlgs(c.Algorithms); len(algs) > 0 {
			x.parser = jwt.NewParser(jwt.WithValidMethods(algs), jwt.WithJSONNumber(),
				jwt.WithStrictDecoding(), jwt.WithoutClaimsValidation())
		}
		var err error
		compile := func(dst *claimPath, name string) {
			if name == "" || err != nil {
				return
			}
			*dst, err = compileClaimPath(name)
		}
		sub := c.SubjectClaim
		if sub == "" {
			sub = "sub"
		}
		compile(&x.subject, sub)
		compile(&x.name, c.NameClaim)
		compile(&x.email, c.EmailClaim)
		compile(&x.groups, c.GroupsClaim)
		compile(&x.scopes, c.ScopesClaim)
		for _, r := range c.RequiredClaims {
			var p claimPath
			compile(&p, r)
			x.required = append(x.required, p)
		}
		if err != nil {
			bad(err.Error())
			continue
		}
		out = append(out, x)
	}
	return out, problems
}

// signatureAlgs is the issuer's allow-list less anything that is not an
// asymmetric signature algorithm jwks has keys for: none and HS* are never
// accepted from an external issuer, whatever the configuration says.
func signatureAlgs(in []string) []string {
	var out []string
	for _, a := range in {
		switch a {
		case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA":
			out = append(out, a)
		}
	}
	return out
}

// externalFor returns the configured issuer named iss, or nil.
func (v *Verifier) externalFor(iss []byte) *extIssuer {
	for _, x := range v.ext {
		if string(iss) == x.iss {
			return x
		}
	}
	return nil
}

// routeExternal picks the verifier of a bearer token by its unverified iss
// (docs/design.md "External issuers"): a configured external issuer's is
// checked here; gatehouse's own iss, or none readable, is left to the own
// JWT verifier (external false); any other iss is refused.
func (v *Verifier) routeExternal(s *scratch, token []byte, now int64) (kind CredentialKind, r Reason, external bool) {
	iss, ok := signing.PeekIssuer(token, s.peek[:])
	if !ok || (v.jwt != nil && string(iss) == v.jwt.Issuer()) {
		return KindJWT, ReasonNone, false
	}
	x := v.externalFor(iss)
	if x == nil {
		return KindExternalJWT, ReasonAuthenticationFailed, true
	}
	return KindExternalJWT, v.checkExternal(s, x, token, now), true
}
