// Package signup is the portal's account lifecycle without a session, a
// feature of the portal core (loginui/internal/feature): registration
// (POST /api/auth/register, /register), email verification (POST
// /api/auth/verify and /api/auth/request-verify-token, /verify) and
// password reset (POST /api/auth/forgot-password and
// /api/auth/reset-password, /forgot-password, /reset-password), the
// verify and reset tokens (the core builds their codecs and keys) and the
// mails with their links.
//
// It owns the answers of those routes and their templates. Account
// creation and password rules come from internal/accounts; public-form
// CSRF, rate limits, the revocation policy and storing a new password
// (which takes every session) come from the core through feature.Host.
//
// It must never reveal whether an account exists: register,
// request-verify-token and forgot-password give the same answers and are
// padded to the minimum response time (the Router's Padded routes), and
// a taken address costs the same password hash as a free one. It must
// never verify an address from a token issued for another one (the token
// carries a fingerprint of the address, checked on the record as stored)
// nor reset a password from a token issued before the password changed.
// It must never leave credentials made before verification alive: after
// a verification or a reset it runs the core's policy,
// Host.RevokeUnverifiedCredentials, and it logs user ids only.
package signup
