package signing

import (
	"crypto/hkdf"
	"crypto/sha256"
	"strconv"
)

// hkdfInfoPrefix namespaces every derived key, so a purpose string can never
// collide with another application's use of the same secret.
const hkdfInfoPrefix = "gatehouse/v1/"

// hkdfMaxLen is the most HKDF-SHA256 can produce (255 blocks of 32 bytes).
const hkdfMaxLen = 255 * sha256.Size

// DeriveKey returns n bytes of HKDF-SHA256 (RFC 5869) keyed by secret, with no
// salt and info "gatehouse/v1/"+purpose. It is deterministic: the same secret
// and purpose always give the same key, and different purposes give
// independent keys. The caller is responsible for the secret being strong
// (config validation requires at least 32 bytes).
//
// It panics when n is negative or above 255*32, which is a programming error.
func DeriveKey(secret Secret, purpose string, n int) []byte {
	if n < 0 || n > hkdfMaxLen {
		panic("signing: DeriveKey length out of range: " + strconv.Itoa(n))
	}
	return hkdfSHA256(secret.Bytes(), nil, hkdfInfoPrefix+purpose, n)
}

// hkdfSHA256 is HKDF-SHA256 extract-then-expand. n must be in [0, 255*32].
func hkdfSHA256(ikm, salt []byte, info string, n int) []byte {
	if n == 0 {
		return []byte{}
	}
	out, err := hkdf.Key(sha256.New, ikm, salt, info, n)
	if err != nil {
		// Only reachable with an out-of-range n, which callers exclude.
		panic("signing: hkdf: " + err.Error())
	}
	return out
}
