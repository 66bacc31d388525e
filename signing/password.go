package signing

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// PasswordParams are the argon2id cost parameters and output sizes.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultPasswordParams is RFC 9106's second recommended set: m=64 MiB, t=3, p=4,
// with a 16-byte salt and a 32-byte tag.
var DefaultPasswordParams = PasswordParams{Memory: 64 * 1024, Time: 3, Threads: 4, SaltLen: 16, KeyLen: 32}

// Password length policy defaults, counted in characters (runes).
const (
	DefaultPasswordMinLen = 12
	DefaultPasswordMaxLen = 128
)

// Bounds on argon2id parameters, both for a Hasher's own settings and for
// parameters read back from a stored hash. A stored hash outside them is
// refused before any work is spent, so a hostile row cannot exhaust memory or
// CPU.
const (
	PasswordMaxMemoryKiB = 4 * 1024 * 1024 // 4 GiB
	PasswordMaxTime      = 64
	PasswordMinSaltLen   = 8
	PasswordMaxSaltLen   = 64
	PasswordMinKeyLen    = 16
	PasswordMaxKeyLen    = 64

	// passwordMinHasherMemoryKiB is the least memory a Hasher may be configured
	// with; stored hashes may use less (down to argon2's 8 KiB per lane).
	pwMinHasherMemoryKiB = 1024
	// pwBcryptMaxCost bounds the work of an imported bcrypt hash (2^16 rounds
	// is already several seconds); higher costs are refused as hostile.
	pwBcryptMaxCost = 16
	// pwBcryptMaxPassword is the number of password bytes bcrypt reads; longer
	// passwords never match an imported bcrypt hash rather than matching on a
	// truncated prefix.
	pwBcryptMaxPassword = 72
	// pwMaxEncodedLen bounds the stored string we are willing to parse.
	pwMaxEncodedLen = 512
)

// Password errors. None of them carries the password or the stored hash.
var (
	ErrPasswordParams    = errors.New("signing: invalid password hashing parameters")
	ErrPasswordHash      = errors.New("signing: unrecognised or malformed password hash")
	ErrPasswordTooShort  = errors.New("signing: password too short")
	ErrPasswordTooLong   = errors.New("signing: password too long")
	ErrPasswordEncoding  = errors.New("signing: password is not valid UTF-8")
	ErrPasswordPolicyArg = errors.New("signing: invalid password length policy")
)

// Hasher hashes and verifies passwords with argon2id under fixed parameters.
// It is safe for concurrent use. The zero value is not usable: build one
// with NewHasher.
type Hasher struct {
	p     PasswordParams
	dummy string // a hash of a random password under p, for VerifyDummy
}

// NewHasher validates p and returns a Hasher. It spends one hash's work up
// front to make the dummy hash used by VerifyDummy.
func NewHasher(p PasswordParams) (*Hasher, error) {
	if err := pwCheckParams(p, true); err != nil {
		return nil, err
	}
	h := &Hasher{p: p}
	pw := make([]byte, 32)
	if _, err := rand.Read(pw); err != nil {
		return nil, fmt.Errorf("signing: reading random bytes: %w", err)
	}
	d, err := h.Hash(base64.RawStdEncoding.EncodeToString(pw))
	if err != nil {
		return nil, err
	}
	h.dummy = d
	return h, nil
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() PasswordParams { return h.p }

// Hash returns the PHC string of a fresh argon2id hash of password:
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<tag> (unpadded standard base64).
func (h *Hasher) Hash(password string) (string, error) {
	salt := make([]byte, h.p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("signing: reading random bytes: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, h.p.Time, h.p.Memory, h.p.Threads, h.p.KeyLen)
	return pwFormatPHC(h.p, salt, key), nil
}

// Verify checks password against encoded, an argon2id PHC string or an
// imported bcrypt hash ($2a$, $2b$, $2y$).
//
// ok reports a match. needsRehash is true only when ok and the stored hash
// was made with parameters other than the Hasher's, or is bcrypt: the caller
// should then store h.Hash(password). A mismatch is (false, false, nil).
// An unknown or malformed format, or one whose parameters are out of bounds,
// is an error wrapping ErrPasswordHash (fail closed); the error never contains
// encoded or password.
func (h *Hasher) Verify(encoded, password string) (ok bool, needsRehash bool, err error) {
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		ph, err := pwParsePHC(encoded)
		if err != nil {
			return false, false, err
		}
		got := argon2.IDKey([]byte(password), ph.salt, ph.params.Time, ph.params.Memory, ph.params.Threads, ph.params.KeyLen)
		if subtle.ConstantTimeCompare(got, ph.key) != 1 {
			return false, false, nil
		}
		return true, ph.params != h.p, nil
	case strings.HasPrefix(encoded, "$2a$"), strings.HasPrefix(encoded, "$2b$"), strings.HasPrefix(encoded, "$2y$"):
		if err := pwCheckBcrypt(encoded); err != nil {
			return false, false, err
		}
		if len(password) > pwBcryptMaxPassword {
			return false, false, nil
		}
		switch err := bcrypt.CompareHashAndPassword([]byte(encoded), []byte(password)); {
		case err == nil:
			return true, true, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return false, false, nil
		default:
			return false, false, ErrPasswordHash
		}
	default:
		return false, false, ErrPasswordHash
	}
}

// VerifyDummy spends the work of one Verify under the Hasher's parameters and
// always fails. Call it when the identifier is unknown, so the answer takes as
// long as for a known user with a wrong password.
func (h *Hasher) VerifyDummy(password string) {
	_, _, _ = h.Verify(h.dummy, password)
}

// CheckPasswordLength enforces a length policy counted in characters (runes).
// It returns ErrPasswordTooShort, ErrPasswordTooLong, ErrPasswordEncoding for
// invalid UTF-8, or ErrPasswordPolicyArg when min < 1 or max < min.
func CheckPasswordLength(pw string, min, max int) error {
	if min < 1 || max < min {
		return ErrPasswordPolicyArg
	}
	// Refuse absurd inputs before counting: a rune is at most 4 bytes.
	if len(pw) > 4*max {
		return ErrPasswordTooLong
	}
	if !utf8.ValidString(pw) {
		return ErrPasswordEncoding
	}
	n := utf8.RuneCountInString(pw)
	switch {
	case n < min:
		return ErrPasswordTooShort
	case n > max:
		return ErrPasswordTooLong
	}
	return nil
}

// pwCheckParams validates parameters. forHasher applies the stricter floor
// for parameters we choose ourselves.
func pwCheckParams(p PasswordParams, forHasher bool) error {
	minMem := uint32(8) * uint32(p.Threads)
	if forHasher && minMem < pwMinHasherMemoryKiB {
		minMem = pwMinHasherMemoryKiB
	}
	switch {
	case p.Threads < 1,
		p.Memory < minMem, p.Memory > PasswordMaxMemoryKiB,
		p.Time < 1, p.Time > PasswordMaxTime,
		p.SaltLen < PasswordMinSaltLen, p.SaltLen > PasswordMaxSaltLen,
		p.KeyLen < PasswordMinKeyLen, p.KeyLen > PasswordMaxKeyLen:
		return ErrPasswordParams
	}
	return nil
}

func pwFormatPHC(p PasswordParams, salt, key []byte) string {
	var b strings.Builder
	b.Grow(64 + base64.RawStdEncoding.EncodedLen(len(salt)) + base64.RawStdEncoding.EncodedLen(len(key)))
	b.WriteString("$argon2id$v=19$m=")
	b.WriteString(strconv.FormatUint(uint64(p.Memory), 10))
	b.WriteString(",t=")
	b.WriteString(strconv.FormatUint(uint64(p.Time), 10))
	b.WriteString(",p=")
	b.WriteString(strconv.FormatUint(uint64(p.Threads), 10))
	b.WriteByte('$')
	b.WriteString(base64.RawStdEncoding.EncodeToString(salt))
	b.WriteByte('$')
	b.WriteString(base64.RawStdEncoding.EncodeToString(key))
	return b.String()
}

type pwPHC struct {
	params PasswordParams
	salt   []byte
	key    []byte
}

// pwParsePHC parses exactly the form pwFormatPHC writes: version 19, the
// parameters m, t, p in that order as canonical decimals, and unpadded
// standard base64 salt and tag. Anything else is ErrPasswordHash.
func pwParsePHC(s string) (pwPHC, error) {
	var out pwPHC
	if len(s) > pwMaxEncodedLen {
		return out, ErrPasswordHash
	}
	rest, ok := strings.CutPrefix(s, "$argon2id$v=19$m=")
	if !ok {
		return out, ErrPasswordHash
	}
	m, rest, ok := pwCutUint(rest, ",t=", PasswordMaxMemoryKiB)
	if !ok {
		return out, ErrPasswordHash
	}
	t, rest, ok := pwCutUint(rest, ",p=", PasswordMaxTime)
	if !ok {
		return out, ErrPasswordHash
	}
	p, rest, ok := pwCutUint(rest, "$", 255)
	if !ok {
		return out, ErrPasswordHash
	}
	saltB64, keyB64, ok := strings.Cut(rest, "$")
	if !ok {
		return out, ErrPasswordHash
	}
	salt, ok := pwDecodeB64(saltB64)
	if !ok {
		return out, ErrPasswordHash
	}
	key, ok := pwDecodeB64(keyB64)
	if !ok {
		return out, ErrPasswordHash
	}
	out.params = PasswordParams{
		Memory: uint32(m), Time: uint32(t), Threads: uint8(p),
		SaltLen: uint32(len(salt)), KeyLen: uint32(len(key)),
	}
	if err := pwCheckParams(out.params, false); err != nil {
		return pwPHC{}, ErrPasswordHash
	}
	out.salt, out.key = salt, key
	return out, nil
}

// pwCutUint reads a canonical decimal (no sign, no leading zero, at most
// max) followed by sep.
func pwCutUint(s, sep string, max uint64) (uint64, string, bool) {
	num, rest, ok := strings.Cut(s, sep)
	if !ok || num == "" || len(num) > 10 || (num[0] == '0' && len(num) > 1) {
		return 0, "", false
	}
	var v uint64
	for i := 0; i < len(num); i++ {
		c := num[i]
		if c < '0' || c > '9' {
			return 0, "", false
		}
		v = v*10 + uint64(c-'0')
	}
	if v > max {
		return 0, "", false
	}
	return v, rest, true
}

// pwDecodeB64 decodes unpadded standard base64, refusing anything outside
// the alphabet (the decoder would otherwise skip CR and LF) and
// non-canonical trailing bits.
func pwDecodeB64(s string) ([]byte, bool) {
	if s == "" || len(s) > 2*PasswordMaxSaltLen+PasswordMaxKeyLen {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return nil, false
		}
	}
	b, err := base64.RawStdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, false
	}
	return b, true
}

// pwCheckBcrypt validates the shape of a bcrypt hash: "$2x$NN$" then 53
// characters of bcrypt's base64 alphabet, with the cost bounded.
func pwCheckBcrypt(s string) error {
	if len(s) != 60 || s[6] != '$' {
		return ErrPasswordHash
	}
	c1, c2 := s[4], s[5]
	if c1 < '0' || c1 > '9' || c2 < '0' || c2 > '9' {
		return ErrPasswordHash
	}
	cost := int(c1-'0')*10 + int(c2-'0')
	if cost < bcrypt.MinCost || cost > pwBcryptMaxCost {
		return ErrPasswordHash
	}
	for i := 7; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '/') {
			return ErrPasswordHash
		}
	}
	return nil
}
