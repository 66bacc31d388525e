package verifier

import (
	"errors"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/config"
)

// claimCond is one entry of a rule's claims (docs/design.md "External
// issuers"): the claim at path must equal one of exact or match one of
// res. A claim that is an array matches when any of its elements does; a
// missing claim, an object or null matches nothing; numbers and booleans
// are compared by their JSON text.
type claimCond struct {
	path  claimPath
	exact []string
	res   []*regexp.Regexp
}

// compileExternalConds compiles a rule's claims and issuers. A rule that
// sets either accepts only external_jwt credentials: its credentials list
// must then be empty or name external_jwt, and is narrowed to it.
func (r *rule) compileExternalConds(cr config.Rule) error {
	if len(cr.Claims) == 0 && len(cr.Issuers) == 0 {
		return nil
	}
	if r.credentials != 0 && r.credentials&(1<<KindExternalJWT) == 0 {
		return errors.New("claims and issuers apply to external_jwt credentials only, which credentials does not list")
	}
	r.credentials = 1 << KindExternalJWT
	r.issuers = nonEmpty(cr.Issuers)
	if len(cr.Issuers) > 0 && len(r.issuers) == 0 {
		return errors.New("issuers lists no issuer")
	}
	names := make([]string, 0, len(cr.Claims))
	for n := range cr.Claims {
		names = append(names, n)
	}
	sort.Strings(names) // a stable order for messages and evaluation
	var problems []string
	for _, n := range names {
		p, err := compileClaimPath(n)
		if err != nil {
			problems = append(problems, "claim "+n+": "+err.Error())
			continue
		}
		c := claimCond{path: p}
		for _, val := range cr.Claims[n] {
			if strings.HasPrefix(val, "~") {
				re, err := regexp.Compile(val[1:])
				if err != nil {
					problems = append(problems, "claim "+n+": bad regex: "+err.Error())
					continue
				}
				c.res = append(c.res, re)
				continue
			}
			c.exact = append(c.exact, val)
		}
		if len(c.exact) == 0 && len(c.res) == 0 {
			problems = append(problems, "claim "+n+": no value")
			continue
		}
		r.claims = append(r.claims, c)
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// matchValue reports whether the scalar text s satisfies c.
func (c *claimCond) matchValue(s string) bool {
	for _, e := range c.exact {
		if s == e {
			return true
		}
	}
	for _, re := range c.res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// match reports whether the claims satisfy c. It allocates nothing.
func (c *claimCond) match(claims map[string]any) bool {
	v, found := c.path.resolve(claims)
	if !found {
		return false
	}
	if arr, ok := v.([]any); ok {
		for _, el := range arr {
			if s, ok := scalarText(el); ok && c.matchValue(s) {
				return true
			}
		}
		return false
	}
	s, ok := scalarText(v)
	return ok && c.matchValue(s)
}

// authorizeExternal applies a rule to an external_jwt identity: its
// issuers, every claims condition, and scopes against the token's mapped
// scopes. Requirements about a gatehouse account (roles, superuser,
// verified email, TOTP, step-up) can never be met by an external token and
// deny as when an account lacks them.
func (rl *rule) authorizeExternal(e *extEntry) Reason {
	if rl.superuser || len(rl.rolesAny) > 0 || len(rl.rolesAll) > 0 {
		return ReasonInsufficientRoles
	}
	if rl.verifiedEmail {
		return ReasonAuthorizationDenied
	}
	if rl.requireTOTP || rl.stepUp > 0 {
		return ReasonTOTPStepUpRequired
	}
	if len(rl.issuers) > 0 && !slices.Contains(rl.issuers, e.iss.iss) {
		return ReasonAuthorizationDenied
	}
	for i := range rl.claims {
		if !rl.claims[i].match(e.claims) {
			return ReasonAuthorizationDenied
		}
	}
	for _, sc := range rl.scopes {
		if !slices.Contains(e.scopes, sc) {
			return ReasonInsufficientScopes
		}
	}
	return ReasonNone
}
