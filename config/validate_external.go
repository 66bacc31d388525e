package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/jwks"
)

// Bounds of external_jwt (config/reference.md "external_jwt").
const (
	maxExternalIssuers     = 64
	maxExternalListLen     = 64 // audiences, algorithms, required_claims
	maxClaimNameBytes      = 256
	maxExternalLeeway      = 5 * time.Minute
	maxExternalMaxLifetime = 8760 * time.Hour
	maxJWKSTTL             = 7 * 24 * time.Hour
	maxJWKSStaleFor        = 7 * 24 * time.Hour
	maxJWKSTimeout         = time.Minute
	minJWKSMaxBytes        = 1 << 10
	maxJWKSMaxBytes        = 8 << 20
)

// ExternalAlgorithms is the allow-list of JWS algorithms an external
// issuer may use: the asymmetric ones internal/jwks has keys for. ES512
// (P-521) is not among them because the key source does not read P-521
// keys, so a config naming it could never verify a token.
var ExternalAlgorithms = []string{
	"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
}

// ExternalAlgorithmProblem explains why alg may not appear in an external
// issuer's algorithms, or returns "" when it may. none and the HMAC
// algorithms are refused: an HS* token "signed" with the issuer's public
// key would verify against it (algorithm confusion).
func ExternalAlgorithmProblem(alg string) string {
	up := strings.ToUpper(alg)
	switch {
	case alg == "":
		return "an algorithm must not be empty"
	case up == "NONE":
		return `"none" accepts unsigned tokens and is never allowed`
	case strings.HasPrefix(up, "HS"):
		return fmt.Sprintf("%q is a shared-secret (HMAC) algorithm and is never allowed for an external issuer: its public key would become the secret", alg)
	}
	for _, a := range ExternalAlgorithms {
		if alg == a {
			return ""
		}
		if strings.EqualFold(alg, a) {
			return fmt.Sprintf("write %q as %s", alg, a)
		}
	}
	return fmt.Sprintf("%q is not one of %s", alg, strings.Join(ExternalAlgorithms, ", "))
}

// ClaimNameProblem explains why name is not a claim name, or returns "":
// a top-level claim ("sub", "repository") or, starting with '/', a JSON
// Pointer (RFC 6901) such as "/kubernetes.io/namespace", where "~0" stands
// for '~' and "~1" for '/'. Empty pointer segments are refused as
// mistakes.
func ClaimNameProblem(name string) string {
	switch {
	case name == "":
		return "a claim name must not be empty"
	case len(name) > maxClaimNameBytes:
		return fmt.Sprintf("a claim name is at most %d bytes", maxClaimNameBytes)
	case !utf8.ValidString(name):
		return "a claim name must be UTF-8"
	}
	for i := 0; i < len(name); i++ {
		if name[i] < ' ' || name[i] == 0x7f {
			return "a claim name must not contain control characters"
		}
	}
	if name[0] != '/' {
		return ""
	}
	for _, seg := range strings.Split(name[1:], "/") {
		if seg == "" {
			return fmt.Sprintf("JSON Pointer %q has an empty segment", name)
		}
		for i := 0; i < len(seg); i++ {
			if seg[i] == '~' && (i+1 == len(seg) || seg[i+1] != '0' && seg[i+1] != '1') {
				return fmt.Sprintf("JSON Pointer %q: '~' must be followed by 0 or 1 (~0 is '~', ~1 is '/')", name)
			}
		}
	}
	return ""
}

// ownIssuer is the iss of gatehouse's own access tokens.
func (c *Config) ownIssuer() string { return strings.TrimSuffix(c.PublicURL, "/") }

// externalIssuers returns the configured issuers' iss values.
func (c *Config) externalIssuers() map[string]bool {
	m := make(map[string]bool, len(c.ExternalJWT.Issuers))
	for _, e := range c.ExternalJWT.Issuers {
		if e.Issuer != "" {
			m[e.Issuer] = true
		}
	}
	return m
}

func (v *validator) externalJWT() {
	iss := v.c.ExternalJWT.Issuers
	if len(iss) > maxExternalIssuers {
		v.errf("external_jwt.issuers", "lists more than %d issuers", maxExternalIssuers)
		return
	}
	seen := make(map[string]int, len(iss))
	for i := range iss {
		path := fmt.Sprintf("external_jwt.issuers[%d]", i)
		e := &iss[i]
		v.externalIssuer(path, e)
		if e.Issuer == "" {
			continue
		}
		if j, dup := seen[e.Issuer]; dup {
			v.errf(path+".issuer", "%q is also external_jwt.issuers[%d]; each issuer is listed once", e.Issuer, j)
		} else {
			seen[e.Issuer] = i
		}
	}
}

func (v *validator) externalIssuer(path string, e *ExternalIssuer) {
	switch e.Preset {
	case "", PresetGitHubActions, PresetKubernetes:
	default:
		v.errf(path+".preset", "%q is not a preset; known: %s, %s", e.Preset, PresetGitHubActions, PresetKubernetes)
	}
	allowHTTP := !v.prod
	switch {
	case e.Issuer == "" && e.Preset == PresetKubernetes:
		v.errf(path+".issuer", "the kubernetes preset needs the cluster's issuer (kube-apiserver --service-account-issuer)")
	case e.Issuer == "":
		v.errf(path+".issuer", "is required: the tokens' exact iss")
	default:
		if msg := externalURLProblem(e.Issuer, jwks.CheckIssuer(e.Issuer, allowHTTP)); msg != "" {
			v.errf(path+".issuer", "%s", msg)
		} else if own := v.c.ownIssuer(); own != "" && strings.TrimSuffix(e.Issuer, "/") == own {
			v.errf(path+".issuer", "is gatehouse's own access-token issuer (public_url); its tokens are verified as jwt, never as external_jwt")
		}
	}
	switch {
	case e.Discovery && e.JWKSURL != "":
		v.errf(path+".jwks_url", "set either discovery: true or jwks_url, not both")
	case !e.Discovery && e.JWKSURL == "":
		v.errf(path+".discovery", "set discovery: true (jwks_uri from <issuer>/.well-known/openid-configuration) or jwks_url")
	case e.JWKSURL != "":
		if msg := externalURLProblem(e.JWKSURL, jwks.CheckURL(e.JWKSURL, allowHTTP)); msg != "" {
			v.errf(path+".jwks_url", "%s", msg)
		}
	}
	if len(e.Audiences) == 0 {
		v.errf(path+".audiences", "at least one audience is required: a token is accepted only when its aud names one")
	}
	v.externalList(path+".audiences", e.Audiences, func(a string) string {
		if strings.TrimSpace(a) == "" {
			return "an audience must not be empty"
		}
		return ""
	})
	if len(e.Algorithms) == 0 {
		v.errf(path+".algorithms", "must list at least one algorithm")
	}
	v.externalList(path+".algorithms", e.Algorithms, ExternalAlgorithmProblem)
	v.externalList(path+".required_claims", e.RequiredClaims, ClaimNameProblem)
	if e.SubjectClaim == "" {
		v.errf(path+".subject_claim", "must name the claim that becomes Remote-User")
	}
	for _, c := range []struct{ key, name string }{
		{"subject_claim", e.SubjectClaim}, {"name_claim", e.NameClaim}, {"email_claim", e.EmailClaim},
		{"groups_claim", e.GroupsClaim}, {"scopes_claim", e.ScopesClaim},
	} {
		if c.name == "" {
			continue
		}
		if msg := ClaimNameProblem(c.name); msg != "" {
			v.errf(path+"."+c.key, "%s", msg)
		}
	}
	switch {
	case e.Leeway < 0:
		v.errf(path+".leeway", "must not be negative")
	case e.Leeway > maxExternalLeeway:
		v.errf(path+".leeway", "must be at most %s", maxExternalLeeway)
	}
	switch {
	case e.MaxLifetime <= 0:
		v.errf(path+".max_lifetime", "must be a positive duration such as 1h")
	case e.MaxLifetime > maxExternalMaxLifetime:
		v.errf(path+".max_lifetime", "must be at most %s", maxExternalMaxLifetime)
	}
	v.jwksFetch(path+".jwks", e.JWKS)
}

func (v *validator) jwksFetch(path string, j JWKSFetch) {
	// A zero would be taken as "use the default" by the key source, so a
	// written zero is refused rather than silently changed.
	minOK := false
	switch {
	case j.MinTTL <= 0:
		v.errf(path+".min_ttl", "must be a positive duration such as 5m")
	case j.MinTTL > maxJWKSTTL:
		v.errf(path+".min_ttl", "must be at most %s", maxJWKSTTL)
	default:
		minOK = true
	}
	switch {
	case j.MaxTTL <= 0:
		v.errf(path+".max_ttl", "must be a positive duration such as 24h")
	case j.MaxTTL > maxJWKSTTL:
		v.errf(path+".max_ttl", "must be at most %s: a key the issuer removed stays trusted until the next fetch", maxJWKSTTL)
	case minOK && j.MaxTTL < j.MinTTL:
		v.errf(path+".max_ttl", "must not be below min_ttl (%s)", j.MinTTL)
	}
	switch {
	case j.StaleFor < 0:
		v.errf(path+".stale_for", "must not be negative")
	case j.StaleFor == 0:
		v.errf(path+".stale_for", "0 would mean the default (1h) to the key source; write a short duration such as 1s to fail closed almost at once")
	case j.StaleFor > maxJWKSStaleFor:
		v.errf(path+".stale_for", "must be at most %s", maxJWKSStaleFor)
	}
	if j.Timeout <= 0 || j.Timeout > maxJWKSTimeout {
		v.errf(path+".timeout", "must be a positive duration of at most %s", maxJWKSTimeout)
	}
	if j.MaxBytes < minJWKSMaxBytes || j.MaxBytes > maxJWKSMaxBytes {
		v.errf(path+".max_bytes", "must be from %d (1 KiB) to %d (8 MiB)", minJWKSMaxBytes, maxJWKSMaxBytes)
	}
}

// externalList checks each entry with problem and refuses duplicates and
// overlong lists.
func (v *validator) externalList(path string, list []string, problem func(string) string) {
	if len(list) > maxExternalListLen {
		v.errf(path, "lists more than %d entries", maxExternalListLen)
		return
	}
	seen := make(map[string]bool, len(list))
	for i, s := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		if msg := problem(s); msg != "" {
			v.errf(p, "%s", msg)
		} else if seen[s] {
			v.errf(p, "%q is listed twice", s)
		}
		seen[s] = true
	}
}

// externalURLProblem turns an internal/jwks URL error (the one home of
// the issuer and jwks_url rules) into a config message. The URL itself is
// left out: one with userinfo may carry a password.
func externalURLProblem(raw string, err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, jwks.ErrInsecureURL):
		return "must be https (plain http only to a loopback host in development mode)"
	}
	msg := strings.TrimPrefix(err.Error(), "jwks: ")
	msg = strings.ReplaceAll(msg, strconv.Quote(raw), "the URL")
	if raw != "" && strings.Contains(msg, raw) {
		return "must be an absolute https URL with a plain host, no userinfo, query or fragment"
	}
	return msg
}
