package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// maxRulePattern bounds one path or host pattern.
const maxRulePattern = 1024

var httpMethods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true,
	"DELETE": true, "OPTIONS": true, "CONNECT": true, "TRACE": true,
}

func validPolicy(p string) bool {
	return p == PolicyBypass || p == PolicyAuthenticated || p == PolicyDeny
}

func (v *validator) rules() {
	c := v.c
	if !validPolicy(c.DefaultPolicy) {
		v.errf("default_policy", "must be bypass, authenticated or deny, not %q", c.DefaultPolicy)
	} else if c.DefaultPolicy == PolicyBypass {
		v.warnf("default_policy", "bypass lets every request no rule matches through without a credential")
	}
	if c.DefaultPolicy == PolicyAuthenticated {
		v.unscopedExternal("default_policy", nil)
	}
	allowed := map[string]bool{}
	for _, s := range c.APIKeys.AllowedScopes {
		allowed[s] = true
	}
	names := map[string]int{}
	catchAll := -1
	for i := range c.Rules {
		r := &c.Rules[i]
		path := fmt.Sprintf("rules[%d]", i)
		if r.Name != "" {
			if j, dup := names[r.Name]; dup {
				v.warnf(path+".name", "%q is also the name of rules[%d]", r.Name, j)
			} else {
				names[r.Name] = i
			}
		}
		if catchAll >= 0 {
			v.warnf(path, "never reached: rules[%d] before it matches every request", catchAll)
		}
		v.rule(path, r, allowed)
		if len(r.Hosts) == 0 && len(r.Paths) == 0 && len(r.Methods) == 0 && len(r.Networks) == 0 && catchAll < 0 {
			catchAll = i
		}
	}
}

func (v *validator) rule(path string, r *Rule, allowedScopes map[string]bool) {
	if r.Policy == "" {
		v.errf(path+".policy", "is required: bypass, authenticated or deny")
	} else if !validPolicy(r.Policy) {
		v.errf(path+".policy", "must be bypass, authenticated or deny, not %q", r.Policy)
	}
	for i, h := range r.Hosts {
		if msg := hostPatternProblem(h); msg != "" {
			v.errf(fmt.Sprintf("%s.hosts[%d]", path, i), "%s", msg)
		}
	}
	for i, p := range r.Paths {
		pp := fmt.Sprintf("%s.paths[%d]", path, i)
		msg, warn := pathPatternProblem(p)
		switch {
		case msg == "":
		case warn:
			v.warnf(pp, "%s", msg)
		default:
			v.errf(pp, "%s", msg)
		}
	}
	for i, m := range r.Methods {
		mp := fmt.Sprintf("%s.methods[%d]", path, i)
		switch {
		case httpMethods[m]:
		case httpMethods[strings.ToUpper(m)]:
			v.errf(mp, "write HTTP methods in upper case (%s)", strings.ToUpper(m))
		default:
			v.errf(mp, "%q is not an HTTP method", m)
		}
	}
	for i, n := range r.Networks {
		if _, err := netip.ParsePrefix(n); err != nil {
			v.errf(fmt.Sprintf("%s.networks[%d]", path, i), "%q is not a CIDR (write a single address as 10.0.0.1/32)", n)
		}
	}
	seen := map[string]bool{}
	for i, k := range r.Credentials {
		cp := fmt.Sprintf("%s.credentials[%d]", path, i)
		switch {
		case !contains(CredentialKinds, k):
			v.errf(cp, "%q is not one of %s", k, strings.Join(CredentialKinds, ", "))
		case seen[k]:
			v.errf(cp, "%q is listed twice", k)
		}
		seen[k] = true
	}
	for _, list := range []struct {
		key   string
		roles []string
	}{{"roles_any", r.RolesAny}, {"roles_all", r.RolesAll}} {
		for i, role := range list.roles {
			if strings.TrimSpace(role) == "" || strings.ContainsAny(role, ", \t\r\n") {
				v.errf(fmt.Sprintf("%s.%s[%d]", path, list.key, i), "a role must be non-empty without commas or white space")
			}
		}
	}
	for i, s := range r.Scopes {
		sp := fmt.Sprintf("%s.scopes[%d]", path, i)
		if !validScope(s) {
			v.errf(sp, "%q is not a valid scope", s)
		} else if v.c.APIKeys.Enabled && !allowedScopes[s] {
			v.warnf(sp, "%q is not in api_keys.allowed_scopes, so no API key can carry it", s)
		}
	}
	v.ruleExternal(path, r, seen)
	if len(r.Scopes) > 0 && len(r.Credentials) > 0 && !seen["api_key"] && !seen["signed"] {
		v.warnf(path+".scopes", "scopes restrict only api_key and signed credentials, which this rule does not accept")
	}
	if r.StepUp < 0 {
		v.errf(path+".step_up", "must not be negative")
	}
	if (r.StepUp > 0 || r.RequireTOTP) && !v.c.TOTP.Enabled {
		v.warnf(path, "step_up and require_totp need totp.enabled")
	}
	if r.Policy != "" && r.Policy != PolicyAuthenticated {
		for _, req := range []struct {
			key string
			set bool
		}{
			{"roles_any", len(r.RolesAny) > 0}, {"roles_all", len(r.RolesAll) > 0},
			{"superuser", r.Superuser}, {"scopes", len(r.Scopes) > 0},
			{"credentials", len(r.Credentials) > 0}, {"step_up", r.StepUp != 0},
			{"require_totp", r.RequireTOTP}, {"verified_email", r.VerifiedEmail},
			{"claims", len(r.Claims) > 0}, {"issuers", len(r.Issuers) > 0},
		} {
			if req.set {
				v.errf(path+"."+req.key, "only applies with policy authenticated, not %s", r.Policy)
			}
		}
	}
}

// Bounds of a rule's claims.
const (
	maxRuleClaims      = 32
	maxRuleClaimValues = 64
)

// ruleExternal checks claims and issuers, which only an external_jwt
// credential can meet (README "Machine-to-machine tokens"), and the
// requirements no external token can meet. kinds is the set of the
// rule's credentials.
func (v *validator) ruleExternal(path string, r *Rule, kinds map[string]bool) {
	if len(r.Claims) > maxRuleClaims {
		v.errf(path+".claims", "names more than %d claims", maxRuleClaims)
	} else {
		for _, name := range sortedKeys(r.Claims) {
			cp := path + ".claims." + name
			if msg := ClaimNameProblem(name); msg != "" {
				v.errf(path+".claims", "%s", msg)
				continue
			}
			vals := r.Claims[name]
			switch {
			case len(vals) == 0:
				v.errf(cp, "must give at least one value")
			case len(vals) > maxRuleClaimValues:
				v.errf(cp, "lists more than %d values", maxRuleClaimValues)
			default:
				for i, val := range vals {
					msg, warn := claimValueProblem(val)
					switch {
					case msg == "":
					case warn:
						v.warnf(fmt.Sprintf("%s[%d]", cp, i), "%s", msg)
					default:
						v.errf(fmt.Sprintf("%s[%d]", cp, i), "%s", msg)
					}
				}
			}
		}
	}
	configured := v.c.externalIssuers()
	seen := make(map[string]bool, len(r.Issuers))
	for i, iss := range r.Issuers {
		ip := fmt.Sprintf("%s.issuers[%d]", path, i)
		switch {
		case iss == "":
			v.errf(ip, "must not be empty")
		case !configured[iss]:
			v.errf(ip, "%q is not the issuer of any external_jwt.issuers entry", iss)
		case seen[iss]:
			v.errf(ip, "%q is listed twice", iss)
		}
		seen[iss] = true
	}
	needsExternal := len(r.Claims) > 0 || len(r.Issuers) > 0
	if needsExternal && len(r.Credentials) > 0 && !kinds["external_jwt"] {
		v.errf(path+".credentials", "claims and issuers are met only by external_jwt tokens, which this list leaves out, so the rule can never be met")
	}
	onlyExternal := needsExternal || len(r.Credentials) > 0 && len(kinds) == 1 && kinds["external_jwt"]
	if onlyExternal {
		for _, req := range []struct {
			key string
			set bool
		}{
			{"roles_any", len(r.RolesAny) > 0}, {"roles_all", len(r.RolesAll) > 0},
			{"superuser", r.Superuser}, {"step_up", r.StepUp != 0},
			{"require_totp", r.RequireTOTP}, {"verified_email", r.VerifiedEmail},
		} {
			if req.set {
				v.errf(path+"."+req.key, "an external_jwt token has no gatehouse account, so this rule, which only such a token can meet, can never be met")
			}
		}
	}
	if r.Policy == PolicyAuthenticated && len(r.Claims) == 0 && !onlyUsers(r) && (len(r.Credentials) == 0 || kinds["external_jwt"]) {
		v.unscopedExternal(path, r.Issuers)
	}
	if (kinds["external_jwt"] || needsExternal) && len(configured) == 0 {
		v.warnf(path, "accepts external_jwt, but external_jwt.issuers is empty, so no external token can meet it")
	}
}

// onlyUsers reports whether r asks for something only a gatehouse
// account has, which no external token meets.
func onlyUsers(r *Rule) bool {
	return len(r.RolesAny) > 0 || len(r.RolesAll) > 0 || r.Superuser || r.StepUp != 0 || r.RequireTOTP || r.VerifiedEmail
}

// unscopedExternal flags a rule (or default_policy, at path) that admits
// the tokens of an issuer many parties can get tokens from, without
// claims to say which of them: any GitHub repository can get a GitHub
// Actions token with the audience it asks for, and any service account of
// a cluster a token of that cluster. only, when not empty, is the rule's
// issuers.
func (v *validator) unscopedExternal(path string, only []string) {
	warned := map[string]bool{}
	for _, e := range v.c.ExternalJWT.Issuers {
		if e.Issuer == "" || len(only) > 0 && !contains(only, e.Issuer) || warned[e.Preset] {
			continue
		}
		switch e.Preset {
		case PresetGitHubActions:
			v.prodf(path, "admits tokens of %s without claims, and every GitHub repository can get one with the audience it asks for; add claims (sub, repository or repository_owner), issuers that leave it out, or credentials without external_jwt", e.Issuer)
		case PresetKubernetes:
			v.warnf(path, "admits the tokens of every service account of the cluster at %s; add claims (/kubernetes.io/namespace, /kubernetes.io/serviceaccount/name or sub) for the ones you mean", e.Issuer)
		default:
			continue
		}
		warned[e.Preset] = true
	}
}

// claimValueProblem checks one value of a rule's claims: a literal, or
// "~regex" (Go RE2, unanchored unless it anchors itself). warn marks a
// regular expression without ^ and $, which matches any claim containing
// it ("~repo:acme/deploy" also matches "repo:acme/deploy-evil").
func claimValueProblem(val string) (msg string, warn bool) {
	switch {
	case val == "":
		return "a claim value must not be empty", false
	case len(val) > maxRulePattern:
		return "too long", false
	case !strings.HasPrefix(val, "~"):
		return "", false
	}
	re := val[1:]
	if re == "" {
		return "an empty regular expression matches every value; omit the claim instead", false
	}
	if _, err := regexp.Compile(re); err != nil {
		return "regular expression does not compile: " + strings.TrimPrefix(err.Error(), "error parsing regexp: "), false
	}
	if !strings.HasPrefix(re, "^") || !strings.HasSuffix(re, "$") {
		return "the regular expression is not anchored (^...$), so it matches any value that contains a match", true
	}
	return "", false
}

// hostPatternProblem checks "host", "host:port" or "*.domain".
func hostPatternProblem(h string) string {
	if h == "" {
		return "must not be empty"
	}
	if len(h) > maxRulePattern {
		return "too long"
	}
	if h == "*" {
		return `"*" matches every host; omit hosts instead`
	}
	name := h
	if strings.HasPrefix(name, "[") {
		end := strings.IndexByte(name, ']')
		if end < 0 {
			return fmt.Sprintf("%q is not a host name", h)
		}
		if _, err := netip.ParseAddr(name[1:end]); err != nil {
			return fmt.Sprintf("%q is not a host name", h)
		}
		return portProblem(h, name[end+1:])
	}
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		if msg := portProblem(h, name[i:]); msg != "" {
			return msg
		}
		name = name[:i]
	}
	name = strings.TrimPrefix(name, "*.")
	if strings.Contains(name, "*") {
		return fmt.Sprintf("%q: a wildcard is only allowed as the first label (*.example.com)", h)
	}
	if ValidHostname(name) {
		return ""
	}
	if a, err := netip.ParseAddr(name); err == nil && a.Is4() && !strings.HasPrefix(h, "*.") {
		return ""
	}
	return fmt.Sprintf("%q is not a host name", h)
}

func portProblem(h, rest string) string {
	if rest == "" {
		return ""
	}
	n, err := strconv.Atoi(strings.TrimPrefix(rest, ":"))
	if !strings.HasPrefix(rest, ":") || err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("%q has an invalid port", h)
	}
	return ""
}

// pathPatternProblem checks a rule path: prefix "/x", exact "=/x" or
// regex "~re". warn marks a pattern that is valid but can never match a
// normalised request path.
func pathPatternProblem(p string) (msg string, warn bool) {
	if len(p) > maxRulePattern {
		return "too long", false
	}
	switch {
	case strings.HasPrefix(p, "~"):
		re := p[1:]
		if re == "" {
			return "an empty regular expression matches every path; omit paths instead", false
		}
		if _, err := regexp.Compile(re); err != nil {
			return "regular expression does not compile: " + strings.TrimPrefix(err.Error(), "error parsing regexp: "), false
		}
		return "", false
	case strings.HasPrefix(p, "="):
		p = p[1:]
		if !strings.HasPrefix(p, "/") {
			return `an exact path must start with "/" ("=/health")`, false
		}
	case !strings.HasPrefix(p, "/"):
		return `a path must start with "/" (prefix), "=" (exact) or "~" (regular expression)`, false
	}
	if m := unmatchablePath(p); m != "" {
		return m, true
	}
	return "", false
}

// unmatchablePath explains why a literal path can never equal a
// normalised request path (docs/design.md "Paths"), or returns "".
func unmatchablePath(p string) string {
	switch {
	case strings.ContainsAny(p, "?#"):
		return "request paths are matched without query or fragment, so this never matches"
	case strings.ContainsAny(p, "\\\x00"):
		return "requests with a backslash or NUL in the path are denied, so this never matches"
	case strings.IndexByte(p, ';') >= 0 || strings.Contains(strings.ToLower(p), "%3b"):
		return "requests with ';' (path parameters) in the path are refused, so this never matches"
	case hasEscapedEscape(p):
		return "requests with an escaped escape (%25 and two hex digits) are refused, so this never matches"
	case strings.Contains(p, "//"):
		return "request paths are matched with // collapsed, so this never matches"
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return "request paths are matched with . and .. resolved, so this never matches"
		}
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '%' {
			continue
		}
		if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
			return "a bad percent escape is denied in requests, so this never matches"
		}
		b := unhex(p[i+1])<<4 | unhex(p[i+2])
		if b == '/' || b == '\\' || b == 0 {
			return "requests with an encoded /, \\ or NUL are denied, so this never matches"
		}
		if b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("-._~", b) >= 0 {
			return "unreserved characters are percent-decoded before matching; write them plainly"
		}
	}
	return ""
}

// hasEscapedEscape reports "%25" followed by two hex digits.
func hasEscapedEscape(p string) bool {
	for i := strings.Index(p, "%25"); i >= 0; {
		if i+4 < len(p) && isHex(p[i+3]) && isHex(p[i+4]) {
			return true
		}
		j := strings.Index(p[i+3:], "%25")
		if j < 0 {
			return false
		}
		i += 3 + j
	}
	return false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
