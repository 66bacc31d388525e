package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
)

// MaxJSONBody caps every JSON request body.
const MaxJSONBody = 16 << 10

// ErrBadBody is the error of DecodeJSON for any body it refuses.
var ErrBadBody = errors.New("loginui: request body invalid")

// DecodeJSON reads exactly one JSON object into dst: Content-Type must be
// application/json (a cross-site HTML form cannot send that), the body is
// capped at MaxJSONBody, unknown fields and trailing data are refused.
// allowEmpty accepts a missing body as {}.
func DecodeJSON(r *http.Request, dst any, allowEmpty bool) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxJSONBody+1))
	if err != nil || len(body) > MaxJSONBody {
		return ErrBadBody
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 && allowEmpty {
		return nil
	}
	// Only an object is a request: null, arrays and scalars are refused
	// rather than decoded as zero values.
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return ErrBadBody
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return ErrBadBody
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return ErrBadBody
	}
	if _, err := dec.Token(); err != io.EOF {
		return ErrBadBody
	}
	return nil
}

// MaxFormBody caps HTML form bodies.
const MaxFormBody = 16 << 10

// ParseForm parses an application/x-www-form-urlencoded body with a cap.
func ParseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, MaxFormBody)
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return false
	}
	return r.ParseForm() == nil
}
