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
// internal/serve fills it from the configuration, so this package never reads
// files, flags or the environment.
//
// Layout: this package is the core: the Portal and its wiring (New,
// *_wiring.go), the route table (portal.go), the page shell (pages.go),
// the HTML login with its second step (login.go), the callers and gates
// (auth.go) and host, the core's side of the feature contract
// (feature.go). What it builds on lives in internal packages:
//
//   - loginui/internal/session: the credential records and tokens (browser
//     sessions, refresh chains and their rotation, access JWTs, the JWT
//     codecs of every audience), authenticating them into a
//     feature.Caller, listing and revoking them, and the revocation after
//     an address proof changes.
//   - loginui/internal/login: the password check of a login (dummy hash,
//     lockout, re-hash) and of a signed-in user, the JSON login API
//     (/api/auth/login, /logout, /refresh, /2fa/verify) and the steps the
//     HTML login shares with it (the second step, opening a session with
//     its cookies).
//   - loginui/internal/web: the request plumbing: the error type handlers
//     return (web.Error: status, code, fixed detail, optional Retry-After
//     and WWW-Authenticate, a cause never shown to the client), the
//     adapters that answer it (web.JSON, and web.Page, which calls back
//     the core's renderError to use the portal's templates), decoding,
//     CSRF tokens, cookies, the rate limiter, client IP, timing padding.
//     Handlers are func(w, r) error: a handler either writes its success
//     answer or returns the error, never both; domain code returns
//     sentinel errors, which the handler maps. The codes come from
//     internal/errcode, the table the verifier uses too.
//   - loginui/internal/feature: the contract with the feature packages.
//
// Features: a feature package (loginui/apikeys, loginui/totp,
// loginui/passkey, loginui/oauth, loginui/adminui, loginui/signup, loginui/sessions,
// loginui/profile, loginui/setup) implements feature.Feature: it
// registers its routes on a feature.Router and may add an /account
// section (feature.Section; a FramedSection brings its own <section>
// element), a part of the login page (LoginSection), CSP form-action
// origins (FormOrigins) and ?done= texts (Notices). It reaches the core
// only through feature.Host (the caller of a request, CSRF, step-up, rate
// limits, the account service, the page shell, the session records,
// finishing a login, clock, log). The login hooks are interfaces too: the
// second login step runs through a feature.SecondFactor and step-up
// proofs through a feature.StepUpper, both loginui/totp, whose pending
// token a passkey completes too (feature.PendingLogins); the passkey
// logins (passwordless, and a passkey as the second step) are the
// core's, with the ceremonies of loginui/passkey (feature.Passkeys);
// OAuth logins end in Host.FinishLogin, which accepts only an OAuth first
// factor. New builds each feature from Options and lists it in
// p.features (initTOTP, initPasskeys, initOAuth, initAPIKeys, initAdminUI, initSignup, initSessions,
// initProfile, initSetup: *_wiring.go), so a new feature is a package and
// a line of wiring. The first-start page (loginui/setup) gets the one
// capability of opening the new administrator's session from the wiring
// (its Config), not through Host. The mail hooks live in loginui/mail.
// The feature packages' exported names keep their loginui names as
// aliases (TOTPOptions, OAuthOptions, APIKeyOptions, Mailer, ...).
// Options keeps its older hooks: SecondStep (after the built-in TOTP
// step) and AccountSections (rendered before the features' list
// sections).
//
// The core owns the credentials (through loginui/internal/session), the
// account flows and the page shell. It must never let a feature mint a
// session or read a credential other than through Host.
//
// The decisions behind the portal's answers (the security model in
// short, answer shapes, sessions, CSRF, two-factor, API keys, OAuth, email
// verification and the revocation it triggers) are written down in
// docs/design.md, "Portal" and its subsections; this comment says only
// what the package owns.
//
// It must never: log or echo a password, token, secret or email address
// (audit events carry user ids only; failed logins carry an HMAC digest of
// the identifier only when a telemetry secret is set; the development
// mailer logs the link it would send, which is the one documented
// exception); follow an rd redirect that internal/redirect refuses
// (docs/design.md "Redirects"); import the verifier.
package loginui
