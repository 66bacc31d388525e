package feature

import "strings"

// Auth methods stored in keystore.Session.AuthMethod record the first
// login factor: MethodPassword or MethodOAuthPrefix+"<provider>",
// followed by MethodTOTPSuffix when a TOTP or recovery code completed the
// login ("password+totp", "oauth:github+totp"). Only a password first
// factor makes a password session (PasswordFirstFactor). The bare "totp"
// stored by earlier versions does not say which first factor came before
// it, so it is not a password session (fail closed: such a session must
// log in again before managing keys, links or the admin API).
const (
	MethodPassword    = "password"
	MethodOAuthPrefix = "oauth:" // then the provider's name
	MethodTOTPSuffix  = "+totp"  // a TOTP or recovery code after the first factor
)

// ValidFirstFactor reports whether m can open a login: a password or a
// configured-looking OAuth provider.
func ValidFirstFactor(m string) bool {
	if m == MethodPassword {
		return true
	}
	name, ok := strings.CutPrefix(m, MethodOAuthPrefix)
	return ok && name != "" && !strings.Contains(name, "+")
}

// MethodAfterTOTP is the AuthMethod of a login whose first factor was
// first and whose second step was a TOTP or recovery code.
func MethodAfterTOTP(first string) string { return first + MethodTOTPSuffix }

// PasswordFirstFactor reports whether a stored AuthMethod records a
// password as the login's first factor. It is the one test of "opened
// with a password" (Caller.PasswordSession).
func PasswordFirstFactor(method string) bool {
	return method == MethodPassword || method == MethodPassword+MethodTOTPSuffix
}
