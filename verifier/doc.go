// Package verifier is gatehouse's forward-auth hot path: a fasthttp handler
// that reverse proxies (nginx auth_request, Traefik ForwardAuth, Caddy
// forward_auth, Envoy ext_authz HTTP, HAProxy) ask, for every request,
// "may this pass, and as whom?" (docs/design.md "Request path").
//
// For each decision it reads the original request as the proxy dialect
// reports it, normalises the path, picks the first matching access rule,
// checks the first credential present (signed request, API key, external
// issuer's JWT, own JWT, session cookie) against the stores through
// short-lived caches, applies
// the rule's requirements, and answers 200 with identity headers or a
// fixed deny (401/403/400/503) with a {"code","detail"} body.
//
// Caching: user, API-key, session and denylist answers are immutable
// snapshots kept for Options.CacheTTL (1 s): a change made elsewhere is
// seen within that time, or at once through the Invalidate* hooks.
// Decrypted signing secrets are kept for 30 s and re-opened when the
// stored envelope changes.
//
// Verified-token cache (tokencache.go, docs/design.md "Verified-token
// cache"): an access JWT whose signature and claims were verified and
// which was then allowed is kept, keyed by a keyed hash of the whole
// compact token, for at most Options.TokenCacheTTL (60 s) and never past
// its exp, in at most Options.TokenCacheEntries entries (0: off). A hit
// compares the full token in constant time and skips only the signature
// check and the parse: exp/nbf/iat are checked against the clock with the
// verifier's leeway (signing.JWTVerifier.CheckTimes), and the jti and
// refresh-chain denylist, the active user and the session fingerprint run
// in the same code as for a fresh token. InvalidateTokenID drops the
// entries of a jti or chain, InvalidateAll and ReloadKeyring empty it.
// It serves every algorithm, HS256 included: a hit (about 0.4 µs) is
// cheaper than an HMAC check and parse (about 3 µs;
// BenchmarkTokenCacheHitVsHS256Verify), and an EdDSA/ES256 check costs
// 50 to 150 µs.
//
// External issuers (external.go, docs/design.md "External issuers"): a
// bearer token whose unverified iss names a configured external issuer is
// checked with golang-jwt against that issuer's internal/jwks keys only
// (typ, crit, alg allow-list fitting the key, aud, exp, nbf, iat,
// max_lifetime, required claims), mapped to Remote-User/-Groups/-Scopes/
// -Name/-Email and Remote-Issuer, and kept in its own verified-token cache;
// a hit re-checks that its key is still the issuer's and its times. Rules'
// claims and issuers apply to these tokens only. Missing keys (stale set,
// unknown kid) are 503, anything else 401; nothing is fetched per request.
//
// What it must never do:
//   - allow on a parse error, a store error or timeout (503), a missing or
//     duplicated forwarded header (400), or a connection from outside the
//     trusted proxies (403);
//   - guess a client address: when a rule with networks must be checked
//     and X-Forwarded-For has fewer than trusted_hops entries or a
//     malformed one, the answer is 400, never a match on the proxy's own
//     address;
//   - let one resource escape a rule through another spelling: hosts match
//     case-insensitively and without a trailing dot, paths after
//     normalisation (unreserved and UTF-8 escapes decoded, dot segments
//     and "//" resolved), and literal rule paths are normalised alike;
//   - match a path that upstreams could read as another resource: a ';'
//     (raw or %3B; Java containers strip ";params", so ";jsessionid=" URLs
//     are refused too), a dot segment after an empty segment, a dot
//     segment written with escapes, an escaped escape ("%2541"), or a '#'
//     in the path part all answer 400 REQUEST_INVALID (pathnorm.go lists
//     them and why; SECURITY.md says it for operators);
//   - let a present but invalid credential fall through to the next kind
//     (except under a bypass rule, which always answers 200 and then sends
//     empty identity headers);
//   - echo request data in a response, other than a validated and escaped
//     rd value in Location;
//   - log a token, secret, password, email or key id;
//   - keep a *fasthttp.RequestCtx or a header slice beyond the handler;
//   - allocate on an allowed HS256-JWT or API-key decision with a warm
//     cache, or on one of an EdDSA/ES256 JWT in the token cache, or hold
//     a lock across a store call;
//   - let a cached token skip anything but its signature check and parse,
//     or answer for a token other than the one it was verified for;
//   - accept an external token with alg none or HS*, a key from anywhere
//     but the issuer's configured JWKS, or an iss other than the issuer
//     whose keys verified it; or give an external token anything a
//     gatehouse account's roles, TOTP or verified email would grant.
//
// Endpoints: /auth/nginx, /auth/traefik, /auth/caddy, /auth/haproxy and
// /auth/envoy/<original path> accept any method of the auth request (the
// original method comes from the forwarded headers, or for Envoy is the
// request's own); /healthz and GET /.well-known/jwks.json share the
// handler. Anything else is 404 NOT_FOUND.
//
// Step-up: only a browser session carries a step-up marker, so a rule
// with step_up refuses JWT, API-key and signed requests of users who have
// TOTP enabled. With ScopeSubsetCheck, an API key's effective scopes are
// those of its scopes that name a role its owner currently holds.
package verifier
