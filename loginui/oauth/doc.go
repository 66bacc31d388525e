// Package oauth is login with upstream OAuth 2.0 / OpenID Connect
// providers and the linking of provider accounts, a feature of the portal
// core (loginui/internal/feature): GET /api/auth/oauth/{provider}/
// authorize and .../callback, POST /api/auth/associate/{provider}/
// authorize and GET .../callback, POST /account/linked/unlink, the
// provider buttons of the login page and the linked-accounts section of
// /account. loginui/doc.go, "OAuth / OIDC login", lists the decisions.
//
// It owns the flow cookie (state, PKCE verifier, nonce, rd; AES-GCM under
// an HKDF subkey), OIDC discovery and ID-token verification, the GitHub
// identity calls, the mapping of a provider identity to an account, and
// the sealing of stored provider tokens. Accounts and links are created
// through the account service (internal/accounts).
//
// It must never open a session (the core does, through Host.FinishLogin,
// with the second step for users with TOTP on), link to or log into an
// account on an email the provider does not vouch for or that is not
// verified here, accept a callback whose state is not the flow's (spent
// once), or log a provider token, an authorization code or an answer of
// the provider.
package oauth
