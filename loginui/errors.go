package loginui

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/errcode"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// Error codes of the shared taxonomy (internal/errcode) that the portal
// answers with, under their historical portal names.
const (
	CodeAuthenticationFailed    = errcode.AuthenticationFailed
	CodeTokenProcessingFailed   = errcode.TokenProcessingFailed
	CodeRequestBodyInvalid      = errcode.RequestBodyInvalid
	CodeAuthorizationDenied     = errcode.AuthorizationDenied
	CodeTOTPStepUpRequired      = errcode.TOTPStepUpRequired
	CodeRateLimited             = errcode.RateLimited
	CodeLoginBadCredentials     = errcode.LoginBadCredentials
	CodeLoginAccountUnavailable = errcode.LoginAccountUnavailable
	CodeLoginPayloadInvalid     = errcode.LoginPayloadInvalid
	CodeRegisterFailed          = errcode.RegisterFailed
	CodeVerifyBadToken          = errcode.VerifyBadToken
	CodeVerifyAlreadyVerified   = errcode.VerifyAlreadyVerified
	CodeResetBadToken           = errcode.ResetBadToken
	CodeResetInvalidPassword    = errcode.ResetInvalidPassword
	CodeUpdateInvalidPassword   = errcode.UpdateInvalidPassword
	CodeUpdateEmailExists       = errcode.UpdateEmailExists
	CodeRefreshTokenInvalid     = errcode.RefreshTokenInvalid
	CodeSuperuserCannotDelete   = errcode.SuperuserCannotDelete
	CodeUserNotFound            = errcode.UserNotFound
	CodeCSRFFailed              = errcode.CSRFFailed
	CodeTOTPPendingBadToken     = errcode.TOTPPendingBadToken
	CodeTOTPCodeInvalid         = errcode.TOTPCodeInvalid
	CodeTOTPAlreadyEnabled      = errcode.TOTPAlreadyEnabled
	CodeTOTPEnrollBadToken      = errcode.TOTPEnrollBadToken
	CodeAPIKeyLimitReached      = errcode.APIKeyLimitReached
	CodeAPIKeyScopeDenied       = errcode.APIKeyScopeDenied
	CodeAPIKeyRevoked           = errcode.APIKeyRevoked
	// CodeEmailUnverified: the account's email address is not verified,
	// and the action (creating an API key, linking a provider) needs it.
	CodeEmailUnverified = errcode.EmailUnverified
)

// OAuth error codes.
const (
	CodeOAuthStateInvalid         = errcode.OAuthStateInvalid
	CodeOAuthNotAvailableEmail    = errcode.OAuthNotAvailableEmail
	CodeOAuthEmailNotVerified     = errcode.OAuthEmailNotVerified
	CodeOAuthUserAlreadyExists    = errcode.OAuthUserAlreadyExists
	CodeOAuthAccountAlreadyLinked = errcode.OAuthAccountAlreadyLinked
)

// Answers of the core's own (the plumbing's shared ones are in
// loginui/internal/web: Unavailable, BadBody, Busy, Forbidden).
var (
	// opUnauthenticated: no valid credential.
	opUnauthenticated = &web.Error{Status: http.StatusUnauthorized, Code: CodeAuthenticationFailed, Detail: "authentication required", Challenge: `Bearer realm="gatehouse"`}
	// opCSRF: the double-submit pair is missing or wrong.
	opCSRF = web.New(http.StatusForbidden, CodeCSRFFailed, "missing or invalid CSRF token")
)
