package keystore

import "strings"

// AuthFactors is the set of factors a login used, parsed from
// Session.AuthMethod by ParseAuthMethod. The zero value means "unknown or
// malformed": it meets no requirement (fail closed).
type AuthFactors uint8

// Factors of a login.
const (
	FactorPassword AuthFactors = 1 << iota
	FactorOAuth
	FactorTOTP
	FactorPasskey
	// FactorUserVerified: a passwordless passkey login whose authenticator
	// verified the user (the WebAuthn UV flag), "passkey+uv".
	FactorUserVerified
)

// Parts of Session.AuthMethod (docs/design.md "Rules", auth_methods).
const (
	AuthMethodPassword    = "password"
	AuthMethodOAuthPrefix = "oauth:" // then the provider's name
	AuthMethodPasskey     = "passkey"
	AuthMethodUVSuffix    = "+uv"      // after a passwordless "passkey": user verified
	AuthMethodTOTPSuffix  = "+totp"    // a TOTP or recovery code completed the login
	AuthMethodPasskeyStep = "+passkey" // a passkey completed the login
	// AuthMethodLegacyTOTP is the bare "totp" earlier versions stored: an
	// unknown first factor, then a TOTP code.
	AuthMethodLegacyTOTP = "totp"
)

// MaxAuthMethodLen bounds a stored AuthMethod; longer ones are malformed.
const MaxAuthMethodLen = 128

// AuthFactorNames are the factor names a rule's auth_methods may list, in
// the order of their bits.
var AuthFactorNames = []string{"password", "oauth", "totp", "passkey"}

// ParseAuthFactorName returns the factor a rule's auth_methods entry
// names, or false.
func ParseAuthFactorName(name string) (AuthFactors, bool) {
	for i, n := range AuthFactorNames {
		if n == name {
			return AuthFactors(1) << i, true
		}
	}
	return 0, false
}

// Has reports whether f contains every factor of want.
func (f AuthFactors) Has(want AuthFactors) bool { return want != 0 && f&want == want }

// Any reports whether f contains at least one factor of want.
func (f AuthFactors) Any(want AuthFactors) bool { return f&want != 0 }

// ParseAuthMethod is the one parser of Session.AuthMethod. The grammar:
//
//	method  = first [ second ] | "totp"
//	first   = "password" | "oauth:" provider | "passkey" [ "+uv" ]
//	second  = "+totp" | "+passkey"        (no "+passkey" after "passkey")
//	provider = 1*64 of a-z A-Z 0-9 - _ .
//
// "totp" alone is what old versions stored: an unknown first factor and a
// TOTP. Anything else, or longer than MaxAuthMethodLen, is malformed and
// yields zero.
func ParseAuthMethod(m string) AuthFactors {
	if len(m) == 0 || len(m) > MaxAuthMethodLen {
		return 0
	}
	if m == AuthMethodLegacyTOTP {
		return FactorTOTP
	}
	var f AuthFactors
	rest := m
	switch {
	case strings.HasPrefix(rest, AuthMethodPassword):
		f, rest = FactorPassword, rest[len(AuthMethodPassword):]
	case strings.HasPrefix(rest, AuthMethodOAuthPrefix):
		rest = rest[len(AuthMethodOAuthPrefix):]
		n := 0
		for n < len(rest) && providerByte(rest[n]) {
			n++
		}
		if n == 0 || n > 64 {
			return 0
		}
		f, rest = FactorOAuth, rest[n:]
	case strings.HasPrefix(rest, AuthMethodPasskey):
		f, rest = FactorPasskey, rest[len(AuthMethodPasskey):]
		if strings.HasPrefix(rest, AuthMethodUVSuffix) {
			f, rest = f|FactorUserVerified, rest[len(AuthMethodUVSuffix):]
		}
	default:
		return 0
	}
	switch rest {
	case "":
	case AuthMethodTOTPSuffix:
		f |= FactorTOTP
	case AuthMethodPasskeyStep:
		if f&FactorPasskey != 0 {
			return 0
		}
		f |= FactorPasskey
	default:
		return 0
	}
	return f
}

// providerByte: a byte an OAuth provider name may hold in an AuthMethod
// (config allows less: a-z 0-9 -).
func providerByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
}
