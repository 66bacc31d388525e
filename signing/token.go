package signing

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
)

// OpaqueTokenBytes is the entropy of an opaque session or refresh token.
const OpaqueTokenBytes = 32

// randomHexMaxBytes bounds RandomHex.
const randomHexMaxBytes = 1024

// ErrRandomLength is returned by RandomHex for a length outside 1..1024.
var ErrRandomLength = errors.New("signing: random length out of range")

// NewOpaqueToken returns 32 random bytes as unpadded base64url (43
// characters): an opaque session or refresh token (docs/design.md "Session tokens"). Store only
// TokenDigest of it.
func NewOpaqueToken() (string, error) {
	b := make([]byte, OpaqueTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("signing: reading random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// TokenDigest is HMAC-SHA256(key, token): the form in which opaque tokens
// are stored and looked up.
func TokenDigest(key Secret, token []byte) [32]byte {
	m := hmac.New(sha256.New, key.Bytes())
	m.Write(token)
	var out [32]byte
	m.Sum(out[:0])
	return out
}

// RandomHex returns nBytes random bytes as lower-case hex (2*nBytes
// characters); user ids use 16 bytes. nBytes must be in 1..1024.
func RandomHex(nBytes int) (string, error) {
	if nBytes < 1 || nBytes > randomHexMaxBytes {
		return "", ErrRandomLength
	}
	b := make([]byte, nBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("signing: reading random bytes: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// ConstantTimeEqual reports whether a and b are equal, in time that depends
// only on their lengths.
func ConstantTimeEqual(a, b []byte) bool {
	return subtle.ConstantTimeCompare(a, b) == 1
}
