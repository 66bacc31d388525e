package loginui

import (
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/errcode"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
	"github.com/gatehouse/gatehouse/signing"
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

// Common answers, as values a handler returns.
var (
	// opStore: a state store failed; nothing was changed.
	opStore = web.Unavailable
	// opUnauthenticated: no valid credential.
	opUnauthenticated = &opErr{Status: http.StatusUnauthorized, Code: CodeAuthenticationFailed, Detail: "authentication required", Challenge: `Bearer realm="gatehouse"`}
	// opBody: the JSON body does not parse.
	opBody = web.BadBody
	// opCSRF: the double-submit pair is missing or wrong.
	opCSRF = newOpErr(http.StatusForbidden, CodeCSRFFailed, "missing or invalid CSRF token")
)

func opForbidden(detail string) *opErr { return web.Forbidden(detail) }

// opErr is the failure of an operation (used by both the JSON API and the
// pages): the plumbing's error type.
type opErr = web.Error

// opBusy answers a request whose password hash found no free slot within
// the hasher's bounded wait (signing.ErrHashBusy): the server is saturated,
// the credentials were not checked, and nothing was changed.
var opBusy = web.Busy

// hashErr maps an error of the password hasher: ErrHashBusy is opBusy,
// anything else is fallback.
func hashErr(err error, fallback *opErr) *opErr {
	if errors.Is(err, signing.ErrHashBusy) {
		return opBusy
	}
	return fallback
}

func newOpErr(status int, code, detail string) *opErr { return web.New(status, code, detail) }
