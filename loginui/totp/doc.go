// Package totp is the portal's second factor, a feature of the portal
// core (loginui/internal/feature): enrollment (POST /api/auth/2fa/enable,
// .../enable/confirm and the /account forms), step-up
// (/api/auth/2fa/step-up, /account/2fa/step-up), disable, recovery-code
// regeneration, and the /account section. For the core's second login
// step it is the feature.SecondFactor (Begin issues the pending token
// after the first factor, Complete checks it with the code) and for
// step-up proofs the feature.StepUpper. loginui/doc.go lists the
// decisions (pending-token binding, replay, recovery codes).
//
// It owns the TOTP record sealed in User.TOTPSecret / TOTPPending (with
// the keyring it is given), the replay and recovery-code markers, and the
// answers and templates of its routes.
//
// It must never open a session (the core does, after Complete), never
// log or answer a secret, a code or a recovery code other than in the
// one-time answer that issues them, never accept a code without spending
// it (a TOTP counter or a recovery code works once), and never write back
// a user read in an earlier step (changes go through UpdateUser on the
// stored record and re-check what they depend on).
package totp
