package loginui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"strings"
)

// CSRF tokens are "<nonce>.<mac>", both unpadded base64url, where mac is
// HMAC-SHA256(csrfKey, frame(binding) || frame(nonce)). binding is the
// session digest for a logged-in session and the fixed label "pre" for
// forms served before a session exists. A token is accepted when the
// gatehouse_csrf cookie and the submitted value are identical and the MAC
// verifies for the request's binding.

const (
	csrfNonceLen   = 16
	csrfHeader     = "X-CSRF-Token"
	csrfFormField  = "csrf"
	csrfMaxLen     = 128
	csrfPreBinding = "pre"
)

func (p *Portal) csrfMAC(binding, nonce []byte) []byte {
	m := hmac.New(sha256.New, p.csrfKey)
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(binding)))
	m.Write(l[:])
	m.Write(binding)
	binary.BigEndian.PutUint32(l[:], uint32(len(nonce)))
	m.Write(l[:])
	m.Write(nonce)
	return m.Sum(nil)
}

// newCSRFToken mints a token for binding.
func (p *Portal) newCSRFToken(binding []byte) (string, error) {
	nonce := make([]byte, csrfNonceLen)
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(nonce) + "." + enc.EncodeToString(p.csrfMAC(binding, nonce)), nil
}

// csrfValidFor reports whether tok carries a valid MAC for binding.
func (p *Portal) csrfValidFor(tok string, binding []byte) bool {
	if len(tok) == 0 || len(tok) > csrfMaxLen {
		return false
	}
	n, m, ok := strings.Cut(tok, ".")
	if !ok || !isB64URL(n) || !isB64URL(m) {
		return false
	}
	enc := base64.RawURLEncoding.Strict()
	nonce, err := enc.DecodeString(n)
	if err != nil || len(nonce) != csrfNonceLen {
		return false
	}
	mac, err := enc.DecodeString(m)
	if err != nil {
		return false
	}
	return hmac.Equal(mac, p.csrfMAC(binding, nonce))
}

// isB64URL reports whether s holds only base64url characters. The decoder
// alone would skip '\r' and '\n', so a token with line breaks inserted
// would pass as the same token.
func isB64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// csrfBinding is what a request's CSRF token must be bound to.
func csrfBinding(c *caller) []byte {
	if c != nil && c.viaCookie {
		return c.digest
	}
	return []byte(csrfPreBinding)
}

// ensureCSRF returns the token a form should carry, reusing the cookie's
// token when it is valid for binding and setting a new cookie otherwise.
func (p *Portal) ensureCSRF(w http.ResponseWriter, r *http.Request, binding []byte) (string, error) {
	if v := cookieValue(r, csrfCookieName); p.csrfValidFor(v, binding) {
		return v, nil
	}
	tok, err := p.newCSRFToken(binding)
	if err != nil {
		return "", err
	}
	p.setCSRFCookie(w, tok)
	return tok, nil
}

// checkCSRF verifies the double-submit pair of r for binding. submitted is
// the header value, or the form field when formValue is non-empty.
func (p *Portal) checkCSRF(r *http.Request, binding []byte, formValue string) bool {
	sub := r.Header.Get(csrfHeader)
	if sub == "" {
		sub = formValue
	}
	ck := cookieValue(r, csrfCookieName)
	if sub == "" || ck == "" || len(sub) != len(ck) || subtle.ConstantTimeCompare([]byte(sub), []byte(ck)) != 1 {
		return false
	}
	return p.csrfValidFor(ck, binding)
}

// isSafeMethod: methods that never change state.
func isSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
