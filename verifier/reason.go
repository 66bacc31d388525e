package verifier

import "github.com/gatehouse/gatehouse/internal/errcode"

// Reason is the outcome of one decision. ReasonNone is an allow; every other
// value is a deny with a fixed status, code and detail. A deny is a value, not
// an error: nothing about it is built per request.
type Reason uint8

// Reasons. The String of each is its code in the shared error taxonomy
// (internal/errcode; docs/design.md "Error codes").
const (
	ReasonNone Reason = iota
	ReasonAuthenticationFailed
	ReasonTokenProcessingFailed
	ReasonAPIKeyInvalid
	ReasonAPIKeyRevoked
	ReasonAPIKeyExpired
	ReasonAPIKeySignatureInvalid
	ReasonAPIKeySignatureTimestampSkew
	ReasonAPIKeySignatureNonceReplay
	ReasonRequestBodyInvalid
	ReasonAuthorizationDenied
	ReasonInsufficientRoles
	ReasonInsufficientScopes
	ReasonTOTPStepUpRequired
	ReasonRequestInvalid
	ReasonUntrustedProxy
	ReasonNotFound
	reasonCount
)

type reasonInfo struct {
	code   string
	status int
	detail string
	body   []byte // precomputed {"code","detail"}
}

// reasons holds each deny's code (from the shared table in
// internal/errcode) and its fixed detail; init fills the status from the
// table and precomputes the body, so nothing is built per request.
var reasons = [reasonCount]reasonInfo{
	ReasonNone:                         {code: "OK", status: 200},
	ReasonAuthenticationFailed:         {code: errcode.AuthenticationFailed, detail: "Authentication required."},
	ReasonTokenProcessingFailed:        {code: errcode.TokenProcessingFailed, detail: "The credential could not be checked right now."},
	ReasonAPIKeyInvalid:                {code: errcode.APIKeyInvalid, detail: "The API key is not valid."},
	ReasonAPIKeyRevoked:                {code: errcode.APIKeyRevoked, detail: "The API key has been revoked."},
	ReasonAPIKeyExpired:                {code: errcode.APIKeyExpired, detail: "The API key has expired."},
	ReasonAPIKeySignatureInvalid:       {code: errcode.APIKeySignatureInvalid, detail: "The request signature is not valid."},
	ReasonAPIKeySignatureTimestampSkew: {code: errcode.APIKeySignatureTimestampSkew, detail: "The request date is outside the allowed clock skew."},
	ReasonAPIKeySignatureNonceReplay:   {code: errcode.APIKeySignatureNonceReplay, detail: "The request nonce has already been used."},
	ReasonRequestBodyInvalid:           {code: errcode.RequestBodyInvalid, detail: "The request body does not match its signed digest or is too large."},
	ReasonAuthorizationDenied:          {code: errcode.AuthorizationDenied, detail: "Access to this resource is denied."},
	ReasonInsufficientRoles:            {code: errcode.InsufficientRoles, detail: "The account lacks a role this resource requires."},
	ReasonInsufficientScopes:           {code: errcode.InsufficientScopes, detail: "The credential lacks a scope this resource requires."},
	ReasonTOTPStepUpRequired:           {code: errcode.TOTPStepUpRequired, detail: "A recent second-factor confirmation is required."},
	ReasonRequestInvalid:               {code: errcode.RequestInvalid, detail: "The forwarded request is missing or malformed."},
	ReasonUntrustedProxy:               {code: errcode.UntrustedProxy, detail: "Connections from this address are not accepted."},
	ReasonNotFound:                     {code: errcode.NotFound, detail: "Unknown endpoint."},
}

func init() {
	for i := range reasons {
		r := &reasons[i]
		if r.detail == "" {
			continue
		}
		r.status = errcode.Status(r.code)
		if r.status == 0 {
			panic("verifier: reason code " + r.code + " is not in internal/errcode")
		}
		// Codes and details are fixed ASCII without quotes or backslashes,
		// so no escaping is needed.
		r.body = []byte(`{"code":"` + r.code + `","detail":"` + r.detail + `"}`)
	}
}

// String returns the taxonomy code, e.g. "API_KEY_REVOKED".
func (r Reason) String() string {
	if r >= reasonCount {
		return "UNKNOWN"
	}
	return reasons[r].code
}

// Status is the HTTP status a deny answers with (200 for ReasonNone).
func (r Reason) Status() int {
	if r >= reasonCount {
		return 500
	}
	return reasons[r].status
}

// Detail is the fixed human-readable text of the deny.
func (r Reason) Detail() string {
	if r >= reasonCount {
		return ""
	}
	return reasons[r].detail
}

func (r Reason) body() []byte {
	if r >= reasonCount {
		return nil
	}
	return reasons[r].body
}

// isCredentialFailure reports whether the reason is an authentication
// failure (401), which gets WWW-Authenticate and, for browsers, a redirect.
func (r Reason) isCredentialFailure() bool { return r.Status() == 401 }
