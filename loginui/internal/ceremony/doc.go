// Package ceremony runs the WebAuthn ceremonies of the portal's passkeys
// (docs/design.md "Passkeys") with github.com/go-webauthn/webauthn:
// registration of a passkey for a logged-in user, a passkey as the second
// login step or a step-up proof for a known user, and passwordless login
// with a discoverable credential.
//
// A ceremony has two requests. Begin returns the options the browser
// passes to navigator.credentials.create or .get, and a state value the
// client sends back with its answer: go-webauthn's SessionData (the
// challenge, the RP ID, the allowed credentials, the user-verification
// requirement), the ceremony kind, the user and a digest of the caller's
// binding (the session, or the pending login, the ceremony belongs to),
// sealed with signing.SealBox so the client can neither read nor alter
// it. Finish opens the state, checks kind, user, binding and expiry,
// spends the challenge once through keystore.Markers, verifies the answer
// (origin, RP ID hash, challenge, signature, user presence, backup flags)
// and records the result in keystore.Passkeys: a new credential, or the
// use of one inside the store's transaction, where a signature counter
// that did not increase is refused (keystore.ErrSignCount: a clone).
//
// It owns: the go-webauthn configuration (attestation none, resident key
// required, user verification preferred, RP ID and origins from the
// caller), the user handle (an HMAC of the user id, never the id or an
// email), the state format, and the mapping between go-webauthn
// credentials and keystore.Passkey.
//
// It must never: accept a ceremony's answer twice or for another user,
// kind or binding; store anything when a check fails; decide whether a
// user may log in (the caller checks that the user is active and opens the
// session); put a challenge, credential id or user handle into an error
// text or a log.
package ceremony
