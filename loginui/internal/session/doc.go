// Package session owns the portal's credential records: browser
// sessions (the cookie's token, stored as an HMAC digest), refresh-token
// rotation chains and the access JWTs minted for them, and their
// revocation (logout, "sign out elsewhere", a chain whose spent token is
// presented again, and the revocation after an address proof changes,
// which takes the user's API keys and OAuth links with it). It also
// authenticates those credentials (a session token, an access JWT) into a
// feature.Caller, and holds the JWT codec of every portal audience.
//
// Its errors are sentinel values (ErrInvalid, ErrRefreshInvalid,
// ErrStore, ErrToken); the core maps them to answers.
//
// It must never read an HTTP request or write a cookie: the core hands in
// the token and the user agent, and sets the cookies itself. It never
// checks a password or a second factor: whoever calls Open or OpenChain
// has completed the login and names its AuthMethod. It never logs a
// token, a digest or an email address (audit events carry user ids).
package session
