package verifier

// Reason is the outcome of one decision. ReasonNone is an allow; every other
// value is a deny with a fixed status, code and detail. A deny is a value, not
// an error: nothing about it is built per request.
type Reason uint8

// Reasons. The String of each is its code in the shared error taxonomy
// (docs/design.md "Error codes").
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

var reasons = [reasonCount]reasonInfo{
	ReasonNone:                         {"OK", 200, "", nil},
	ReasonAuthenticationFailed:         {"AUTHENTICATION_FAILED", 401, "Authentication required.", nil},
	ReasonTokenProcessingFailed:        {"TOKEN_PROCESSING_FAILED", 503, "The credential could not be checked right now.", nil},
	ReasonAPIKeyInvalid:                {"API_KEY_INVALID", 401, "The API key is not valid.", nil},
	ReasonAPIKeyRevoked:                {"API_KEY_REVOKED", 401, "The API key has been revoked.", nil},
	ReasonAPIKeyExpired:                {"API_KEY_EXPIRED", 401, "The API key has expired.", nil},
	ReasonAPIKeySignatureInvalid:       {"API_KEY_SIGNATURE_INVALID", 401, "The request signature is not valid.", nil},
	ReasonAPIKeySignatureTimestampSkew: {"API_KEY_SIGNATURE_TIMESTAMP_SKEW", 401, "The request date is outside the allowed clock skew.", nil},
	ReasonAPIKeySignatureNonceReplay:   {"API_KEY_SIGNATURE_NONCE_REPLAY", 401, "The request nonce has already been used.", nil},
	ReasonRequestBodyInvalid:           {"REQUEST_BODY_INVALID", 401, "The request body does not match its signed digest or is too large.", nil},
	ReasonAuthorizationDenied:          {"AUTHORIZATION_DENIED", 403, "Access to this resource is denied.", nil},
	ReasonInsufficientRoles:            {"INSUFFICIENT_ROLES", 403, "The account lacks a role this resource requires.", nil},
	ReasonInsufficientScopes:           {"INSUFFICIENT_SCOPES", 403, "The credential lacks a scope this resource requires.", nil},
	ReasonTOTPStepUpRequired:           {"TOTP_STEPUP_REQUIRED", 403, "A recent second-factor confirmation is required.", nil},
	ReasonRequestInvalid:               {"REQUEST_INVALID", 400, "The forwarded request is missing or malformed.", nil},
	ReasonUntrustedProxy:               {"UNTRUSTED_PROXY", 403, "Connections from this address are not accepted.", nil},
	ReasonNotFound:                     {"NOT_FOUND", 404, "Unknown endpoint.", nil},
}

func init() {
	for i := range reasons {
		r := &reasons[i]
		if r.detail == "" {
			continue
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
