// Package login is how a person logs in to the portal. The Checker is the
// first-factor check: an identifier and a password against the user
// store (a dummy hash for unknown users and users without a password, the
// account lockout, re-hashing on old parameters), the check of a
// signed-in user's current password, and the audit of failed logins. The
// Flow is the JSON login API (POST /api/auth/login, /logout, /refresh,
// /2fa/verify, /webauthn/login/begin|finish) and the steps the core's
// login pages share with it: the one decision whether a login goes
// through the second step (SecondStepFor), beginning and completing it (a
// feature.SecondFactor, loginui/totp, or a passkey through
// feature.Passkeys), checking a passwordless passkey login, and opening a
// browser session with its cookies.
//
// The Checker's results are sentinel errors (ErrBadCredentials,
// ErrUnavailable, ErrBusy, ErrStore) that say nothing the client may not
// learn: a locked account, a user without a password and an unknown
// identifier are all ErrBadCredentials, after the same hashing work.
//
// It must never mint a credential itself: every session, refresh chain
// and access token comes from loginui/internal/session, and a session is
// opened only for a login whose factors were checked here (a password or
// a passkey, then the second step for a user who has one) or by the
// core's Host.FinishLogin, which accepts only an OAuth first factor. It
// must never render a page (the HTML login is the core's, with its
// templates), never log a password or an identifier (failed logins carry
// an HMAC digest of the folded identifier, only when a telemetry secret
// is set), and never write the user record on a failed login.
package login
