// Package apikeys is the portal's API-key management, a feature of the
// portal core (loginui/internal/feature): the self-service routes
// (POST/GET /api/api-keys, GET/PATCH/DELETE /api/api-keys/{key_id}), the
// admin routes (/api/users/{id}/api-keys), the /account/api-keys page,
// the one-time page that shows a new raw key, and the /account section.
// loginui/doc.go, "API keys", lists the decisions.
//
// It owns the answers of those routes, their templates and the key views
// (never a secret, its digest or its sealed copy). Minting, the key cap,
// scope and name rules live in internal/accounts (shared with the admin
// commands); who is calling, CSRF and step-up come from the core through
// feature.Host.
//
// It must never authenticate a request itself, accept an API-key
// credential for management (the Host refuses them, and the routes check
// PresentsAPIKey first), log or answer a raw key after the one-time
// answer, or write back a key read in an earlier step (changes go
// through UpdateAPIKey on the stored record).
package apikeys
