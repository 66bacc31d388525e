package signing

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"errors"
	"fmt"
	"strconv"
)

// JWT algorithms gatehouse issues and accepts. Any other "alg" value —
// including every spelling of "none" — is refused.
const (
	AlgHS256 = "HS256"
	AlgEdDSA = "EdDSA"
	AlgES256 = "ES256"
)

// MaxTokenLen is the longest compact JWS accepted (docs/design.md "Access JWT"). Longer tokens
// are refused before any decoding.
const MaxTokenLen = 2048

const (
	// jwtMaxDecoded bounds any decoded segment: 3/4 of MaxTokenLen.
	jwtMaxDecoded = MaxTokenLen * 3 / 4
	// jwtMaxSig is the largest raw signature (EdDSA and ES256: 64 bytes).
	jwtMaxSig = 64
	// jwtMaxMembers caps the members of a JWT header or claims object.
	jwtMaxMembers = 48
	// jwtMaxKIDLen caps a "kid" value.
	jwtMaxKIDLen = 128
	// jwtMinHMACKey is the shortest HS256 key accepted (docs/design.md "Secrets": secrets are
	// at least 32 bytes).
	jwtMinHMACKey = 32
	// jwtJTIHexLen is the length of a jti: 128 bits as lower-case hex.
	jwtJTIHexLen = 32
	// jwtDefaultLeeway is the clock leeway when none is configured.
	jwtDefaultLeeway = 30
)

// Sentinel errors of JWT verification. They never carry token content.
var (
	ErrJWTTooLarge        = errors.New("signing: jwt too large")
	ErrJWTMalformed       = errors.New("signing: jwt malformed")
	ErrJWTType            = errors.New("signing: jwt typ not accepted")
	ErrJWTAlgorithm       = errors.New("signing: jwt alg not accepted")
	ErrJWTUnknownKey      = errors.New("signing: jwt key unknown")
	ErrJWTDuplicateMember = errors.New("signing: jwt duplicated member name")
	ErrJWTCritical        = errors.New("signing: jwt crit not supported")
	ErrJWTSignature       = errors.New("signing: jwt signature invalid")
	ErrJWTMissingClaim    = errors.New("signing: jwt required claim missing")
	ErrJWTClaimInvalid    = errors.New("signing: jwt claim invalid")
	ErrJWTAudience        = errors.New("signing: jwt audience not accepted")
	ErrJWTIssuer          = errors.New("signing: jwt issuer not accepted")
	ErrJWTExpired         = errors.New("signing: jwt expired")
	ErrJWTNotYetValid     = errors.New("signing: jwt not yet valid")
	ErrJWTIssuedInFuture  = errors.New("signing: jwt issued in the future")
)

// ErrJWTKey reports an unusable key in a verifier or issuer configuration.
var ErrJWTKey = errors.New("signing: jwt key invalid")

// JWTKey is one signing or verification key: an id, the single algorithm it
// may be used with, and its material. An HS256 key only ever verifies HS256
// headers and an EdDSA/ES256 key only its own algorithm, so algorithm
// confusion is impossible by construction.
//
// For HS256 only HMAC is used. For EdDSA the public key is derived from the
// private one when only the private key is set; likewise for ES256.
type JWTKey struct {
	KID            string
	Alg            string // AlgHS256, AlgEdDSA or AlgES256
	HMAC           Secret
	Ed25519Public  ed25519.PublicKey
	Ed25519Private ed25519.PrivateKey
	ECDSAPublic    *ecdsa.PublicKey
	ECDSAPrivate   *ecdsa.PrivateKey
}

// String, GoString and Format print only the kid and algorithm, never key
// material, whatever the verb.
func (k JWTKey) String() string {
	return "JWTKey{kid=" + strconv.Quote(k.KID) + " alg=" + strconv.Quote(k.Alg) + "}"
}
func (k JWTKey) GoString() string { return k.String() }

// Format implements fmt.Formatter so that %v, %+v, %#v, %x and %s are all
// redacted.
func (k JWTKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// jwtNormalizeKey checks a key's material for its algorithm and fills in the
// public half from the private one. private reports whether signing material
// must be present.
func jwtNormalizeKey(k JWTKey, private bool) (JWTKey, error) {
	if len(k.KID) > jwtMaxKIDLen || !jwtValidKID(k.KID) {
		return k, fmt.Errorf("%w: kid must be at most %d printable ASCII characters without quotes or backslashes", ErrJWTKey, jwtMaxKIDLen)
	}
	switch k.Alg {
	case AlgHS256:
		if k.HMAC.Len() < jwtMinHMACKey {
			return k, fmt.Errorf("%w: HS256 key %q needs at least %d bytes", ErrJWTKey, k.KID, jwtMinHMACKey)
		}
	case AlgEdDSA:
		if k.KID == "" {
			return k, fmt.Errorf("%w: EdDSA keys need a kid", ErrJWTKey)
		}
		if k.Ed25519Private != nil {
			if len(k.Ed25519Private) != ed25519.PrivateKeySize {
				return k, fmt.Errorf("%w: EdDSA key %q: bad private key size", ErrJWTKey, k.KID)
			}
			pub, _ := k.Ed25519Private.Public().(ed25519.PublicKey)
			if k.Ed25519Public != nil && !pub.Equal(k.Ed25519Public) {
				return k, fmt.Errorf("%w: EdDSA key %q: public and private keys differ", ErrJWTKey, k.KID)
			}
			k.Ed25519Public = pub
		} else if private {
			return k, fmt.Errorf("%w: EdDSA key %q has no private key", ErrJWTKey, k.KID)
		}
		if len(k.Ed25519Public) != ed25519.PublicKeySize {
			return k, fmt.Errorf("%w: EdDSA key %q: bad public key size", ErrJWTKey, k.KID)
		}
	case AlgES256:
		if k.KID == "" {
			return k, fmt.Errorf("%w: ES256 keys need a kid", ErrJWTKey)
		}
		if k.ECDSAPrivate != nil {
			if k.ECDSAPrivate.Curve != elliptic.P256() {
				return k, fmt.Errorf("%w: ES256 key %q is not on P-256", ErrJWTKey, k.KID)
			}
			pub := &k.ECDSAPrivate.PublicKey
			if k.ECDSAPublic != nil && !pub.Equal(k.ECDSAPublic) {
				return k, fmt.Errorf("%w: ES256 key %q: public and private keys differ", ErrJWTKey, k.KID)
			}
			k.ECDSAPublic = pub
		} else if private {
			return k, fmt.Errorf("%w: ES256 key %q has no private key", ErrJWTKey, k.KID)
		}
		if k.ECDSAPublic == nil || k.ECDSAPublic.Curve != elliptic.P256() {
			return k, fmt.Errorf("%w: ES256 key %q needs a P-256 public key", ErrJWTKey, k.KID)
		}
	default:
		return k, fmt.Errorf("%w: algorithm not supported (want HS256, EdDSA or ES256)", ErrJWTKey)
	}
	return k, nil
}

// jwtValidKID accepts printable ASCII without '"' and '\', so a kid can be
// written into a header without escaping and compared byte for byte.
func jwtValidKID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// jwtSigLen is the raw signature length of an algorithm.
func jwtSigLen(alg string) int {
	if alg == AlgHS256 {
		return 32
	}
	return 64
}

// AccessClaims is the result of a successful Verify. The byte slices point
// into the JWTScratch passed to Verify and stay valid only until that scratch
// is used again; copy them to keep them longer.
type AccessClaims struct {
	Sub       []byte // subject (user id)
	JTI       []byte // 32 lower-case hex characters
	SFP       []byte // session fingerprint, empty when absent
	SID       []byte // session id, empty when absent
	KeyID     []byte // header kid, empty when absent
	IssuedAt  int64  // seconds since the Unix epoch
	NotBefore int64
	ExpiresAt int64
	Alg       string // the verified algorithm
	// Payload is the decoded claims JSON, for callers that need claims beyond
	// the ones above (it is not needed on the hot path).
	Payload []byte
}

// JWTScratch is working memory for Verify: fixed arrays sized for
// MaxTokenLen, so verification allocates nothing. The zero value is ready; a
// scratch may be reused for any number of tokens but not concurrently.
type JWTScratch struct {
	header  [jwtMaxDecoded]byte
	payload [jwtMaxDecoded]byte
	arena   [jwtMaxDecoded]byte // unescaped claim strings
	sig     [jwtMaxSig]byte
	mac     [32]byte
	members [jwtMaxMembers]jwtMember
}
