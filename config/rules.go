package config

import "time"

// Rule is one access rule as written in YAML (docs/design.md "Rules"). The verifier
// compiles the list once at load; this type is plain data.
type Rule struct {
	Name          string        `yaml:"name"`
	Hosts         []string      `yaml:"hosts"`    // exact or "*.example.com"; case-insensitive
	Paths         []string      `yaml:"paths"`    // prefix "/api/", exact "=/health", regex "~^/x"
	Methods       []string      `yaml:"methods"`  // upper-case HTTP methods
	Networks      []string      `yaml:"networks"` // client CIDRs
	Policy        string        `yaml:"policy"`   // bypass | authenticated | deny
	RolesAny      []string      `yaml:"roles_any"`
	RolesAll      []string      `yaml:"roles_all"`
	Superuser     bool          `yaml:"superuser"`
	Scopes        []string      `yaml:"scopes"`      // API keys and signed requests only
	Credentials   []string      `yaml:"credentials"` // cookie | jwt | api_key | signed | external_jwt
	StepUp        time.Duration `yaml:"step_up"`     // 0: none
	RequireTOTP   bool          `yaml:"require_totp"`
	VerifiedEmail bool          `yaml:"verified_email"`
	// AuthMethods: the session's login must have used at least one of
	// these factors (keystore.AuthFactorNames: password, oauth, totp,
	// passkey). Only cookie sessions record their login, so any other
	// credential fails such a rule (docs/design.md "Rules").
	AuthMethods []string `yaml:"auth_methods"`
	// Claims and Issuers apply to external_jwt credentials only: a request
	// with another credential never matches a rule that sets them. Every
	// named claim must match one of its values (a missing claim matches
	// nothing); Issuers lists accepted external_jwt.issuers[].issuer values.
	Claims  map[string]ClaimValues `yaml:"claims"`
	Issuers []string               `yaml:"issuers"`
}

// Policies and credential kinds accepted in rules.
const (
	PolicyBypass        = "bypass"
	PolicyAuthenticated = "authenticated"
	PolicyDeny          = "deny"
)

// CredentialKinds lists the names accepted in Rule.Credentials; they are
// also the values of the Remote-Auth-Method header.
var CredentialKinds = []string{"cookie", "jwt", "api_key", "signed", "external_jwt"}
