package jwks

import "errors"

// Answers of Source.Key and Set.Key (the hot path). They are sentinels, so
// a lookup never allocates.
var (
	// ErrUnknownKID: no signature key has the token's kid. Source.Key also
	// asks for an out-of-band refresh (rate limited).
	ErrUnknownKID = errors.New("jwks: unknown kid")
	// ErrKIDRequired: the set holds more than one key and the token names none.
	ErrKIDRequired = errors.New("jwks: kid required, the key set has several keys")
	// ErrAlgMismatch: the token's alg is not a supported signature algorithm,
	// does not fit the key's type, or differs from the alg the JWK states.
	ErrAlgMismatch = errors.New("jwks: alg does not fit the key")
	// ErrStale: no key set was ever fetched, or the last good set is older
	// than its expiry plus StaleFor. The caller fails closed (503).
	ErrStale = errors.New("jwks: no current key set")
)

// Errors of configuration (New) and of fetches (Refresh).
var (
	ErrBadURL         = errors.New("jwks: invalid URL")
	ErrInsecureURL    = errors.New("jwks: URL must be https (http only to a loopback host with AllowLoopbackHTTP)")
	ErrIssuerMismatch = errors.New("jwks: discovery document names another issuer")
	ErrRedirect       = errors.New("jwks: redirect refused")
	ErrFetch          = errors.New("jwks: fetch failed")
	ErrTooLarge       = errors.New("jwks: response larger than MaxBody")
	ErrInvalidSet     = errors.New("jwks: invalid key set")
	ErrInvalidKey     = errors.New("jwks: invalid key in the set")
	ErrPrivateKey     = errors.New("jwks: key set contains private key material")
	ErrDuplicateKID   = errors.New("jwks: duplicate kid in the key set")
)
