package verifier

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/config"
)

// Sentinel errors of rule compilation.
var (
	ErrRuleInvalid = errors.New("verifier: access rule invalid")
)

type policy uint8

const (
	policyDeny policy = iota
	policyBypass
	policyAuthenticated
)

// CredentialKind is how a request authenticated.
type CredentialKind uint8

// Credential kinds; their String is the Remote-Auth-Method value.
const (
	KindNone CredentialKind = iota
	KindCookie
	KindJWT
	KindAPIKey
	KindSigned
	KindExternalJWT // a token of an external issuer (docs/design.md "External issuers")
	kindCount
)

var kindNames = [...]string{"", "cookie", "jwt", "api_key", "signed", "external_jwt"}

func (k CredentialKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return ""
}

type pathKind uint8

const (
	pathPrefix pathKind = iota
	pathExact
	pathRegex
)

type pathMatcher struct {
	kind pathKind
	s    string // prefix or exact path
	bare string // prefix without its trailing '/', "" when none
	re   *regexp.Regexp
}

type hostMatcher struct {
	exact  string // lower-case host, or "" for a suffix matcher
	suffix string // ".example.com" for "*.example.com"
}

// rule is a compiled config.Rule.
type rule struct {
	name          string
	hosts         []hostMatcher
	paths         []pathMatcher
	methods       []string
	networks      []netip.Prefix
	policy        policy
	rolesAny      []string
	rolesAll      []string
	superuser     bool
	scopes        []string
	credentials   uint8 // bit set of 1<<CredentialKind; 0: all kinds
	stepUp        time.Duration
	requireTOTP   bool
	verifiedEmail bool
	claims        []claimCond // external_jwt only (rules_claims.go)
	issuers       []string    // external_jwt only
}

// ruleSet is an immutable compiled rule list.
type ruleSet struct {
	rules         []rule
	defaultPolicy rule
	needClientIP  bool
}

// compileRules turns config rules into matchers, reporting every problem at
// once.
func compileRules(in []config.Rule, defaultPolicy string) (*ruleSet, error) {
	var problems []string
	bad := func(i int, name, msg string) {
		problems = append(problems, fmt.Sprintf("rule %d (%q): %s", i, name, msg))
	}
	rs := &ruleSet{rules: make([]rule, 0, len(in))}
	switch defaultPolicy {
	case "", config.PolicyDeny:
		rs.defaultPolicy = rule{name: "default", policy: policyDeny}
	case config.PolicyAuthenticated:
		rs.defaultPolicy = rule{name: "default", policy: policyAuthenticated}
	case config.PolicyBypass:
		rs.defaultPolicy = rule{name: "default", policy: policyBypass}
	default:
		problems = append(problems, "default_policy must be bypass, authenticated or deny")
	}
	for i, cr := range in {
		r := rule{
			name:          cr.Name,
			superuser:     cr.Superuser,
			stepUp:        cr.StepUp,
			requireTOTP:   cr.RequireTOTP,
			verifiedEmail: cr.VerifiedEmail,
			rolesAny:      nonEmpty(cr.RolesAny),
			rolesAll:      nonEmpty(cr.RolesAll),
			scopes:        nonEmpty(cr.Scopes),
		}
		switch cr.Policy {
		case config.PolicyBypass:
			r.policy = policyBypass
		case config.PolicyAuthenticated:
			r.policy = policyAuthenticated
		case config.PolicyDeny:
			r.policy = policyDeny
		default:
			bad(i, cr.Name, "policy must be bypass, authenticated or deny")
		}
		if cr.StepUp < 0 {
			bad(i, cr.Name, "step_up must not be negative")
		}
		for _, h := range cr.Hosts {
			h = strings.ToLower(strings.TrimSpace(h))
			switch {
			case strings.HasPrefix(h, "*."):
				if len(h) < 3 || !validHost([]byte(h[2:])) || strings.Contains(h, ":") {
					bad(i, cr.Name, "bad host pattern")
					continue
				}
				r.hosts = append(r.hosts, hostMatcher{suffix: string(trimHostDot([]byte(h[1:])))})
			case h != "" && validHost([]byte(h)):
				r.hosts = append(r.hosts, hostMatcher{exact: string(trimHostDot(appendHostForMatch(nil, []byte(h))))})
			default:
				bad(i, cr.Name, "bad host pattern")
			}
		}
		for _, p := range cr.Paths {
			switch {
			case strings.HasPrefix(p, "~"):
				re, err := regexp.Compile(p[1:])
				if err != nil {
					bad(i, cr.Name, "bad path regex: "+err.Error())
					continue
				}
				r.paths = append(r.paths, pathMatcher{kind: pathRegex, re: re})
			case strings.HasPrefix(p, "=/"):
				r.paths = append(r.paths, pathMatcher{kind: pathExact, s: normalizeRulePath(p[1:])})
			case strings.HasPrefix(p, "/"):
				p = normalizeRulePath(p)
				m := pathMatcher{kind: pathPrefix, s: p}
				if len(p) > 1 && strings.HasSuffix(p, "/") {
					m.bare = p[:len(p)-1]
				}
				r.paths = append(r.paths, m)
			default:
				bad(i, cr.Name, "paths must start with '/', '=/' or '~'")
			}
		}
		for _, m := range cr.Methods {
			m = strings.ToUpper(strings.TrimSpace(m))
			if m == "" || len(m) > maxMethodLen {
				bad(i, cr.Name, "bad method")
				continue
			}
			r.methods = append(r.methods, m)
		}
		for _, n := range cr.Networks {
			p, err := netip.ParsePrefix(strings.TrimSpace(n))
			if err != nil {
				a, aerr := netip.ParseAddr(strings.TrimSpace(n))
				if aerr != nil {
					bad(i, cr.Name, "bad network (want a CIDR)")
					continue
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			r.networks = append(r.networks, p.Masked())
			rs.needClientIP = true
		}
		for _, c := range cr.Credentials {
			switch c {
			case "cookie":
				r.credentials |= 1 << KindCookie
			case "jwt":
				r.credentials |= 1 << KindJWT
			case "api_key":
				r.credentials |= 1 << KindAPIKey
			case "signed":
				r.credentials |= 1 << KindSigned
			case "external_jwt":
				r.credentials |= 1 << KindExternalJWT
			default:
				bad(i, cr.Name, "unknown credential kind")
			}
		}
		if err := r.compileExternalConds(cr); err != nil {
			bad(i, cr.Name, err.Error())
		}
		rs.rules = append(rs.rules, r)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrRuleInvalid, strings.Join(problems, "; "))
	}
	return rs, nil
}

// normalizeRulePath puts a literal rule path in the form request paths are
// matched in (escapes of unreserved and UTF-8 characters decoded, other
// escapes upper-case, dot segments and "//" resolved), so "/caf%c3%a9/"
// and "/café/" guard the same requests. A path that requests can never
// normalise to (config validation warns about those) is kept as written.
func normalizeRulePath(p string) string {
	out, _, ok := normalizePath(nil, nil, []byte(p))
	if !ok {
		return p
	}
	return string(out)
}

func nonEmpty(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// clientIPSource yields the client address on demand.
type clientIPSource interface{ clientIP() netip.Addr }

// match returns the first rule that matches the request, or the default.
// clientIP is called at most once, and only when a rule has networks. It
// returns nil when such a rule's other conditions match but the client
// address is unknown (X-Forwarded-For short or malformed): the caller
// refuses the request rather than guess which way the rule would go.
func (rs *ruleSet) match(o *original, ip clientIPSource) *rule {
	var client netip.Addr
	haveIP := false
	for i := range rs.rules {
		r := &rs.rules[i]
		if !r.matchHost(o.host) || !r.matchMethod(o.method) || !r.matchPath(o.norm) {
			continue
		}
		if len(r.networks) > 0 {
			if !haveIP {
				client, haveIP = ip.clientIP(), true
			}
			if !client.IsValid() {
				return nil
			}
			if !r.matchNetwork(client) {
				continue
			}
		}
		return r
	}
	return &rs.defaultPolicy
}

func (r *rule) matchHost(h []byte) bool {
	if len(r.hosts) == 0 {
		return true
	}
	for _, m := range r.hosts {
		if m.exact != "" {
			if string(h) == m.exact {
				return true
			}
			continue
		}
		if len(h) > len(m.suffix) && string(h[len(h)-len(m.suffix):]) == m.suffix {
			return true
		}
	}
	return false
}

func (r *rule) matchMethod(m []byte) bool {
	if len(r.methods) == 0 {
		return true
	}
	for _, s := range r.methods {
		if string(m) == s {
			return true
		}
	}
	return false
}

func (r *rule) matchPath(p []byte) bool {
	if len(r.paths) == 0 {
		return true
	}
	for i := range r.paths {
		m := &r.paths[i]
		switch m.kind {
		case pathExact:
			if string(p) == m.s {
				return true
			}
		case pathPrefix:
			if len(p) >= len(m.s) && string(p[:len(m.s)]) == m.s {
				return true
			}
			if m.bare != "" && string(p) == m.bare {
				return true
			}
		case pathRegex:
			if m.re.Match(p) {
				return true
			}
		}
	}
	return false
}

func (r *rule) matchNetwork(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap()
	for _, p := range r.networks {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// allowsKind reports whether the rule accepts credentials of kind k.
func (r *rule) allowsKind(k CredentialKind) bool {
	return r.credentials == 0 || r.credentials&(1<<k) != 0
}
