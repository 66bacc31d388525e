package loginui

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/errcode"
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

// apiError is the JSON error body {"code","detail"}. Details are fixed
// strings: they never carry input, identifiers or store errors.
type apiError struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// writeJSON writes v as the JSON body with status. Responses are never
// cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes {"code","detail"} with status.
func writeError(w http.ResponseWriter, status int, code, detail string) {
	writeJSON(w, status, apiError{Code: code, Detail: detail})
}

// Common answers.
func errStore(w http.ResponseWriter) {
	writeError(w, http.StatusServiceUnavailable, CodeTokenProcessingFailed, "a state store is unavailable; nothing was changed")
}

func errUnauthenticated(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
	writeError(w, http.StatusUnauthorized, CodeAuthenticationFailed, "authentication required")
}

func errForbidden(w http.ResponseWriter, detail string) {
	writeError(w, http.StatusForbidden, CodeAuthorizationDenied, detail)
}

func errBody(w http.ResponseWriter) {
	writeError(w, http.StatusUnprocessableEntity, CodeRequestBodyInvalid, "the request body is not a valid JSON object of the expected shape")
}

func errCSRF(w http.ResponseWriter) {
	writeError(w, http.StatusForbidden, CodeCSRFFailed, "missing or invalid CSRF token")
}

// opErr is the failure of a shared operation (used by both the JSON API
// and the pages): a status, a code and a fixed detail.
type opErr struct {
	Status     int
	Code       string
	Detail     string
	RetryAfter int // seconds; 429 only
}

func (e *opErr) write(w http.ResponseWriter) {
	setRetryAfter(w, e)
	writeError(w, e.Status, e.Code, e.Detail)
}

// opBusy answers a request whose password hash found no free slot within
// the hasher's bounded wait (signing.ErrHashBusy): the server is saturated,
// the credentials were not checked, and nothing was changed.
var opBusy = &opErr{Status: http.StatusTooManyRequests, Code: CodeRateLimited, Detail: "the server is busy; retry shortly", RetryAfter: 1}

// hashErr maps an error of the password hasher: ErrHashBusy is opBusy,
// anything else is fallback.
func hashErr(err error, fallback *opErr) *opErr {
	if errors.Is(err, signing.ErrHashBusy) {
		return opBusy
	}
	return fallback
}

// setRetryAfter sets the Retry-After header of a 429 answer.
func setRetryAfter(w http.ResponseWriter, e *opErr) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
}

var opStore = &opErr{Status: http.StatusServiceUnavailable, Code: CodeTokenProcessingFailed, Detail: "a state store is unavailable; nothing was changed"}

func newOpErr(status int, code, detail string) *opErr {
	return &opErr{Status: status, Code: code, Detail: detail}
}
