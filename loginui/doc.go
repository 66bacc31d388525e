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
// loginui/oauth, loginui/adminui, loginui/signup, loginui/sessions,
// loginui/profile, loginui/setup) implements feature.Feature from
// loginui/internal/feature: it registers its routes on a feature.Router
// and may add an /account section (feature.Section; a FramedSection brings
// its own <section> element), a part of the login page (LoginSection), CSP
// form-action origins (FormOrigins) and ?done= texts (Notices). It reaches
// the core only through feature.Host (the caller of a request, CSRF,
// step-up, rate limits, the account service, the page shell, finishing a
// login, clock, log); host (feature.go) is the core's side. The login
// hooks are interfaces too: the core runs the second login step
// (second_step.go) through a feature.SecondFactor and step-up proofs
// through a feature.StepUpper, both loginui/totp; OAuth logins end in
// Host.FinishLogin, so only the core mints sessions. New builds each
// feature from Options and lists it in p.features (initTOTP, initOAuth,
// initAPIKeys, initAdminUI, initSignup, initSessions, initProfile,
// initSetup: *_wiring.go), so a new feature
// is a package and a line of wiring. Registration, verification and
// password reset are loginui/signup. The caller's sessions (JSON
// API, /account section and forms) are loginui/sessions; the session
// records stay in the core (Host.Sessions, RevokeSession,
// RevokeOtherSessions). The caller's own record (/api/users/me,
// change-password, the /account profile and password forms) is
// loginui/profile; the password check, storing the new password and the
// revocation after an email change stay in the core (Host.CheckPassword,
// SetPassword, RevokeUnverifiedCredentials). The first-start page
// (/setup) is loginui/setup; the wiring hands it the setup token and the
// one capability of opening the new administrator's session (its Config,
// not Host): only the core mints sessions. The admin area (admin JSON API, /admin pages) is
// loginui/adminui; its gate and the revocation an admin's change triggers
// stay in the core (Host.AdminCaller, AdminGate,
// RevokeUnverifiedCredentials). The mail hooks live in loginui/mail. The
// feature packages' exported names keep their loginui names as aliases
// (TOTPOptions, OAuthOptions, APIKeyOptions, Mailer, ...). Options keeps
// its older hooks: SecondStep (after the built-in TOTP step) and
// AccountSections (rendered before the features' list sections).
//
// The core owns the credentials (sessions, access and refresh tokens,
// TOTP pending tokens, step-up), the account flows and the page shell. It
// must never let a feature mint a session or read a credential other than
// through Host.
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
