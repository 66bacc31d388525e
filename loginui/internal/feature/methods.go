package feature

import (
	"strings"

	"github.com/gatehouse/gatehouse/keystore"
)

// Auth methods stored in keystore.Session.AuthMethod (docs/design.md
// "Passkeys") are a first factor followed by at most one suffix:
//
//	first factor: MethodPassword, MethodOAuthPrefix+"<provider>" or
//	              MethodPasskey (a passwordless passkey login)
//	suffix:       MethodTOTPSuffix    a TOTP or recovery code completed the login
//	              MethodPasskeySuffix a passkey completed the login
//	              MethodUVSuffix      only after MethodPasskey: the passkey
//	                                  verified the person (the UV flag)
//
// ("password+totp", "oauth:github+passkey", "passkey+uv", "passkey+totp").
// A password session (PasswordFirstFactor) is a password first factor,
// alone or followed by a second step, or a passkey verified with user
// verification ("passkey+uv"), which needs no further step. A passkey
// without user verification is a first factor like an OAuth login: not a
// password session, and followed by the second step when the user has
// TOTP on (NeedsSecondStep). The bare "totp" stored by earlier versions
// does not say which first factor came before it, so it is not a password
// session (fail closed: such a session must log in again before managing
// keys, links or the admin API).
const (
	MethodPassword      = keystore.AuthMethodPassword
	MethodOAuthPrefix   = keystore.AuthMethodOAuthPrefix // then the provider's name
	MethodPasskey       = keystore.AuthMethodPasskey
	MethodTOTPSuffix    = keystore.AuthMethodTOTPSuffix  // a TOTP or recovery code after the first factor
	MethodPasskeySuffix = keystore.AuthMethodPasskeyStep // a passkey assertion after the first factor
	MethodUVSuffix      = keystore.AuthMethodUVSuffix    // a passwordless passkey with user verification
	// MethodPasskeyUV is a passwordless passkey login with user
	// verification.
	MethodPasskeyUV = MethodPasskey + MethodUVSuffix
)

// ValidFirstFactor reports whether m can open a login that may need a
// second step (the first factor a pending token carries): a password, a
// configured-looking OAuth provider, or a passkey without user
// verification.
func ValidFirstFactor(m string) bool {
	return m == MethodPassword || m == MethodPasskey || OAuthFirstFactor(m)
}

// OAuthFirstFactor reports whether m is an OAuth provider's first factor
// ("oauth:<provider>"), the only kind a feature may finish a login with
// (Host.FinishLogin).
func OAuthFirstFactor(m string) bool {
	name, ok := strings.CutPrefix(m, MethodOAuthPrefix)
	return ok && name != "" && !strings.Contains(name, "+")
}

// MethodAfterTOTP is the AuthMethod of a login whose first factor was
// first and whose second step was a TOTP or recovery code.
func MethodAfterTOTP(first string) string { return first + MethodTOTPSuffix }

// MethodAfterPasskey is the AuthMethod of a login whose first factor was
// first and whose second step was a passkey; "" when a passkey cannot be
// the second step after first (a passkey first factor: the same factor
// twice is not two).
func MethodAfterPasskey(first string) string {
	if first == MethodPasskey || !ValidFirstFactor(first) {
		return ""
	}
	return first + MethodPasskeySuffix
}

// PasswordlessMethod is the AuthMethod of a passwordless passkey login:
// MethodPasskeyUV when the authenticator verified the person, else the
// first factor MethodPasskey.
func PasswordlessMethod(userVerified bool) string {
	if userVerified {
		return MethodPasskeyUV
	}
	return MethodPasskey
}

// HasSecondFactor reports whether a user has a second factor: TOTP on, or
// at least one passkey. It decides the second login step
// (NeedsSecondStep) and whether sensitive changes need a step-up proof.
func HasSecondFactor(totpEnabled, hasPasskeys bool) bool { return totpEnabled || hasPasskeys }

// NeedsSecondStep reports whether a login whose first step was method
// goes through the second step before a session opens: a passkey with
// user verification never does; a passkey without it does when the user
// has TOTP on (the passkey already was the other factor); any other
// first factor does when the user has a second factor.
func NeedsSecondStep(method string, totpEnabled, hasPasskeys bool) bool {
	switch method {
	case MethodPasskeyUV:
		return false
	case MethodPasskey:
		return totpEnabled
	}
	return HasSecondFactor(totpEnabled, hasPasskeys)
}

// PasswordFirstFactor reports whether a stored AuthMethod records a
// password (or a passkey with user verification) as the login's first
// factor. It is the one test of "opened with a password"
// (Caller.PasswordSession), on the one parser of the grammar
// (keystore.ParseAuthMethod, which the verifier's auth_methods rules use
// too): a password first factor, alone or with a second step, or exactly
// a passwordless passkey with user verification.
func PasswordFirstFactor(method string) bool {
	f := keystore.ParseAuthMethod(method)
	return f&keystore.FactorPassword != 0 || f == keystore.FactorPasskey|keystore.FactorUserVerified
}
