// Package profile is the caller's own account record, a feature of the
// portal core (loginui/internal/feature): GET and PATCH /api/users/me,
// POST /api/users/me/change-password and the /account profile and
// password forms (POST /account/profile, /account/password).
//
// It owns the answers of those routes. The caller, rate limits, step-up,
// the current-password check, storing a new password (which takes every
// other session), the revocation policy after an email change and the
// verify mail (loginui/signup) come from the core through feature.Host
// and Config.
//
// It must never change the address without the current password (and a
// step-up with TOTP on), never write a field from a record read before
// the password was checked (the change runs on the record as stored and
// is refused when its password hash changed meanwhile), and never leave
// credentials made under the old address alive (Host.
// RevokeUnverifiedCredentials, keeping only the caller's current
// session). It logs user ids only.
package profile
