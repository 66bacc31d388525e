package signing

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"sync"
)

// API key shape (docs/design.md "API keys"): <prefix>_<env>_<key_id>.<secret>
const (
	// APIKeyMaxLen is the longest raw key accepted.
	APIKeyMaxLen = 4096
	// APIKeyIDLen is the length of a key id: base64url of 16 random bytes.
	APIKeyIDLen = 22
	// APIKeySecretLen is the length of a secret: base64url of 32 random bytes.
	APIKeySecretLen = 43
	// akMaxLabel is the longest prefix or env label.
	akMaxLabel = 16
	akIDBytes  = 16
	akSecBytes = 32
)

var (
	// ErrAPIKeyMalformed is the only error of ParseAPIKey; it never carries
	// any part of the key.
	ErrAPIKeyMalformed = errors.New("signing: api key malformed")
	// ErrAPIKeyLabel reports a prefix or env outside [a-z0-9]{1,16}.
	ErrAPIKeyLabel = errors.New("signing: api key prefix and env must be 1-16 characters of [a-z0-9]")
)

// APIKeyParts are the parts of a parsed raw key. They are sub-slices of the
// raw key passed to ParseAPIKey and valid as long as it is.
type APIKeyParts struct {
	Env    []byte
	KeyID  []byte // APIKeyIDLen base64url characters
	Secret []byte // APIKeySecretLen base64url characters
}

// GenerateAPIKey makes a new raw key. keyID carries 128 random bits
// (a little less than 128 of entropy: see below) and secret 256, both
// base64url without padding. keyID always begins with a letter or a digit,
// never '-' or '_', so it can be passed to a command line as a positional
// argument without being read as a flag. Show raw once; store only
// APIKeyHasher.Digest(secret).
func GenerateAPIKey(prefix, env string) (raw, keyID, secret string, err error) {
	if !akValidLabel(prefix) || !akValidLabel(env) {
		return "", "", "", ErrAPIKeyLabel
	}
	var b [akIDBytes + akSecBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", "", errors.New("signing: random source failed")
	}
	// The first character encodes the top 6 bits of the first byte; 62 and
	// 63 are '-' and '_'. Redraw that byte until it encodes A-Z a-z 0-9
	// (rejection sampling keeps the 62 others uniform; 127.95 bits remain).
	for b[0]>>2 >= 62 {
		if _, err := rand.Read(b[:1]); err != nil {
			return "", "", "", errors.New("signing: random source failed")
		}
	}
	keyID = base64.RawURLEncoding.EncodeToString(b[:akIDBytes])
	secret = base64.RawURLEncoding.EncodeToString(b[akIDBytes:])
	return prefix + "_" + env + "_" + keyID + "." + secret, keyID, secret, nil
}

// akValidLabel reports whether s matches [a-z0-9]{1,16}.
func akValidLabel(s string) bool {
	if len(s) == 0 || len(s) > akMaxLabel {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !akLabelChar(s[i]) {
			return false
		}
	}
	return true
}

func akLabelChar(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// ParseAPIKey splits raw strictly: at most APIKeyMaxLen bytes, exactly
// prefix, "_", an env of [a-z0-9]{1,16}, "_", a key id of exactly
// APIKeyIDLen base64url characters, ".", and a secret of exactly
// APIKeySecretLen base64url characters; both in canonical encoding (unused
// trailing bits zero). Anything else — white space, padding, other
// characters, extra dots — is ErrAPIKeyMalformed. It allocates nothing.
func ParseAPIKey(raw []byte, prefix string) (APIKeyParts, error) {
	if len(raw) > APIKeyMaxLen || prefix == "" {
		return APIKeyParts{}, ErrAPIKeyMalformed
	}
	n := len(prefix)
	if len(raw) <= n || string(raw[:n]) != prefix || raw[n] != '_' {
		return APIKeyParts{}, ErrAPIKeyMalformed
	}
	rest := raw[n+1:]
	e := 0
	for e < len(rest) && e <= akMaxLabel && akLabelChar(rest[e]) {
		e++
	}
	if e == 0 || e > akMaxLabel || e >= len(rest) || rest[e] != '_' {
		return APIKeyParts{}, ErrAPIKeyMalformed
	}
	env := rest[:e]
	rest = rest[e+1:]
	if len(rest) != APIKeyIDLen+1+APIKeySecretLen || rest[APIKeyIDLen] != '.' {
		return APIKeyParts{}, ErrAPIKeyMalformed
	}
	id, sec := rest[:APIKeyIDLen], rest[APIKeyIDLen+1:]
	// 22 chars carry 132 bits for 128: the last char's low 4 bits are zero.
	// 43 chars carry 258 bits for 256: the last char's low 2 bits are zero.
	if !akB64(id, 0x0f) || !akB64(sec, 0x03) {
		return APIKeyParts{}, ErrAPIKeyMalformed
	}
	return APIKeyParts{Env: env, KeyID: id, Secret: sec}, nil
}

// akB64 reports whether b is base64url whose last character has the bits
// in unusedMask clear.
func akB64(b []byte, unusedMask byte) bool {
	for _, c := range b {
		if jwtB64[c] == 0xff {
			return false
		}
	}
	return jwtB64[b[len(b)-1]]&unusedMask == 0
}

// APIKeyHasher computes the stored digest of API key secrets:
// HMAC-SHA256(api_key_hash secret, secret text). Safe for concurrent use;
// Digest and Match allocate nothing.
//
// Timing: for an unknown key id, callers must still spend one HMAC, as for
// a known one: call d := h.DummyDigest(); h.Match(parts.Secret, d[:]) (which
// never succeeds) and answer API_KEY_INVALID.
type APIKeyHasher struct {
	states sync.Pool // of *akState
	dummy  [32]byte
}

type akState struct {
	h   hash.Hash
	sum [32]byte
}

// NewAPIKeyHasher builds a hasher. key must be at least 32 bytes.
func NewAPIKeyHasher(key Secret) (*APIKeyHasher, error) {
	if key.Len() < 32 {
		return nil, errors.New("signing: api key hash secret must be at least 32 bytes")
	}
	k := append([]byte(nil), key.Bytes()...)
	h := &APIKeyHasher{}
	h.states.New = func() any { return &akState{h: hmac.New(sha256.New, k)} }
	// The dummy digest is of random bytes that are then forgotten, so no
	// presented secret can match it.
	var r [48]byte
	if _, err := rand.Read(r[:]); err != nil {
		return nil, errors.New("signing: random source failed")
	}
	h.dummy = h.Digest(r[:])
	return h, nil
}

// Digest returns HMAC-SHA256(key, secret).
func (h *APIKeyHasher) Digest(secret []byte) [32]byte {
	st := h.states.Get().(*akState)
	st.h.Reset()
	st.h.Write(secret)
	st.h.Sum(st.sum[:0])
	d := st.sum
	h.states.Put(st)
	return d
}

// Match reports in constant time whether Digest(secret) equals stored.
func (h *APIKeyHasher) Match(secret []byte, stored []byte) bool {
	d := h.Digest(secret)
	return hmac.Equal(d[:], stored)
}

// DummyDigest returns a digest no secret matches, to be used as the stored
// digest for unknown key ids (see APIKeyHasher).
func (h *APIKeyHasher) DummyDigest() [32]byte { return h.dummy }
