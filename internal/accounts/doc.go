// Package accounts is the one home of the rules for creating and changing
// accounts and their credentials. The admin commands (package admin) and
// the portal (package loginui) both call a Service; no other package
// creates a user, mints an API key or stores an OAuth link.
//
// It owns: validation of email addresses, display names and roles;
// password length and hashing through the bounded hasher (the hasher's
// signing.ErrHashBusy is passed through, wrapped); the API-key minting
// policy (name, scopes against the allow-list and, with the subset check,
// the owner's roles (not at creation for operator commands; the verifier
// narrows those), lifetime bounds and default, signing-required keys
// sealed with the api_key_signing keyring, the per-user cap of live keys
// counted and created under one lock per process); the unverified-owner
// rule (an owner whose address is not verified cannot mint a lasting
// credential for themselves, and one minted while a concurrent email
// change ran is removed again); and stamping EmailVerifiedAt on accounts
// created verified.
//
// It must never: write back a record read earlier (changes go through the
// field-level UpdateUser and UpdateAPIKey closures of keystore); log or
// return in an error a secret, a raw key, a password or an email address;
// return HTTP statuses or caller-specific codes. Failures are the sentinel
// errors of errors.go, which each caller maps to its own codes and
// messages. Audit logging stays with the callers, which know who acted.
package accounts
