package signing

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
)

// ErrSealedInvalid: a sealed value is malformed, was sealed under another
// key or purpose, or was altered.
var ErrSealedInvalid = errors.New("signing: sealed value invalid")

// SealBox seals short values a browser carries between two requests (the
// OAuth flow cookie, WebAuthn ceremony state): AES-256-GCM under a 32-byte
// key, a random 96-bit nonce per value, and a purpose string as additional
// data, so a value sealed for one purpose never opens for another. Values
// are base64url without padding.
type SealBox struct {
	aead    cipher.AEAD
	purpose []byte
}

// NewSealBox returns a box for key (32 bytes, e.g. from DeriveKey) and
// purpose.
func NewSealBox(key []byte, purpose string) (*SealBox, error) {
	if len(key) != 32 {
		return nil, errors.New("signing: SealBox needs a 32-byte key")
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	return &SealBox{aead: a, purpose: []byte(purpose)}, nil
}

// Seal encrypts and authenticates plaintext.
func (s *SealBox) Seal(plaintext []byte) (string, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plaintext, s.purpose)), nil
}

// Open reverses Seal; a value longer than maxLen characters is refused
// before any work.
func (s *SealBox) Open(v string, maxLen int) ([]byte, error) {
	if v == "" || len(v) > maxLen {
		return nil, ErrSealedInvalid
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(v)
	if err != nil || len(b) < s.aead.NonceSize()+s.aead.Overhead() {
		return nil, ErrSealedInvalid
	}
	pt, err := s.aead.Open(nil, b[:s.aead.NonceSize()], b[s.aead.NonceSize():], s.purpose)
	if err != nil {
		return nil, ErrSealedInvalid
	}
	return pt, nil
}
