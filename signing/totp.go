package signing

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TOTP parameters fixed by docs/design.md "TOTP" (RFC 6238).
const (
	TOTPPeriod     = 30 // seconds per step
	TOTPDigits     = 6  // digits of a code
	TOTPSkew       = 1  // steps accepted either side of now
	TOTPSecretSize = 32 // bytes of a generated secret (256 bits)
)

// TOTPAlgorithm is the HMAC hash of a TOTP secret.
type TOTPAlgorithm uint8

// TOTP algorithms. SHA256 is the default; SHA1 exists for old
// authenticator apps and must be asked for explicitly.
const (
	TOTPSHA256 TOTPAlgorithm = iota
	TOTPSHA1
	TOTPSHA512
)

// Errors of the TOTP helpers. They never carry secret material.
var (
	ErrTOTPAlgorithm = errors.New("signing: unknown TOTP algorithm")
	ErrTOTPSecret    = errors.New("signing: invalid TOTP secret")
)

// ParseTOTPAlgorithm accepts SHA1, SHA256 and SHA512 (case-insensitive);
// the empty string is SHA256.
func ParseTOTPAlgorithm(s string) (TOTPAlgorithm, error) {
	switch strings.ToUpper(s) {
	case "", "SHA256":
		return TOTPSHA256, nil
	case "SHA1":
		return TOTPSHA1, nil
	case "SHA512":
		return TOTPSHA512, nil
	}
	return 0, ErrTOTPAlgorithm
}

// String is the name used in config and in otpauth URIs.
func (a TOTPAlgorithm) String() string {
	switch a {
	case TOTPSHA1:
		return "SHA1"
	case TOTPSHA512:
		return "SHA512"
	default:
		return "SHA256"
	}
}

func (a TOTPAlgorithm) hash() func() hash.Hash {
	switch a {
	case TOTPSHA1:
		return sha1.New
	case TOTPSHA512:
		return sha512.New
	default:
		return sha256.New
	}
}

// TOTPCounter is the RFC 6238 step counter of t (0 before the epoch).
func TOTPCounter(t time.Time) uint64 {
	s := t.Unix()
	if s < 0 {
		return 0
	}
	return uint64(s) / TOTPPeriod
}

// HOTP is the RFC 4226 code of counter under secret, with digits digits
// (6..10), as a zero-padded decimal string.
func HOTP(alg TOTPAlgorithm, secret []byte, counter uint64, digits int) string {
	var buf [10]byte
	return string(appendHOTP(buf[:0], alg, secret, counter, digits))
}

var pow10 = [...]uint32{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000}

func appendHOTP(dst []byte, alg TOTPAlgorithm, secret []byte, counter uint64, digits int) []byte {
	if digits < 6 || digits > 10 {
		panic("signing: HOTP digits out of range: " + strconv.Itoa(digits))
	}
	m := hmac.New(alg.hash(), secret)
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], counter)
	m.Write(c[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	var code uint64 = uint64(bin)
	if digits < 10 {
		code %= uint64(pow10[digits])
	}
	s := strconv.FormatUint(code, 10)
	for i := len(s); i < digits; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// ValidateTOTP checks a 6-digit code against the steps now-1, now and
// now+1. It compares every candidate in constant time (no early exit) and
// returns the counter that matched, so the caller can refuse a replay of
// the same (user, counter). A code that is not exactly six ASCII digits
// never matches.
func ValidateTOTP(alg TOTPAlgorithm, secret []byte, code string, now time.Time) (counter uint64, ok bool) {
	valid := len(code) == TOTPDigits && len(secret) > 0
	for i := 0; valid && i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			valid = false
		}
	}
	if !valid {
		return 0, false
	}
	c := TOTPCounter(now)
	var buf [10]byte
	match := 0
	var found uint64
	for d := -TOTPSkew; d <= TOTPSkew; d++ {
		if d < 0 && c < uint64(-d) {
			continue
		}
		cand := c + uint64(int64(d))
		got := appendHOTP(buf[:0], alg, secret, cand, TOTPDigits)
		eq := subtle.ConstantTimeCompare(got, []byte(code))
		if eq == 1 && match == 0 {
			found = cand
		}
		match |= eq
	}
	return found, match == 1
}

var totpB32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns TOTPSecretSize random bytes.
func NewTOTPSecret() ([]byte, error) {
	b := make([]byte, TOTPSecretSize)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("signing: reading random bytes: %w", err)
	}
	return b, nil
}

// EncodeTOTPSecret is upper-case base32 without padding, as
// authenticator apps expect.
func EncodeTOTPSecret(secret []byte) string { return totpB32.EncodeToString(secret) }

// DecodeTOTPSecret accepts what EncodeTOTPSecret writes (upper or lower
// case, spaces ignored) and requires at least 160 bits.
func DecodeTOTPSecret(s string) ([]byte, error) {
	if len(s) > 256 {
		return nil, ErrTOTPSecret
	}
	s = strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	b, err := totpB32.DecodeString(strings.TrimRight(s, "="))
	if err != nil || len(b) < 20 {
		return nil, ErrTOTPSecret
	}
	return b, nil
}

// TOTPURI is the otpauth:// key URI (Google Authenticator key-URI format)
// of a secret: otpauth://totp/<issuer>:<account>?secret=..&issuer=..&algorithm=..&digits=6&period=30.
func TOTPURI(issuer, account string, alg TOTPAlgorithm, secret []byte) string {
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	if issuer == "" {
		label = url.PathEscape(account)
	}
	q := url.Values{}
	q.Set("secret", EncodeTOTPSecret(secret))
	if issuer != "" {
		q.Set("issuer", issuer)
	}
	q.Set("algorithm", alg.String())
	q.Set("digits", strconv.Itoa(TOTPDigits))
	q.Set("period", strconv.Itoa(TOTPPeriod))
	return "otpauth://totp/" + label + "?" + q.Encode()
}
