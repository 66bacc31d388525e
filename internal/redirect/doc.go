// Package redirect decides which URLs gatehouse may send a browser back
// to after a login (the "rd" parameter). The verifier (when it builds the
// portal link of a 401) and the portal (login, logout, second step,
// OAuth) ask the same Policy, so a target one accepts the other accepts
// too, with one length limit.
//
// Accepted: an absolute https URL on cookie.domain, a sub-domain of it,
// or the public_url host; in development also http on localhost,
// 127.0.0.1 or [::1] with any port.
//
// It must never accept: userinfo, a scheme-relative or relative URL,
// "//" right after the authority, a backslash, white space, a control or
// non-ASCII byte, a malformed escape or an escape of '/', '\', '%' or a
// control byte, a percent sign in the host, a host with empty labels or a
// trailing dot, a bad port, or anything longer than MaxLen. It never
// allocates and never changes the URL it is given.
package redirect
