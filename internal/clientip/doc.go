// Package clientip derives the client address of a request that reached
// gatehouse through reverse proxies: the one rule the verifier (for
// rules with networks) and the portal (for rate limits, audit events and
// the binding of a pending second step) both apply.
//
// The rule: a connection from outside trusted_proxies is its own client.
// A connection from a trusted proxy names its client in X-Forwarded-For:
// all the request's X-Forwarded-For headers are read as one list in
// order, and the client is the entry trusted_hops places from the right
// (trusted_hops 1: the rightmost, which the proxy next to gatehouse
// appended). When that entry is missing, malformed, or a header is
// longer than MaxHeaderLen, the client is unknown: the zero netip.Addr.
//
// It must never return the trusted proxy's own address for a request the
// proxy sent on behalf of someone else (proxies usually sit inside the
// very networks rules let through), never read entries left of the
// trusted hop, and never allocate on the verifier's path.
package clientip
