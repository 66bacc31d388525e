// Package passkey is the portal's passkeys (WebAuthn, docs/design.md
// "Passkeys"): registering and removing a user's passkeys (JSON routes
// and the /account section), a passkey step-up proof for a cookie
// session, the first-party script that runs the ceremonies in a browser
// (GET /static/passkey.js), and the ceremonies of the core's passkey
// logins (feature.Passkeys: the passwordless login and the second step).
//
// The ceremonies themselves are loginui/internal/ceremony's. This package
// decides who may run which (a cookie session opened with a password or
// stepped up to add a passkey; a step-up proof to remove one), maps the
// ceremonies' errors to WEBAUTHN_* codes and audits them.
//
// It must never open a session or decide what a login is worth (the core
// does, feature/methods.go), log a credential id, user handle, challenge
// or state, or store anything when a ceremony fails.
package passkey
