package loginui

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
)

// maxJSONBody caps every JSON request body.
const maxJSONBody = 16 << 10

var errBadBody = errors.New("loginui: request body invalid")

// decodeJSON reads exactly one JSON object into dst: Content-Type must be
// application/json (a cross-site HTML form cannot send that), the body is
// capped at maxJSONBody, unknown fields and trailing data are refused.
// allowEmpty accepts a missing body as {}.
func decodeJSON(r *http.Request, dst any, allowEmpty bool) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
	if err != nil || len(body) > maxJSONBody {
		return errBadBody
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 && allowEmpty {
		return nil
	}
	// Only an object is a request: null, arrays and scalars are refused
	// rather than decoded as zero values.
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return errBadBody
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errBadBody
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return errBadBody
	}
	if _, err := dec.Token(); err != io.EOF {
		return errBadBody
	}
	return nil
}

// maxFormBody caps HTML form bodies.
const maxFormBody = 16 << 10

// parseForm parses an application/x-www-form-urlencoded body with a cap.
func parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return false
	}
	return r.ParseForm() == nil
}
