// Package setup is the first-start page that creates the first
// administrator (GET and POST /setup?token=...), a feature of the portal
// core (loginui/internal/feature), with its templates (message.html is
// the core's message page content, for the answers shown with the
// visitor's session in the shell).
//
// It owns the page's answers. The setup token and its expiry, the users
// and markers stores, the marker key (an HMAC of the token with the
// core's rate-limit secret) and opening the new administrator's session
// come from the core through Config; public-form CSRF, rate limits, the
// account service and the page shell through feature.Host. Only the core
// mints sessions: setup receives that one capability (Config.OpenSession,
// the new administrator's password session; the setup form sets the
// password, so it counts as one) from the wiring (loginui/setup_wiring.go),
// never through Host, and mints nothing itself.
//
// It must never open setup once a superuser exists, after the token
// expired, or twice for one token (the marker makes concurrent
// submissions race to one winner); the token is compared in constant
// time. It logs user ids only.
package setup
