// Package adminui is the portal's admin area, a feature of the portal
// core (loginui/internal/feature): the superuser's management of other
// accounts through the portal. It owns the admin JSON API (GET
// /api/users, GET/PATCH/DELETE /api/users/{id}, GET
// /api/users/{id}/passkeys, DELETE /api/users/{id}/passkeys/{credential_id}),
// the /admin pages (the user list with search, a user's page with its
// passkeys, and its save, delete and passkey remove forms) and their
// templates. loginui/doc.go, "Answer shapes", lists the
// decisions.
//
// Who is calling, the admin gate (superuser, password session, step-up),
// CSRF, the current-password check, rate limits and the revocation that
// an email or is_verified change triggers come from the core through
// feature.Host; account updates go through the account service.
//
// It must never: let a non-superuser, a bearer token or an API-key
// caller in (every route passes Host.AdminCaller or Host.AdminGate
// first); skip the admin's current-password check before a change or a
// delete; write a record read earlier (changes are applied by
// accounts.Service.UpdateUser to the user as stored); log an email
// address or a password (audit events carry user ids only).
package adminui
