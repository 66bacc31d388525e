package errcode

import "net/http"

// Codes of the verifier (and shared with the portal).
const (
	AuthenticationFailed         = "AUTHENTICATION_FAILED"
	TokenProcessingFailed        = "TOKEN_PROCESSING_FAILED"
	APIKeyInvalid                = "API_KEY_INVALID"
	APIKeyRevoked                = "API_KEY_REVOKED"
	APIKeyExpired                = "API_KEY_EXPIRED"
	APIKeySignatureInvalid       = "API_KEY_SIGNATURE_INVALID"
	APIKeySignatureTimestampSkew = "API_KEY_SIGNATURE_TIMESTAMP_SKEW"
	APIKeySignatureNonceReplay   = "API_KEY_SIGNATURE_NONCE_REPLAY"
	RequestBodyInvalid           = "REQUEST_BODY_INVALID"
	AuthorizationDenied          = "AUTHORIZATION_DENIED"
	InsufficientRoles            = "INSUFFICIENT_ROLES"
	InsufficientScopes           = "INSUFFICIENT_SCOPES"
	TOTPStepUpRequired           = "TOTP_STEPUP_REQUIRED"
	RequestInvalid               = "REQUEST_INVALID"
	UntrustedProxy               = "UNTRUSTED_PROXY"
	NotFound                     = "NOT_FOUND"
)

// Codes of the portal.
const (
	RateLimited             = "RATE_LIMITED"
	LoginBadCredentials     = "LOGIN_BAD_CREDENTIALS"
	LoginAccountUnavailable = "LOGIN_ACCOUNT_UNAVAILABLE"
	LoginPayloadInvalid     = "LOGIN_PAYLOAD_INVALID"
	RegisterFailed          = "REGISTER_FAILED"
	VerifyBadToken          = "VERIFY_USER_BAD_TOKEN"
	VerifyAlreadyVerified   = "VERIFY_USER_ALREADY_VERIFIED"
	ResetBadToken           = "RESET_PASSWORD_BAD_TOKEN"
	ResetInvalidPassword    = "RESET_PASSWORD_INVALID_PASSWORD"
	UpdateInvalidPassword   = "UPDATE_USER_INVALID_PASSWORD"
	UpdateEmailExists       = "UPDATE_USER_EMAIL_ALREADY_EXISTS"
	RefreshTokenInvalid     = "REFRESH_TOKEN_INVALID"
	SuperuserCannotDelete   = "SUPERUSER_CANNOT_DELETE_SELF"
	UserNotFound            = "USER_NOT_FOUND"
	CSRFFailed              = "CSRF_FAILED"
	TOTPPendingBadToken     = "TOTP_PENDING_BAD_TOKEN"
	TOTPCodeInvalid         = "TOTP_CODE_INVALID"
	TOTPAlreadyEnabled      = "TOTP_ALREADY_ENABLED"
	TOTPEnrollBadToken      = "TOTP_ENROLL_BAD_TOKEN"
	APIKeyLimitReached      = "API_KEY_LIMIT_REACHED"
	APIKeyScopeDenied       = "API_KEY_SCOPE_DENIED"
	// EmailUnverified: the account's email address is not verified, and
	// the action (creating an API key, linking a provider) needs it.
	EmailUnverified = "EMAIL_UNVERIFIED"
	// PasskeyNotFound: no passkey with that credential id belongs to the
	// user the route names.
	PasskeyNotFound = "PASSKEY_NOT_FOUND"

	OAuthStateInvalid         = "OAUTH_STATE_INVALID"
	OAuthNotAvailableEmail    = "OAUTH_NOT_AVAILABLE_EMAIL"
	OAuthEmailNotVerified     = "OAUTH_EMAIL_NOT_VERIFIED"
	OAuthUserAlreadyExists    = "OAUTH_USER_ALREADY_EXISTS"
	OAuthAccountAlreadyLinked = "OAUTH_ACCOUNT_ALREADY_LINKED"

	// Passkeys (docs/design.md "Passkeys").
	WebAuthnPayloadInvalid     = "WEBAUTHN_PAYLOAD_INVALID"
	WebAuthnStateInvalid       = "WEBAUTHN_STATE_INVALID"
	WebAuthnReplayed           = "WEBAUTHN_CEREMONY_REPLAYED"
	WebAuthnVerificationFailed = "WEBAUTHN_VERIFICATION_FAILED"
	WebAuthnUnknownCredential  = "WEBAUTHN_UNKNOWN_CREDENTIAL"
	WebAuthnSignCount          = "WEBAUTHN_SIGN_COUNT_INVALID"
	WebAuthnCredentialExists   = "WEBAUTHN_CREDENTIAL_EXISTS"
	WebAuthnLimitReached       = "WEBAUTHN_LIMIT_REACHED"
	WebAuthnNotFound           = "WEBAUTHN_CREDENTIAL_NOT_FOUND"
	WebAuthnDisabled           = "WEBAUTHN_DISABLED"
)

// Codes of the admin commands.
const (
	ConfigurationInvalid = "CONFIGURATION_INVALID"
	InvalidEmail         = "INVALID_EMAIL"
	InvalidExpiry        = "INVALID_EXPIRY"
	InvalidLifetime      = "INVALID_LIFETIME"
	InvalidName          = "INVALID_NAME"
	InvalidPassword      = "INVALID_PASSWORD"
	InvalidRole          = "INVALID_ROLE"
	UnknownKeyring       = "UNKNOWN_KEYRING"
	UserExists           = "USER_EXISTS"
	UnknownCommand       = "UNKNOWN_COMMAND"
	Internal             = "INTERNAL"
)

// Entry is one code of the table with its default HTTP status.
type Entry struct {
	Code   string
	Status int
}

// table is the taxonomy, in the order the documentation lists it.
var table = []Entry{
	{AuthenticationFailed, http.StatusUnauthorized},
	{TokenProcessingFailed, http.StatusServiceUnavailable},
	{APIKeyInvalid, http.StatusUnauthorized},
	{APIKeyRevoked, http.StatusUnauthorized},
	{APIKeyExpired, http.StatusUnauthorized},
	{APIKeySignatureInvalid, http.StatusUnauthorized},
	{APIKeySignatureTimestampSkew, http.StatusUnauthorized},
	{APIKeySignatureNonceReplay, http.StatusUnauthorized},
	{RequestBodyInvalid, http.StatusUnauthorized},
	{AuthorizationDenied, http.StatusForbidden},
	{InsufficientRoles, http.StatusForbidden},
	{InsufficientScopes, http.StatusForbidden},
	{TOTPStepUpRequired, http.StatusForbidden},
	{RequestInvalid, http.StatusBadRequest},
	{UntrustedProxy, http.StatusForbidden},
	{NotFound, http.StatusNotFound},

	{RateLimited, http.StatusTooManyRequests},
	{LoginBadCredentials, http.StatusBadRequest},
	{LoginAccountUnavailable, http.StatusBadRequest},
	{LoginPayloadInvalid, http.StatusUnprocessableEntity},
	{RegisterFailed, http.StatusBadRequest},
	{VerifyBadToken, http.StatusBadRequest},
	{VerifyAlreadyVerified, http.StatusBadRequest},
	{ResetBadToken, http.StatusBadRequest},
	{ResetInvalidPassword, http.StatusBadRequest},
	{UpdateInvalidPassword, http.StatusBadRequest},
	{UpdateEmailExists, http.StatusBadRequest},
	{RefreshTokenInvalid, http.StatusUnauthorized},
	{SuperuserCannotDelete, http.StatusForbidden},
	{UserNotFound, http.StatusNotFound},
	{CSRFFailed, http.StatusForbidden},
	{TOTPPendingBadToken, http.StatusBadRequest},
	{TOTPCodeInvalid, http.StatusBadRequest},
	{TOTPAlreadyEnabled, http.StatusBadRequest},
	{TOTPEnrollBadToken, http.StatusBadRequest},
	{APIKeyLimitReached, http.StatusConflict},
	{APIKeyScopeDenied, http.StatusForbidden},
	{EmailUnverified, http.StatusForbidden},
	{PasskeyNotFound, http.StatusNotFound},
	{OAuthStateInvalid, http.StatusBadRequest},
	{OAuthNotAvailableEmail, http.StatusBadRequest},
	{OAuthEmailNotVerified, http.StatusBadRequest},
	{OAuthUserAlreadyExists, http.StatusBadRequest},
	{OAuthAccountAlreadyLinked, http.StatusBadRequest},
	{WebAuthnPayloadInvalid, http.StatusUnprocessableEntity},
	{WebAuthnStateInvalid, http.StatusBadRequest},
	{WebAuthnReplayed, http.StatusBadRequest},
	{WebAuthnVerificationFailed, http.StatusBadRequest},
	{WebAuthnUnknownCredential, http.StatusBadRequest},
	{WebAuthnSignCount, http.StatusBadRequest},
	{WebAuthnCredentialExists, http.StatusConflict},
	{WebAuthnLimitReached, http.StatusConflict},
	{WebAuthnNotFound, http.StatusNotFound},
	{WebAuthnDisabled, http.StatusForbidden},

	{ConfigurationInvalid, http.StatusBadRequest},
	{InvalidEmail, http.StatusBadRequest},
	{InvalidExpiry, http.StatusBadRequest},
	{InvalidLifetime, http.StatusBadRequest},
	{InvalidName, http.StatusBadRequest},
	{InvalidPassword, http.StatusBadRequest},
	{InvalidRole, http.StatusBadRequest},
	{UnknownKeyring, http.StatusBadRequest},
	{UserExists, http.StatusConflict},
	{UnknownCommand, http.StatusNotFound},
	{Internal, http.StatusInternalServerError},
}

var byCode = func() map[string]int {
	m := make(map[string]int, len(table))
	for _, e := range table {
		m[e.Code] = e.Status
	}
	return m
}()

// Status is the default HTTP status of code, 0 for a code not in the table.
func Status(code string) int { return byCode[code] }

// Known reports whether code is in the table.
func Known(code string) bool { _, ok := byCode[code]; return ok }

// All returns a copy of the table in documentation order.
func All() []Entry { return append([]Entry(nil), table...) }
