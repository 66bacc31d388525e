// Package signing is gatehouse's pure cryptography on bytes: password
// hashing (argon2id in PHC strings, imported bcrypt, a dummy hash for
// unknown users), the Secret type, HKDF subkeys, Fernet envelopes and
// keyrings for secrets at rest, access-JWT issue and allocation-free
// verify, the session fingerprint, opaque-token and API-key digests, the
// LSA1-HMAC-SHA256 request-signing canon and client, TOTP and recovery
// codes.
//
// It does no I/O — no files, network, environment or logging — and takes
// the clock as a parameter. It never puts secret material or the input it
// refused into an error, compares secrets in constant time, and its verify
// paths return package-level sentinel errors so a deny costs nothing.
package signing
