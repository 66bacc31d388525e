package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/errcode"
)

// Error is a failed request: the answer's status, its code (from
// internal/errcode) and a fixed detail. Detail never carries input,
// identifiers or store errors; Cause is for errors.Is and logs only and
// is never written to the client.
type Error struct {
	Status     int
	Code       string
	Detail     string
	RetryAfter int    // seconds; sets Retry-After when > 0 (429, 503)
	Challenge  string // sets WWW-Authenticate when not empty (401)
	Cause      error
}

// New returns the error answering status with code and a fixed detail.
func New(status int, code, detail string) *Error {
	return &Error{Status: status, Code: code, Detail: detail}
}

// Error implements error. It names the code and the detail, and the
// cause when there is one.
func (e *Error) Error() string {
	s := e.Code + ": " + e.Detail
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// WithCause returns a copy of e carrying cause (e itself is often a shared
// value and is not modified).
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.Cause = cause
	return &c
}

// SetHeaders sets Retry-After and WWW-Authenticate as e asks.
func (e *Error) SetHeaders(w http.ResponseWriter) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	if e.Challenge != "" {
		w.Header().Set("WWW-Authenticate", e.Challenge)
	}
}

// WriteJSON answers with e's headers, status and {"code","detail"}.
func (e *Error) WriteJSON(w http.ResponseWriter) {
	e.SetHeaders(w)
	WriteError(w, e.Status, e.Code, e.Detail)
}

// Unavailable is the answer to an error nobody mapped, and to a failing
// state store: 503. A write may still have been applied (a lost reply, a
// write the replicas did not confirm in time), so the text never claims
// that nothing changed.
var Unavailable = New(http.StatusServiceUnavailable, errcode.TokenProcessingFailed, "a state store is unavailable; the request may not have taken effect, try again shortly")

// As returns err as an *Error, or Unavailable (carrying err as its cause)
// when err is not one.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Unavailable.WithCause(err)
}

// apiError is the JSON error body {"code","detail"}.
type apiError struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// WriteJSON writes v as the JSON body with status. Answers are never
// cached.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError writes {"code","detail"} with status.
func WriteError(w http.ResponseWriter, status int, code, detail string) {
	WriteJSON(w, status, apiError{Code: code, Detail: detail})
}

// Answers shared by the portal core and the feature packages.
var (
	// NoRoute answers an unknown API route (and the routes of a disabled
	// feature, as if they did not exist).
	NoRoute = New(http.StatusNotFound, errcode.RequestBodyInvalid, "no such API route")
	// BadBody: the JSON body does not parse.
	BadBody = New(http.StatusUnprocessableEntity, errcode.RequestBodyInvalid, "the request body is not a valid JSON object of the expected shape")
	// EmailUnverified refuses an owner's API key or provider link.
	EmailUnverified = New(http.StatusForbidden, errcode.EmailUnverified,
		"verify your email address first: an account whose address is not verified cannot create API keys or link other accounts")
)

// Forbidden is 403 AUTHORIZATION_DENIED with detail.
func Forbidden(detail string) *Error {
	return New(http.StatusForbidden, errcode.AuthorizationDenied, detail)
}

// Busy answers a request whose password hash found no free slot within
// the hasher's bounded wait: the credentials were not checked, and
// nothing was changed.
var Busy = &Error{Status: http.StatusTooManyRequests, Code: errcode.RateLimited, Detail: "the server is busy; retry shortly", RetryAfter: 1}

// RecordChanged answers a change whose premise (a password just checked,
// a pending enrollment) no longer holds on the stored record.
var RecordChanged = New(http.StatusConflict, errcode.TokenProcessingFailed, "the account changed while this request ran; nothing was changed, try again")

// WritePage executes t's "layout" template with d and answers it with
// status (WriteHTML). When the template fails nothing of it is written:
// the answer is 500 and the error is returned for the caller's log.
func WritePage(w http.ResponseWriter, t *template.Template, status int, d any) error {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return err
	}
	WriteHTML(w, status, buf.Bytes())
	return nil
}

// WriteHTML answers a rendered page: text/html, never cached.
func WriteHTML(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
