package signing

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Recovery codes (docs/design.md "TOTP"): ten codes of 112 bits, shown as 28
// lower-case hex characters.
const (
	RecoveryCodeCount = 10
	RecoveryCodeBytes = 14
	RecoveryCodeLen   = 2 * RecoveryCodeBytes
)

const recoveryLookupPurpose = "recovery-code-lookup"

// ErrRecoveryCode is returned for a malformed stored recovery-code entry.
var ErrRecoveryCode = errors.New("signing: invalid recovery code record")

// RecoveryCodeHash is the stored form of one recovery code: Lookup is hex
// HMAC-SHA256 under a key derived from the lookup secret (to find the entry
// without hashing every one), Hash the argon2id PHC string of the code.
type RecoveryCodeHash struct {
	Lookup string `json:"l"`
	Hash   string `json:"h"`
}

// NewRecoveryCodes returns RecoveryCodeCount fresh codes.
func NewRecoveryCodes() ([]string, error) {
	codes := make([]string, RecoveryCodeCount)
	b := make([]byte, RecoveryCodeBytes)
	for i := range codes {
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("signing: reading random bytes: %w", err)
		}
		codes[i] = hex.EncodeToString(b)
	}
	return codes, nil
}

// NormalizeRecoveryCode lower-cases s and drops spaces and dashes (people
// copy codes in groups); ok is false unless exactly 28 hex characters
// remain.
func NormalizeRecoveryCode(s string) (string, bool) {
	if len(s) > 4*RecoveryCodeLen {
		return "", false
	}
	var b strings.Builder
	b.Grow(RecoveryCodeLen)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-':
			continue
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			c += 'a' - 'A'
		default:
			return "", false
		}
		if b.Len() == RecoveryCodeLen {
			return "", false
		}
		b.WriteByte(c)
	}
	if b.Len() != RecoveryCodeLen {
		return "", false
	}
	return b.String(), true
}

// RecoveryCodeLookup is the lookup digest of a normalised code.
func RecoveryCodeLookup(key Secret, code string) string {
	m := hmac.New(sha256.New, DeriveKey(key, recoveryLookupPurpose, 32))
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}

// HashRecoveryCodes returns the stored form of codes.
func HashRecoveryCodes(h *Hasher, lookupKey Secret, codes []string) ([]RecoveryCodeHash, error) {
	out := make([]RecoveryCodeHash, 0, len(codes))
	for _, c := range codes {
		n, ok := NormalizeRecoveryCode(c)
		if !ok {
			return nil, ErrRecoveryCode
		}
		ph, err := h.Hash(n)
		if err != nil {
			return nil, err
		}
		out = append(out, RecoveryCodeHash{Lookup: RecoveryCodeLookup(lookupKey, n), Hash: ph})
	}
	return out, nil
}

// MatchRecoveryCode finds code in stored. It returns the index of the
// entry that matched, its lookup digest, and ok. The lookup digest is
// compared with every entry in constant time; exactly one argon2id
// verification is spent whether or not an entry matched (a dummy one
// otherwise), so timing does not tell a near miss from a malformed code.
// An unusable stored hash is a non-match. err is ErrHashBusy (and ok
// false) when the Hasher had no free slot in time, whatever the code:
// the caller must answer "busy", not "wrong code".
func MatchRecoveryCode(h *Hasher, lookupKey Secret, stored []RecoveryCodeHash, code string) (index int, lookup string, ok bool, err error) {
	n, valid := NormalizeRecoveryCode(code)
	if !valid {
		return -1, "", false, h.VerifyDummy(code)
	}
	lk := RecoveryCodeLookup(lookupKey, n)
	index = -1
	for i, s := range stored {
		if subtle.ConstantTimeCompare([]byte(s.Lookup), []byte(lk)) == 1 && index < 0 {
			index = i
		}
	}
	if index < 0 {
		return -1, "", false, h.VerifyDummy(n)
	}
	match, _, err := h.Verify(stored[index].Hash, n)
	if errors.Is(err, ErrHashBusy) {
		return -1, "", false, err
	}
	if err != nil || !match {
		return -1, "", false, nil
	}
	return index, lk, true, nil
}
