package web

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
// HMAC-SHA256(Key, frame(binding) || frame(nonce)). binding is the
// session digest for a logged-in session and the fixed label "pre" for
// forms served before a session exists. A token is accepted when the
// gatehouse_csrf cookie and the submitted value are identical and the MAC
// verifies for the request's binding.

const (
	csrfNonceLen = 16
	// CSRFHeader carries the token of a JSON request.
	CSRFHeader = "X-CSRF-Token"
	// CSRFFormField carries the token of a form post.
	CSRFFormField = "csrf"
	csrfMaxLen    = 128
	// CSRFPreBinding binds the tokens of forms served before a session.
	CSRFPreBinding = "pre"
)

// CSRF mints and checks the double-submit tokens.
type CSRF struct {
	Key     []byte // the MAC key
	Cookies *Cookies
}

func (c *CSRF) mac(binding, nonce []byte) []byte {
	m := hmac.New(sha256.New, c.Key)
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(binding)))
	m.Write(l[:])
	m.Write(binding)
	binary.BigEndian.PutUint32(l[:], uint32(len(nonce)))
	m.Write(l[:])
	m.Write(nonce)
	return m.Sum(nil)
}

// NewToken mints a token for binding.
func (c *CSRF) NewToken(binding []byte) (string, error) {
	nonce := make([]byte, csrfNonceLen)
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(nonce) + "." + enc.EncodeToString(c.mac(binding, nonce)), nil
}

// ValidFor reports whether tok carries a valid MAC for binding.
func (c *CSRF) ValidFor(tok string, binding []byte) bool {
	if len(tok) == 0 || len(tok) > csrfMaxLen {
		return false
	}
	n, m, ok := strings.Cut(tok, ".")
	if !ok || !IsB64URL(n) || !IsB64URL(m) {
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
	return hmac.Equal(mac, c.mac(binding, nonce))
}

// IsB64URL reports whether s holds only base64url characters. The decoder
// alone would skip '\r' and '\n', so a token with line breaks inserted
// would pass as the same token.
func IsB64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Ensure returns the token a form should carry, reusing the cookie's
// token when it is valid for binding and setting a new cookie otherwise.
func (c *CSRF) Ensure(w http.ResponseWriter, r *http.Request, binding []byte) (string, error) {
	if v := CookieValue(r, CSRFCookieName); c.ValidFor(v, binding) {
		return v, nil
	}
	tok, err := c.NewToken(binding)
	if err != nil {
		return "", err
	}
	c.Cookies.SetCSRF(w, tok)
	return tok, nil
}

// Check verifies the double-submit pair of r for binding. submitted is
// the header value, or the form field when formValue is non-empty.
func (c *CSRF) Check(r *http.Request, binding []byte, formValue string) bool {
	sub := r.Header.Get(CSRFHeader)
	if sub == "" {
		sub = formValue
	}
	ck := CookieValue(r, CSRFCookieName)
	if sub == "" || ck == "" || len(sub) != len(ck) || subtle.ConstantTimeCompare([]byte(sub), []byte(ck)) != 1 {
		return false
	}
	return c.ValidFor(ck, binding)
}

// IsSafeMethod: methods that never change state.
func IsSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
