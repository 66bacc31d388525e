package ceremony

import "errors"

// Errors of Finish. Each maps to one error code at the portal.
var (
	// ErrState: the state is malformed, expired, or of another kind,
	// user or binding.
	ErrState = errors.New("ceremony: state invalid or expired")
	// ErrReplayed: the ceremony's challenge was already answered.
	ErrReplayed = errors.New("ceremony: challenge already used")
	// ErrUnknownCredential: no passkey has the answer's credential id, or
	// it belongs to another user.
	ErrUnknownCredential = errors.New("ceremony: unknown credential")
	// ErrVerify: the answer does not parse or does not verify (origin, RP
	// ID, challenge, signature, flags).
	ErrVerify = errors.New("ceremony: answer refused")
	// ErrCloned: the authenticator's signature counter did not increase.
	ErrCloned = errors.New("ceremony: signature counter did not increase")
	// ErrExists: the credential is already registered.
	ErrExists = errors.New("ceremony: credential already registered")
	// ErrLimit: the user has the most passkeys allowed.
	ErrLimit = errors.New("ceremony: too many passkeys")
)
