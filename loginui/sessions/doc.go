// Package sessions is the JSON API of the caller's own sessions, a
// feature of the portal core (loginui/internal/feature): GET
// /api/auth/sessions, DELETE /api/auth/sessions/{id} and POST
// /api/auth/sessions/revoke-others.
//
// It owns the answers of those routes. Listing and revoking go through
// feature.Host (Sessions, RevokeSession, RevokeOtherSessions): the core
// owns the session and refresh-token records and the refresh-chain
// denylist, which its revocation policy uses too, and the /account
// sessions section and its forms (part of the core's account page).
//
// It must never read or delete a session record by itself, nor reveal
// whether an id names another user's session (404 AUTHORIZATION_DENIED
// for any id not the caller's).
package sessions
