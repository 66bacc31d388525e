// Package loginui is the gatehouse portal: the net/http handlers (HTML pages
// and a JSON API) with which people register, verify their address, log in
// with a password, reset and change passwords, and manage their sessions,
// and with which superusers manage accounts. It issues the credentials the
// verifier checks: opaque session cookies (stored as HMAC digests), access
// JWTs, rotating refresh tokens.
//
// Construction: New(Options) returns a *Portal, an http.Handler to mount on
// the portal listener. Options carries the stores (keystore interfaces),
// one secret per role, lifetimes, rate limits, a Mailer and a logger;
// main.go fills it from the configuration, so this package never reads
// files, flags or the environment.
//
// Layout: this package is the core (the Portal, the route table, the
// pages and the account flows). The request plumbing lives in
// loginui/internal/web: the error type handlers return (web.Error: status,
// code, fixed detail, optional Retry-After and WWW-Authenticate, a cause
// never shown to the client), the adapters that answer it (web.JSON for
// the API, web.Page for HTML routes, which calls back the core (renderError) to
// render with the portal's templates), JSON and form decoding, CSRF
// tokens, cookies, the rate limiter, the client-IP adapter and the timing
// padding. The codes come from internal/errcode, the table the verifier
// uses too. Handlers are func(w, r) error: a handler either writes its
// success answer or returns the error, never both; domain helpers return
// *web.Error values or sentinel errors, which the handler maps.
//
// Features: a feature package (loginui/apikeys, loginui/totp,
// loginui/oauth) implements feature.Feature from loginui/internal/feature:
// it registers its routes on a feature.Router and may add an /account
// section (feature.Section; a FramedSection brings its own <section>
// element), a part of the login page (LoginSection), CSP form-action
// origins (FormOrigins) and ?done= texts (Notices). It reaches the core
// only through feature.Host (the caller of a request, CSRF, step-up, rate
// limits, the account service, the page shell, finishing a login, clock,
// log); host (feature.go) is the core's side. The login hooks are
// interfaces too: the core runs the second login step (second_step.go)
// through a feature.SecondFactor and step-up proofs through a
// feature.StepUpper, both loginui/totp; OAuth logins end in
// Host.FinishLogin, so only the core mints sessions. New builds each
// feature from Options and lists it in p.features (initTOTP, initOAuth,
// initAPIKeys: *_wiring.go), so a new feature is a package and a line of
// wiring. Registration, verification and password reset are loginui/signup.
// The mail hooks live in loginui/mail. The feature packages'
// exported names keep their loginui names as aliases (TOTPOptions,
// OAuthOptions, APIKeyOptions, Mailer, ...). Options keeps its older
// hooks: SecondStep (after the built-in TOTP step) and AccountSections
// (rendered before the features' list sections).
//
// The core owns the credentials (sessions, access and refresh tokens,
// TOTP pending tokens, step-up), the account flows and the page shell. It
// must never let a feature mint a session or read a credential other than
// through Host.
//
// Security model, in short:
//   - Every unsafe method of a cookie-authenticated request needs a CSRF
//     token (double-submit cookie gatehouse_csrf + X-CSRF-Token header or
//     "csrf" form field) bound to the session by HMAC; HTML forms that run
//     before a session exists use a pre-session token. JSON bodies must be
//     application/json objects, so a cross-site form cannot forge them.
//     The CSRF cookie is host-only (no Domain), unlike the session cookie:
//     scripts on sibling hosts under cookie.domain must not read it.
//   - Cookies are Secure except in development on a loopback http public
//     URL (localhost, 127.0.0.1, [::1]).
//   - A login issues a new session id and revokes the session the browser
//     presented before, if any.
//   - Login, register and forgot-password answer identically (status,
//     body, headers) whether or not the account exists, take at least
//     MinResponseTime, and spend a dummy password hash for unknown users.
//   - Rate limits key on HMAC digests of the client IP and identifier; the
//     in-process limiter has a key cap and refuses new keys when full.
//   - A store that fails makes the request fail (503
//     TOKEN_PROCESSING_FAILED); nothing is reported as done that was not.
//
// Answer shapes where the SPEC leaves a choice:
//   - Cookie login answers 200 {"csrf_token"} (the same value as the
//     gatehouse_csrf cookie); bearer login answers {access_token,
//     token_type:"bearer", refresh_token, expires_in}. With
//     ?transport=bearer&refresh=cookie the refresh token goes into an
//     HttpOnly, SameSite=Strict cookie scoped to /api/auth/refresh instead
//     of the body; refreshing from that cookie needs Content-Type
//     application/json.
//   - Register and request-verify-token answer 202 and forgot-password 202,
//     with fixed bodies; logout, session delete and admin delete answer 204.
//   - Admin PATCH and DELETE /api/users/{id} take the admin's
//     {"current_password"} in the JSON body. The admin routes (API and
//     pages) need a browser session opened with a password (plus step-up
//     with TOTP on); bearer access tokens are refused with 403
//     AUTHORIZATION_DENIED, since a refresh chain mints them for 30 days
//     without a password and they cannot carry a step-up proof.
//   - revoke-others denies the refresh chains it deletes, so their access
//     tokens stop working at the portal at once (the verifier checks jti
//     only, so there they live until they expire, at most the access
//     lifetime).
//   - A session id that is not one of the caller's answers 404
//     AUTHORIZATION_DENIED (the same whether it exists or not).
//   - change-password keeps the caller's cookie session; a bearer caller's
//     own tokens die with the fingerprint and it must log in again.
//   - Refresh reuse: of concurrent uses of one refresh token exactly one
//     gets new tokens; the others count as reuse and revoke the chain, which
//     also kills the winner's new refresh token.
//   - Setup: the token is single use (a Markers entry) and only works while
//     no superuser exists; the created account is a verified superuser with
//     role "admin".
//
// Two-factor authentication (SPEC §5.6), decisions:
//   - The TOTP secret and the stored form of the recovery codes (HMAC
//     lookup digest -> argon2id hash) are sealed together, as a small
//     versioned JSON record that also names the algorithm, in one Fernet
//     envelope in User.TOTPSecret; an unconfirmed enrollment sits in
//     User.TOTPPending until confirmed. Each user keeps the algorithm
//     they enrolled with; TOTP.Algorithm applies to new enrollments.
//   - Login with TOTP on: the password step answers 202
//     {totp_required, pending_token} (HTML: 303 to /2fa with the token in
//     an HttpOnly, SameSite=Strict cookie scoped to /2fa). The pending
//     token (5 min, audience gatehouse:totp-pending) carries the first
//     factor (claim ff: "password" or "oauth:<provider>") and is bound by
//     HMAC to it, the client IP, the User-Agent and the user's access
//     fingerprint (a password or email change kills it); a pending token
//     without ff is refused. It is spent (Markers set-if-absent plus a
//     durable denylist entry) only when a code matched, so a typo does not
//     cost the first step. The session (or refresh chain) then has
//     AuthMethod "<first factor>+totp": "password+totp" counts as a
//     password session, "oauth:<provider>+totp" does not. The bare "totp"
//     stored by earlier versions does not say what came first and is not
//     a password session either: such a browser logs in again before it
//     manages API keys, links providers, enrolls TOTP or uses the admin
//     API.
//     /api/auth/2fa/verify takes ?transport= and ?refresh= as login does.
//   - A used (user, counter) pair is refused for 90 s; a recovery code is
//     claimed with set-if-absent (one concurrent winner), recorded in the
//     denylist (durable) and dropped from the list. Recovery codes are
//     accepted wherever a code is: second step, step-up, disable,
//     regenerate.
//   - Step-up (POST /api/auth/2fa/step-up {code}) needs a cookie session
//     and sets its StepUpUntil to now + TOTP.StepUpTTL; logging in with
//     TOTP does not itself grant step-up. Disable needs
//     {current_password} plus step-up; regenerate needs step-up; both
//     accept a "code" in the body that steps up on the spot. Enrollment
//     (enable, enable/confirm) needs a browser session opened with a
//     password and TOTP.Enabled.
//   - With TOTP.Enabled false, enrollment is refused and the /account
//     section is shown only to users who already have TOTP on; they still
//     need it at login. A user with TOTP on and no TOTP configuration at
//     all cannot log in (503): never a login without the second factor.
//
// API keys (SPEC §5.4), decisions:
//   - Every management route (POST/GET /api/api-keys, GET/PATCH/DELETE
//     /api/api-keys/{key_id}) needs a browser session opened with a
//     password; bearer access JWTs get 403 AUTHORIZATION_DENIED. A request
//     that carries an API key (Bearer <prefix>_..., X-API-Key, or an
//     LSA1-HMAC-SHA256 signature) gets 403 AUTHORIZATION_DENIED before any
//     other check, even with a valid cookie alongside. Create, PATCH and
//     DELETE need a step-up while the user has TOTP on. The admin routes
//     (/api/users/{id}/api-keys) use the other admin routes' gate.
//   - Create takes {name, scopes, expires_in?, signing_required?};
//     expires_in is a number of whole seconds or a string such as "720h"
//     or "90d" (one minute to ten years; absent: DefaultLifetime). It
//     answers 201 {key, api_key}: the raw key, shown that once. Lists are
//     newest first and carry state active|revoked|expired; no answer ever
//     carries the secret, its digest or its sealed copy.
//   - Errors: cap of live keys reached 409 API_KEY_LIMIT_REACHED; a scope
//     outside AllowedScopes 400 API_KEY_SCOPE_DENIED; with ScopeSubsetCheck
//     a scope that is not one of the owner's roles (superusers exempt) 403
//     API_KEY_SCOPE_DENIED; signing_required without signing 422
//     REQUEST_BODY_INVALID; PATCH of a revoked key 409 API_KEY_REVOKED; an
//     unknown key id and another user's key both 404 AUTHORIZATION_DENIED.
//     DELETE is a soft revoke and idempotent (204).
//   - The cap is counted and the key created under one lock per portal;
//     several replicas may overshoot it by the number of concurrent
//     creates.
//   - The /account section is a feature.Section of loginui/apikeys and uses the
//     CSRF cookie the request carries; when that is not valid it links to
//     /account/api-keys, a full page that mints one. Page forms take an
//     optional "code" that steps up on the spot.
//
// OAuth / OIDC login (SPEC §5.7), decisions:
//   - Routes: GET /api/auth/oauth/{provider}/authorize[?rd=] (302 to the
//     provider) and .../callback; POST /api/auth/associate/{provider}/
//     authorize (JSON {authorization_url} with the X-CSRF-Token header, or
//     a 303 for the /account form) and .../callback; POST
//     /account/linked/unlink. Callback failures are HTML (login page, or a
//     message page for linking) with the code in a Gatehouse-Error header.
//   - State (256 bits), PKCE S256 verifier, OIDC nonce, rd, provider and
//     flow kind (login, or associate with the user id) travel in one
//     AES-256-GCM cookie (<cookie>_oauth, HKDF subkey of the flow-cookie
//     secret, 5 min, HttpOnly, SameSite=Lax, path /api/auth/). The
//     callback clears it, compares state in constant time, demands the
//     same provider and kind, and spends the state with a Markers
//     set-if-absent, so a replayed callback fails (OAUTH_STATE_INVALID).
//   - OIDC: discovery is lazy (first use), cached 24 h, retried after
//     10 s on failure, and its issuer must equal the configured one
//     exactly. ID tokens: RS256 (>= 2048-bit keys) or ES256 from the JWKS
//     (refetched on an unknown kid at most every 10 s), iss, aud (azp
//     when several), exp and iat required, nonce. Without an email in
//     the token the userinfo answer is used when its sub matches. GitHub:
//     /user and the primary entry of /user/emails.
//   - Mapping: existing link -> that user; else an email is required
//     (OAUTH_NOT_AVAILABLE_EMAIL), verified and trusted
//     (OAUTH_EMAIL_NOT_VERIFIED); an account with that email is linked
//     only with associate_by_email and only when it is itself verified
//     (else OAUTH_USER_ALREADY_EXISTS: no pre-hijacking through an
//     unverified sign-up); otherwise a verified account without password
//     is created, unless registration is closed (403).
//   - Sessions have AuthMethod "oauth:<provider>" and are not password
//     sessions. Users with TOTP on go through /2fa exactly as after a
//     password; that session then has AuthMethod "oauth:<provider>+totp"
//     and is still not a password session (a provider account plus the
//     TOTP secret is not the password).
//   - Linking needs a password session, CSRF and step-up (TOTP on); an
//     identity linked to another user is OAUTH_ACCOUNT_ALREADY_LINKED.
//     Unlinking refuses the last link of an account without a password.
//   - Provider tokens are kept only with store_tokens, sealed with the
//     oauth_tokens keyring, at link creation; never logged.
//   - Provider calls use OAuthOptions.HTTPClient (default 10 s timeout)
//     and read at most 1 MiB (discovery 256 KiB, ID token 16 KiB).
//
// Email verification and lasting credentials, decisions:
//   - keystore.User.EmailVerifiedAt is when the current address was
//     verified (verify link, setup page, OAuth registration with a trusted
//     verified email, `user add --verified`, an admin's is_verified
//     false→true or vouching for a new address); an email change clears it
//     with Verified. Verified without it: verified before the field
//     existed, treated as verified since before every credential.
//   - An unverified owner cannot create an API key (JSON and page) or link
//     a provider (authorize and callback): 403 EMAIL_UNVERIFIED. Admins
//     (POST /api/users/{id}/api-keys, the CLI) may create keys for an
//     unverified account; the owner's verification revokes them. A key or
//     link stored while a concurrent email change ran is removed again
//     (the owner is re-read after the write). These rules, the key
//     minting policy and account creation live in internal/accounts,
//     shared with the admin commands.
//   - revokeUnverifiedCredentials is the one revocation policy: after the
//     verify link, a password reset, the user's own email change and an
//     admin's email or is_verified change, every API key (revoked), OAuth
//     link (deleted) and session created before goes unless it was
//     created while the account was verified with its current address.
//     Refresh chains are denied first (as "sign out everywhere else"), so
//     their access JWTs die at the verifier. The session that changes its
//     own address (it proved the password) stays; a reset takes every
//     session anyway. A valid verify link opened again re-runs the
//     revocation, so a half-finished one can be completed.
//
// It must never: log or echo a password, token, secret or email address
// (audit events carry user ids only; failed logins carry an HMAC digest of
// the identifier only when a telemetry secret is set; the development
// mailer logs the link it would send, which is the one documented
// exception); follow an rd redirect that is not valid under SPEC §10
// "Redirects"; import the verifier.
package loginui
