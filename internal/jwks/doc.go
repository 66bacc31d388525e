// Package jwks holds the public keys of one external token issuer: it
// fetches the issuer's JSON Web Key Set (RFC 7517), from a configured URL
// or from the jwks_uri of the issuer's OpenID discovery document, parses it
// into crypto/rsa, crypto/ecdsa and crypto/ed25519 keys, keeps the set in
// memory for as long as the endpoint's Cache-Control allows (clamped to
// [MinTTL, MaxTTL]), and refreshes it in the background before it expires.
//
// It owns: the URL rules for issuers and key-set endpoints (https only;
// plain http only to loopback hosts when AllowLoopbackHTTP is set), the
// size and time bounds of every fetch, which JWKs are signature keys, which
// token alg fits which key, and how long a set may be used after its
// endpoint has started failing (StaleFor). It does not verify tokens: the
// caller verifies a token's signature with the key Source.Key returns.
//
// It must never:
//   - fetch on the request path: Source.Key reads an immutable snapshot
//     without locks or allocation; an unknown kid only asks the background
//     refresher for a fetch, at most once per UnknownKIDRefreshInterval;
//   - return a key for an alg that does not fit its type (an RSA key for
//     ES256, any key for none or HS*), or for an alg other than the one the
//     JWK states;
//   - accept a set that contains private key material ("d", RSA primes, or
//     a symmetric "k"): someone published a secret, and the whole set is
//     refused;
//   - accept RSA keys under 2048 bits or EC points off their curve;
//   - follow a redirect to another origin (scheme, host and port), or read
//     more than MaxBody bytes of a response;
//   - use a key set past its expiry plus StaleFor: Key then answers
//     ErrStale and the caller fails closed (503).
package jwks
