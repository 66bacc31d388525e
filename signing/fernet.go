package signing

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Fernet (https://github.com/fernet/spec): a token is
//
//	0x80 | timestamp (uint64 BE, Unix seconds) | IV (16) | AES-128-CBC ciphertext (PKCS#7) | HMAC-SHA256 (32)
//
// url-safe base64 with padding. The HMAC, keyed with the first half of the
// 32-byte key, covers every byte before it; the second half is the AES key.
const (
	fernetVersion      = 0x80
	fernetKeyLen       = 32
	fernetHeaderLen    = 1 + 8 + aes.BlockSize // version, timestamp, IV
	fernetMACLen       = sha256.Size
	fernetMinRawLen    = fernetHeaderLen + aes.BlockSize + fernetMACLen
	fernetMaxClockSkew = 60 * time.Second

	// FernetMaxTokenLen bounds the encoded token length accepted by
	// FernetDecrypt and produced by FernetEncrypt (4 MiB).
	FernetMaxTokenLen = 4 << 20
)

// Fernet errors. None of them carries the key, token or plaintext.
var (
	ErrFernetKey       = errors.New("signing: fernet key must be url-safe base64 of 32 bytes")
	ErrFernetMalformed = errors.New("signing: malformed fernet token")
	ErrFernetInvalid   = errors.New("signing: fernet token failed authentication")
	ErrFernetExpired   = errors.New("signing: fernet token expired")
	ErrFernetFuture    = errors.New("signing: fernet token timestamp is in the future")
	ErrFernetTooLarge  = errors.New("signing: fernet plaintext too large")
	ErrFernetIV        = errors.New("signing: fernet IV must be 16 bytes")
	ErrFernetTime      = errors.New("signing: fernet timestamp before 1970")
)

// FernetKey is a parsed Fernet key. It is incomparable with == and never
// prints its material.
type FernetKey struct {
	_       [0]func()
	signKey []byte // 16 bytes, HMAC-SHA256 key
	encKey  []byte // 16 bytes, AES-128 key
}

// ParseFernetKey parses the url-safe base64 (with padding) encoding of 32
// bytes. The error never contains s.
func ParseFernetKey(s string) (FernetKey, error) {
	if len(s) != base64.URLEncoding.EncodedLen(fernetKeyLen) || !fernetIsB64URL(s) {
		return FernetKey{}, ErrFernetKey
	}
	raw, err := base64.URLEncoding.Strict().DecodeString(s)
	if err != nil || len(raw) != fernetKeyLen {
		return FernetKey{}, ErrFernetKey
	}
	return FernetKey{signKey: raw[:16:16], encKey: raw[16:32:32]}, nil
}

// GenerateFernetKey returns a new random key in its text form.
func GenerateFernetKey() (string, error) {
	raw := make([]byte, fernetKeyLen)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("signing: reading random bytes: %w", err)
	}
	return base64.URLEncoding.EncodeToString(raw), nil
}

// IsZero reports whether k was never parsed.
func (k FernetKey) IsZero() bool { return len(k.signKey) == 0 }

func (FernetKey) String() string             { return redacted }
func (FernetKey) GoString() string           { return redacted }
func (FernetKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }
func (FernetKey) MarshalText() ([]byte, error) {
	return []byte(redacted), nil
}

// FernetEncrypt returns the Fernet token of plaintext under k, stamped with
// now. iv must be nil (a random IV is drawn) or 16 bytes; a caller-chosen IV
// exists for test vectors only and must never be reused with the same key.
func FernetEncrypt(k FernetKey, plaintext []byte, now time.Time, iv []byte) (string, error) {
	if k.IsZero() {
		return "", ErrFernetKey
	}
	ts := now.Unix()
	if ts < 0 {
		return "", ErrFernetTime
	}
	padded := len(plaintext) + aes.BlockSize - len(plaintext)%aes.BlockSize
	rawLen := fernetHeaderLen + padded + fernetMACLen
	if len(plaintext) > FernetMaxTokenLen || base64.URLEncoding.EncodedLen(rawLen) > FernetMaxTokenLen {
		return "", ErrFernetTooLarge
	}
	raw := make([]byte, rawLen)
	raw[0] = fernetVersion
	binary.BigEndian.PutUint64(raw[1:9], uint64(ts))
	switch {
	case iv == nil:
		if _, err := rand.Read(raw[9:fernetHeaderLen]); err != nil {
			return "", fmt.Errorf("signing: reading random bytes: %w", err)
		}
	case len(iv) == aes.BlockSize:
		copy(raw[9:fernetHeaderLen], iv)
	default:
		return "", ErrFernetIV
	}
	body := raw[fernetHeaderLen : fernetHeaderLen+padded]
	copy(body, plaintext)
	pad := byte(padded - len(plaintext))
	for i := len(plaintext); i < padded; i++ {
		body[i] = pad
	}
	block, err := aes.NewCipher(k.encKey)
	if err != nil {
		return "", ErrFernetKey
	}
	cipher.NewCBCEncrypter(block, raw[9:fernetHeaderLen]).CryptBlocks(body, body)
	mac := hmac.New(sha256.New, k.signKey)
	mac.Write(raw[:fernetHeaderLen+padded])
	mac.Sum(raw[:fernetHeaderLen+padded])
	return base64.URLEncoding.EncodeToString(raw), nil
}

// FernetDecrypt authenticates and decrypts token under k.
//
// The HMAC is checked in constant time before anything is decrypted. With
// ttl > 0 a token older than ttl at now is ErrFernetExpired, and one stamped
// more than 60 seconds after now is ErrFernetFuture; with ttl == 0 the
// timestamp is not checked. Structural problems are ErrFernetMalformed, a bad
// MAC or padding ErrFernetInvalid. Errors never contain the token.
func FernetDecrypt(k FernetKey, token string, ttl time.Duration, now time.Time) ([]byte, error) {
	if k.IsZero() {
		return nil, ErrFernetKey
	}
	if len(token) > FernetMaxTokenLen || len(token)%4 != 0 || !fernetIsB64URL(token) {
		return nil, ErrFernetMalformed
	}
	raw, err := base64.URLEncoding.Strict().DecodeString(token)
	if err != nil {
		return nil, ErrFernetMalformed
	}
	if len(raw) < fernetMinRawLen || (len(raw)-fernetHeaderLen-fernetMACLen)%aes.BlockSize != 0 || raw[0] != fernetVersion {
		return nil, ErrFernetMalformed
	}
	signed, tag := raw[:len(raw)-fernetMACLen], raw[len(raw)-fernetMACLen:]
	mac := hmac.New(sha256.New, k.signKey)
	mac.Write(signed)
	if !hmac.Equal(mac.Sum(nil), tag) {
		return nil, ErrFernetInvalid
	}
	if ttl > 0 {
		// Whole seconds, as the spec and the reference implementation count.
		ts := binary.BigEndian.Uint64(raw[1:9])
		nowS := now.Unix()
		if ts > 1<<62 || int64(ts) > nowS+int64(fernetMaxClockSkew/time.Second) {
			return nil, ErrFernetFuture
		}
		if int64(ts)+int64(ttl/time.Second) < nowS {
			return nil, ErrFernetExpired
		}
	}
	block, err := aes.NewCipher(k.encKey)
	if err != nil {
		return nil, ErrFernetKey
	}
	body := make([]byte, len(signed)-fernetHeaderLen)
	cipher.NewCBCDecrypter(block, raw[9:fernetHeaderLen]).CryptBlocks(body, signed[fernetHeaderLen:])
	pad := int(body[len(body)-1])
	if pad < 1 || pad > aes.BlockSize {
		return nil, ErrFernetInvalid
	}
	for _, b := range body[len(body)-pad:] {
		if int(b) != pad {
			return nil, ErrFernetInvalid
		}
	}
	return body[:len(body)-pad], nil
}

// fernetIsB64URL reports whether s uses only the url-safe base64 alphabet and
// '=' (the decoder would otherwise skip CR and LF).
func fernetIsB64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '=') {
			return false
		}
	}
	return true
}
