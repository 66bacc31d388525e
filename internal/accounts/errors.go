package accounts

import "errors"

// Domain errors. Store failures are returned wrapped as they come (test
// them with errors.Is against the keystore sentinels).
var (
	ErrInvalidEmail       = errors.New("accounts: invalid email address")
	ErrInvalidDisplayName = errors.New("accounts: invalid display name")
	ErrInvalidRole        = errors.New("accounts: invalid role")
	// ErrInvalidPassword wraps the signing.CheckPasswordLength error.
	ErrInvalidPassword = errors.New("accounts: password outside the length policy")
	ErrEmailTaken      = errors.New("accounts: email address already in use")
	ErrUserNotFound    = errors.New("accounts: no such user")

	ErrInvalidKeyName = errors.New("accounts: invalid API key name")
	// ErrScopeDenied: a scope is malformed, not in the allow-list, or
	// too many scopes were asked for.
	ErrScopeDenied = errors.New("accounts: scope not allowed")
	// ErrScopeNotHeld: with the subset check on, a scope is not one of
	// the owner's roles (the owner is no superuser).
	ErrScopeNotHeld     = errors.New("accounts: scope not held by the owner")
	ErrInvalidLifetime  = errors.New("accounts: API key lifetime out of bounds")
	ErrSigningDisabled  = errors.New("accounts: signing-required keys are disabled")
	ErrNoSigningKeyring = errors.New("accounts: no api_key_signing keyring")
	ErrKeyLimit         = errors.New("accounts: live API key limit reached")
	ErrKeyNotFound      = errors.New("accounts: no such API key")
	ErrKeyRevoked       = errors.New("accounts: API key revoked")
	ErrKeysDisabled     = errors.New("accounts: API keys are not configured")

	// ErrEmailUnverified: the owner's address is not verified (or its
	// verification changed while the credential was stored).
	ErrEmailUnverified = errors.New("accounts: email address not verified")
	ErrLinkTaken       = errors.New("accounts: provider identity already linked")
)

// ScopeError names the scope that was refused; it unwraps to
// ErrScopeDenied or ErrScopeNotHeld. Scope names are not secrets.
type ScopeError struct {
	Scope string
	Err   error
}

func (e *ScopeError) Error() string { return e.Err.Error() + ": " + e.Scope }
func (e *ScopeError) Unwrap() error { return e.Err }
