// Package sessions is the caller's own sessions, a feature of the portal
// core (loginui/internal/feature): the JSON API (GET /api/auth/sessions,
// DELETE /api/auth/sessions/{id}, POST /api/auth/sessions/revoke-others)
// and the /account sessions section with its forms (POST
// /account/sessions/revoke and /account/sessions/revoke-others).
//
// It owns the answers of those routes. Listing and revoking go through
// feature.Host (Sessions, RevokeSession, RevokeOtherSessions): the core
// owns the session and refresh-token records and the refresh-chain
// denylist, which its revocation policy uses too. The section is framed
// and wired first, so it stands where the account page always had it;
// when the records cannot be read it fails the page (the store page).
//
// It must never read or delete a session record by itself, nor reveal
// whether an id names another user's session (404 AUTHORIZATION_DENIED
// for any id not the caller's).
package sessions
