package signing

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
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

// otp is the github.com/pquerna/otp name of the algorithm.
func (a TOTPAlgorithm) otp() otp.Algorithm {
	switch a {
	case TOTPSHA1:
		return otp.AlgorithmSHA1
	case TOTPSHA512:
		return otp.AlgorithmSHA512
	default:
		return otp.AlgorithmSHA256
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
// (6..10), as a zero-padded decimal string, computed by
// github.com/pquerna/otp/hotp.
func HOTP(alg TOTPAlgorithm, secret []byte, counter uint64, digits int) string {
	if digits < 6 || digits > 10 {
		panic("signing: HOTP digits out of range: " + strconv.Itoa(digits))
	}
	code, err := hotp.GenerateCodeCustom(EncodeTOTPSecret(secret), counter, hotp.ValidateOpts{Digits: otp.Digits(digits), Algorithm: alg.otp()})
	if err != nil {
		// Only a secret that is not base32 fails, and ours always is.
		panic("signing: HOTP: " + err.Error())
	}
	return code
}

// ValidateTOTP checks a 6-digit code against the steps now-1, now and
// now+1 (docs/design.md "TOTP"). Each step is checked by
// github.com/pquerna/otp/hotp.ValidateCustom, which generates the code and
// compares it with crypto/subtle.ConstantTimeCompare; pquerna's
// totp.ValidateCustom is not used because it stops at the first match and
// does not say which counter matched. All three steps are always checked
// (no early exit) and the counter that matched is returned, so the caller
// can refuse a replay of the same (user, counter). A code that is not
// exactly six ASCII digits never matches (pquerna would trim spaces).
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
	opts := hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: alg.otp()}
	enc := EncodeTOTPSecret(secret)
	c := TOTPCounter(now)
	matched := false
	var found uint64
	for d := -TOTPSkew; d <= TOTPSkew; d++ {
		if d < 0 && c < uint64(-d) {
			continue
		}
		cand := c + uint64(int64(d))
		eq, err := hotp.ValidateCustom(code, cand, enc, opts)
		if err != nil {
			return 0, false
		}
		if eq && !matched {
			found, matched = cand, true
		}
	}
	return found, matched
}

var totpB32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns TOTPSecretSize random bytes, drawn by
// github.com/pquerna/otp/totp.Generate from crypto/rand. The labels it
// needs are placeholders: the URI is built later by NewTOTPKey.
func NewTOTPSecret() ([]byte, error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: "gatehouse", AccountName: "new", SecretSize: TOTPSecretSize, Rand: rand.Reader})
	if err != nil {
		return nil, fmt.Errorf("signing: generating a TOTP secret: %w", err)
	}
	b, err := totpB32.DecodeString(k.Secret())
	if err != nil || len(b) != TOTPSecretSize {
		return nil, ErrTOTPSecret
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

// NewTOTPKey is the github.com/pquerna/otp key of a secret: its URL is
// the otpauth:// key URI (Google Authenticator key-URI format)
// otpauth://totp/<issuer>:<account>?algorithm=..&digits=6&issuer=..&period=30&secret=..
// and its labels are the issuer and account. Both labels are required.
func NewTOTPKey(issuer, account string, alg TOTPAlgorithm, secret []byte) (*otp.Key, error) {
	if len(secret) == 0 {
		return nil, ErrTOTPSecret
	}
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: TOTPPeriod,
		Secret: secret, Digits: otp.DigitsSix, Algorithm: alg.otp()})
	if err != nil {
		return nil, err
	}
	// pquerna leaves a '/' of the account (valid in an email address)
	// unescaped, which would split the label; escape each label as one
	// path segment, as gatehouse always did.
	u, err := url.Parse(k.URL())
	if err != nil {
		return nil, err
	}
	u.RawPath = "/" + url.PathEscape(issuer) + ":" + url.PathEscape(account)
	return otp.NewKeyFromURL(u.String())
}

// TOTPURI is the URL of NewTOTPKey, or "" when a label is empty.
func TOTPURI(issuer, account string, alg TOTPAlgorithm, secret []byte) string {
	k, err := NewTOTPKey(issuer, account, alg, secret)
	if err != nil {
		return ""
	}
	return k.URL()
}
