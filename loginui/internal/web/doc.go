// Package web is the portal's HTTP plumbing: the error type every handler
// returns and the adapters that render it (as a JSON body or as a page),
// JSON and form decoding, the double-submit CSRF tokens, the portal's
// cookies and the timing padding of the anonymous routes.
//
// Handlers are func(w, r) error. A handler that fails returns an *Error
// (status, code from internal/errcode, fixed detail, optional Retry-After
// and WWW-Authenticate, and a Cause that is never shown to the client);
// JSON and Page turn it into the answer. Any other error is answered as
// Unavailable (503; a write may or may not have been applied): an error nobody mapped is a
// failure we cannot explain, so the request fails closed.
//
// The package is used by the portal core (package loginui) and by the
// feature packages that serve their own routes; its surface is exported
// and small on purpose.
//
// It must never decide policy about accounts (who may log in, what a
// password must look like, which roles exist): that is the core's and the
// account service's job. It must never log, and never put a secret, token,
// password, email address or a Cause into an answer.
package web
