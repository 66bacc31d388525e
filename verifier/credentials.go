package verifier

import (
	"bytes"
	"context"
	"errors"
	"net/netip"

	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/internal/clientip"
	"github.com/gatehouse/gatehouse/keystore"
)

// Bounds on credential sizes, checked before any work.
const (
	maxCookieLen  = 512
	maxIDLen      = 128
	maxAPIKeyLen  = 4096
	maxAuthHeader = 8192
)

// identity is the authenticated principal of one request. It lives in the
// request scratch; the snapshots it points to are immutable.
type identity struct {
	kind        CredentialKind
	user        *userSnap
	key         *keySnap
	stepUpUntil int64     // unix nanoseconds, sessions only
	contentSHA  []byte    // signed requests without a forwarded body
	ext         *extEntry // external_jwt only; immutable
}

func (id *identity) reset() {
	id.kind = KindNone
	id.user = nil
	id.key = nil
	id.stepUpUntil = 0
	id.contentSHA = id.contentSHA[:0]
	id.ext = nil
}

// authenticate finds the first credential present (docs/design.md "Credentials": signed, API
// key, external JWT, own JWT, cookie) and checks it. It returns ReasonNone with id.kind ==
// KindNone when no credential is present. A present but invalid credential
// returns its deny reason and never falls through to the next kind.
func (v *Verifier) authenticate(ctx *fasthttp.RequestCtx, s *scratch, d Dialect, now int64) (CredentialKind, Reason) {
	h := &ctx.Request.Header
	rh := &s.hdrs
	var auth []byte
	switch rh.n[rhAuthorization] {
	case 0:
	case 1:
		auth = rh.v[rhAuthorization]
	default:
		return KindNone, ReasonAuthenticationFailed
	}
	if len(auth) > maxAuthHeader {
		return KindNone, ReasonAuthenticationFailed
	}
	if hasPrefixFold(auth, lsa1Scheme) && len(auth) > len(lsa1Scheme) && auth[len(lsa1Scheme)] == ' ' {
		return KindSigned, v.checkSigned(ctx, s, d, auth, now)
	}
	// "Bearer" followed by white space or nothing is a bearer credential,
	// even an empty (so invalid) one: it must not fall through.
	var bearer []byte
	isBearer := false
	if hasPrefixFold(auth, "Bearer") && (len(auth) == 6 || auth[6] == ' ' || auth[6] == '\t') {
		bearer = bytes.TrimSpace(auth[6:])
		isBearer = true
	}
	if isBearer && v.isAPIKeyToken(bearer) {
		return KindAPIKey, v.checkAPIKey(s, bearer, now)
	}
	switch rh.n[rhAPIKey] {
	case 0:
	case 1:
		return KindAPIKey, v.checkAPIKey(s, bytes.TrimSpace(rh.v[rhAPIKey]), now)
	default:
		return KindAPIKey, ReasonAPIKeyInvalid
	}
	if isBearer {
		if len(bearer) == 0 {
			return KindJWT, ReasonAuthenticationFailed
		}
		if v.ext != nil {
			if kind, r, external := v.routeExternal(s, bearer, now); external {
				return kind, r
			}
		}
		return KindJWT, v.checkJWT(s, bearer, now)
	}
	switch c, n := singleCookie(h, v.cookieName); {
	case n > 1:
		// Two session cookies are ambiguous (one may be planted by a
		// sibling host); the portal refuses them too.
		return KindCookie, ReasonAuthenticationFailed
	case len(c) > 0:
		return KindCookie, v.checkCookie(s, c, now)
	}
	return KindNone, ReasonNone
}

// singleCookie returns the value of the cookie called name and how many
// cookies of that name the request carries (in one Cookie header or
// several).
func singleCookie(h *fasthttp.RequestHeader, name string) (value []byte, n int) {
	for k, v := range h.Cookies() {
		if string(k) == name {
			value = v
			n++
		}
	}
	return value, n
}

// hasPrefixFold reports whether b starts with prefix, ASCII
// case-insensitively.
func hasPrefixFold(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lowerByte(b[i]) != lowerByte(prefix[i]) {
			return false
		}
	}
	return true
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// storeCtx bounds one store call by StoreTimeout under the server-lifetime
// context.
func (v *Verifier) storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(v.baseCtx, v.storeTimeout)
}

func (v *Verifier) storeFailed(what string, err error) {
	if v.metrics != nil {
		v.metrics.StoreError(what)
	}
	// The error text comes from our own store code; ids and secrets are
	// never part of it by the keystore contract.
	v.log.Warn().Str("store", what).Err(err).Msg("verifier: store call failed; denying with 503")
}

// lookupUser returns the user snapshot for id, from cache or store.
func (v *Verifier) lookupUser(id []byte, now int64) (*userSnap, Reason) {
	if len(id) == 0 || len(id) > maxIDLen {
		return notFoundUser, ReasonNone
	}
	if u, ok := v.users.get(id, now); ok {
		return u, ReasonNone
	}
	sid := string(id)
	ctx, cancel := v.storeCtx()
	u, err := v.usersStore.GetUser(ctx, sid)
	cancel()
	var snap *userSnap
	switch {
	case err == nil && u != nil && headerSafe(u.ID):
		snap = snapUser(u, v.fingerprint(u))
	case err == nil || errors.Is(err, keystore.ErrNotFound):
		// Not found, or an id that cannot go into Remote-User-Id.
		snap = notFoundUser
	default:
		v.storeFailed("users", err)
		return nil, ReasonTokenProcessingFailed
	}
	v.users.put(sid, snap, now)
	return snap, ReasonNone
}

var (
	notFoundUser    = &userSnap{}
	notFoundKey     = &keySnap{}
	notFoundSession = &sessionSnap{}
)

// lookupAPIKey returns the key snapshot for keyID, from cache or store.
func (v *Verifier) lookupAPIKey(keyID []byte, now int64) (*keySnap, Reason) {
	if len(keyID) == 0 || len(keyID) > maxIDLen {
		return notFoundKey, ReasonNone
	}
	if k, ok := v.keys.get(keyID, now); ok {
		return k, ReasonNone
	}
	kid := string(keyID)
	ctx, cancel := v.storeCtx()
	k, err := v.keysStore.GetAPIKey(ctx, kid)
	cancel()
	var snap *keySnap
	switch {
	case err == nil && k != nil && headerSafe(k.KeyID):
		var touched = (*keySnap)(nil)
		if old, ok := v.keys.stale(keyID); ok && old.found {
			touched = old
		}
		if touched != nil {
			snap = snapKey(k, touched.touched)
		} else {
			snap = snapKey(k, nil)
		}
	case err == nil || errors.Is(err, keystore.ErrNotFound):
		snap = notFoundKey
	default:
		v.storeFailed("api_keys", err)
		return nil, ReasonTokenProcessingFailed
	}
	v.keys.put(kid, snap, now)
	return snap, ReasonNone
}

// lookupSession returns the session snapshot for a token digest.
func (v *Verifier) lookupSession(digest []byte, now int64) (*sessionSnap, Reason) {
	if s, ok := v.sessions.get(digest, now); ok {
		return s, ReasonNone
	}
	key := string(digest)
	ctx, cancel := v.storeCtx()
	rec, err := v.sessionsStore.GetSession(ctx, digest)
	cancel()
	var snap *sessionSnap
	switch {
	case err == nil && rec != nil:
		snap = &sessionSnap{found: true, userID: rec.UserID, kind: rec.Kind, expiresAt: rec.ExpiresAt.UnixNano()}
		if !rec.StepUpUntil.IsZero() {
			snap.stepUpUntil = rec.StepUpUntil.UnixNano()
		}
	case err == nil || errors.Is(err, keystore.ErrNotFound):
		snap = notFoundSession
	default:
		v.storeFailed("sessions", err)
		return nil, ReasonTokenProcessingFailed
	}
	v.sessions.put(key, snap, now)
	return snap, ReasonNone
}

// isDenied reports whether a token id is on the revocation denylist. Both
// answers are cached for the cache TTL, so a revocation is seen within it
// (or at once through InvalidateTokenID).
func (v *Verifier) isDenied(jti []byte, now int64) (bool, Reason) {
	if v.denylist == nil {
		return false, ReasonNone
	}
	if d, ok := v.denied.get(jti, now); ok {
		return d, ReasonNone
	}
	ctx, cancel := v.storeCtx()
	d, err := v.denylist.IsDenied(ctx, jti)
	cancel()
	if err != nil {
		v.storeFailed("denylist", err)
		return true, ReasonTokenProcessingFailed
	}
	v.denied.put(string(jti), d, now)
	return d, ReasonNone
}

// lazyClientIP computes the client address once per request, only when a
// rule asks for it.
type lazyClientIP struct {
	v    *Verifier
	ctx  *fasthttp.RequestCtx
	peer netip.Addr
}

func (l *lazyClientIP) clientIP() netip.Addr {
	// Only trusted proxies get this far, so the client is always the
	// trusted hop of X-Forwarded-For (internal/clientip).
	return clientip.FromXFF(l.ctx.Request.Header.PeekAll(fasthttp.HeaderXForwardedFor), l.v.trustedHops)
}
