// Package login is the portal's first-factor check: an identifier and a
// password against the user store (a dummy hash for unknown users and
// users without a password, the account lockout, re-hashing on old
// parameters), the check of a signed-in user's current password, the
// audit of failed logins, and the answers a failed check gets.
//
// Its results are sentinel errors (ErrBadCredentials, ErrUnavailable,
// ErrBusy, ErrStore) that say nothing the client may not learn: a locked
// account, a user without a password and an unknown identifier are all
// ErrBadCredentials, after the same hashing work.
//
// It must never open a session or issue a token: it hands the checked
// user back, and the core decides the second step and mints the
// credential (loginui/internal/session). It must never log a password or
// an identifier (failed logins carry an HMAC digest of the folded
// identifier, only when a telemetry secret is set), and never write the
// user record on a failed login.
package login
