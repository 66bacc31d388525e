package verifier

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/clientip"
	"github.com/gatehouse/gatehouse/internal/redirect"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

// Defaults.
const (
	DefaultCookieName    = "gatehouse_session"
	DefaultAPIKeyPrefix  = "ak"
	DefaultStoreTimeout  = 2 * time.Second
	DefaultMaxSkew       = 300 * time.Second
	DefaultSignedBodyMax = 1 << 20
	DefaultCacheTTL      = time.Second
	DefaultCacheEntries  = 65536
	DefaultStepUpTTL     = 5 * time.Minute
	DefaultTokenCacheTTL = 60 * time.Second
	touchQueueLen        = 1024
)

// Options configure a Verifier. Stores that are nil turn the matching
// credential kind off (it then always fails).
type Options struct {
	Development    bool
	PublicURL      string // portal base URL; login redirects go to PublicURL+"/login"
	CookieName     string // default "gatehouse_session"
	CookieDomain   string // rd targets must be on it or a sub-domain
	TrustedProxies []netip.Prefix
	TrustedHops    int
	DefaultPolicy  string // bypass | authenticated | deny (default)
	Rules          []config.Rule

	Users    keystore.Users
	Sessions keystore.Sessions
	APIKeys  keystore.APIKeys
	Denylist keystore.Denylist
	Nonces   keystore.Markers

	TokenHashKey   signing.Secret // session cookie digests
	APIKeyHashKey  signing.Secret // API key secret digests
	FingerprintKey signing.Secret // JWT "sfp"
	JWT            *signing.JWTVerifier
	APIKeyPrefix   string // default "ak"
	// ScopeSubsetCheck narrows an API key's scopes to the names of roles its
	// owner currently holds (superusers keep all).
	ScopeSubsetCheck bool
	SigningKeyring   *signing.Keyring // opens APIKey.SigningSecret
	ForwardsBody     []string         // dialect names whose proxy forwards the body
	SignedBodyMax    int              // default 1 MiB
	MaxSkew          time.Duration    // default 300 s
	StoreTimeout     time.Duration    // default 2 s
	CacheTTL         time.Duration    // default 1 s
	CacheEntries     int              // per cache; default 65536
	StepUpTTL        time.Duration    // portal's step_up_ttl; default 5 min
	Headers          HeaderNames
	Assertion        *AssertionOptions // nil: no Gatehouse-Assertion
	JWKS             []byte            // served at /.well-known/jwks.json; nil: 404
	// ExternalIssuers are the external_jwt issuers (external.go); none:
	// the external_jwt kind never matches.
	ExternalIssuers []ExternalIssuer

	// TokenCacheEntries bounds the verified-token cache (tokencache.go),
	// and separately the one of external tokens (external_check.go);
	// 0 turns both off. TokenCacheTTL is how long an entry lives at most
	// (never past the token's exp); default 60 s.
	TokenCacheEntries int
	TokenCacheTTL     time.Duration

	Logger  zerolog.Logger
	Now     func() time.Time
	Metrics Observer
}

// Observer receives decisions and store failures (e.g. for Prometheus).
// Its methods run on the hot path and must not block.
type Observer interface {
	ObserveDecision(Decision)
	StoreError(what string)
}

// Decision describes one answer of a dialect endpoint.
type Decision struct {
	Dialect  Dialect
	Kind     CredentialKind // KindNone when no credential was presented
	Reason   Reason         // ReasonNone: allowed
	Duration time.Duration
}

// MaxExternalTokenCacheEntries bounds the external_jwt part of the
// verified-token cache: an entry keeps the decoded claims (about 4 KiB for
// a GitHub Actions token), so it is capped near 40 MiB whatever
// verifier.token_cache.max_entries says; machine tokens are few and long
// lived, so the bound is rarely reached (docs/design.md "Verified-token
// cache").
const MaxExternalTokenCacheEntries = 10_000

// Verifier is the forward-auth handler. It is safe for concurrent use.
type Verifier struct {
	log     zerolog.Logger
	now     func() time.Time
	metrics Observer

	rules atomic.Pointer[ruleSet]

	trusted     []netip.Prefix
	trustedHops int
	cookieName  string
	loginURL    []byte
	redirect    *redirect.Policy
	hk          headerKeys // identity header names, canonical
	jwks        []byte

	usersStore    keystore.Users
	sessionsStore keystore.Sessions
	keysStore     keystore.APIKeys
	denylist      keystore.Denylist
	nonces        keystore.Markers
	localNonces   localMarkers // nonces, when in this process
	// requestClock: no clock was injected, so a decision takes its time
	// from the request (fasthttp reads the clock before the handler runs)
	// instead of reading it again (docs/design.md, "Hot path costs").
	requestClock bool

	tokenMAC      *macPool
	keyHasher     *signing.APIKeyHasher
	fingerprinter *signing.SessionFingerprinter
	jwt           *signing.JWTVerifier
	apiKeyPrefix  string
	apiKeyPrefixU []byte // prefix + "_"
	scopeSubset   bool
	keyring       atomic.Pointer[signing.Keyring] // swapped by ReloadKeyring
	forwardsBody  [len(dialectNames)]bool
	signedBodyMax int
	maxSkew       int64
	stepUpTTL     int64
	assert        *assertioner

	users    *ttlCache[*userSnap]
	keys     *ttlCache[*keySnap]
	sessions *ttlCache[*sessionSnap]
	denied   *ttlCache[bool]
	secrets  *ttlCache[*secretSnap]
	tokens   *tokenCache[signing.AccessClaims] // nil: off

	ext       []*extIssuer           // external issuers (external.go); nil: none
	extTokens *tokenCache[*extEntry] // verified external tokens; nil: off

	storeTimeout time.Duration
	baseCtx      context.Context
	cancel       context.CancelFunc
	touchCh      chan string
	done         chan struct{}
	closeOnce    sync.Once
	wg           sync.WaitGroup

	pool sync.Pool
}

// scratch is the per-request working memory, pooled.
type scratch struct {
	hdrs       reqHeaders // valid during one decision only
	orig       original
	id         identity
	ip         lazyClientIP
	digest     [32]byte
	jwtScratch signing.JWTScratch
	claims     signing.AccessClaims
	peek       [maxExternalTokenLen]byte // an external token's payload, for signing.PeekIssuer
	url        []byte
	loc        []byte
	scopes     []byte
	assertion  []byte
	claimsJSON []byte
	chainKey   []byte // "chain:<sid>" denylist key of a JWT's refresh chain
	sig        signedScratch
}

// New builds a Verifier. It validates the options and compiles the rules;
// every problem is reported at once.
func New(opts Options) (*Verifier, error) {
	var problems []string
	v := &Verifier{
		log:           opts.Logger,
		now:           opts.Now,
		metrics:       opts.Metrics,
		trustedHops:   opts.TrustedHops,
		cookieName:    opts.CookieName,
		hk:            opts.Headers.withDefaults().keys(),
		jwks:          opts.JWKS,
		usersStore:    opts.Users,
		sessionsStore: opts.Sessions,
		keysStore:     opts.APIKeys,
		denylist:      opts.Denylist,
		nonces:        opts.Nonces,
		jwt:           opts.JWT,
		apiKeyPrefix:  opts.APIKeyPrefix,
		scopeSubset:   opts.ScopeSubsetCheck,
		signedBodyMax: opts.SignedBodyMax,
		maxSkew:       int64(opts.MaxSkew),
		stepUpTTL:     int64(opts.StepUpTTL),
		storeTimeout:  opts.StoreTimeout,
	}
	if opts.SigningKeyring != nil {
		v.keyring.Store(opts.SigningKeyring)
	}
	if v.now == nil {
		v.now = time.Now
		v.requestClock = true
	}
	v.localNonces, _ = opts.Nonces.(localMarkers)
	if v.cookieName == "" {
		v.cookieName = DefaultCookieName
	}
	if v.apiKeyPrefix == "" {
		v.apiKeyPrefix = DefaultAPIKeyPrefix
	}
	v.apiKeyPrefixU = []byte(v.apiKeyPrefix + "_")
	if v.signedBodyMax <= 0 {
		v.signedBodyMax = DefaultSignedBodyMax
	}
	if v.maxSkew <= 0 {
		v.maxSkew = int64(DefaultMaxSkew)
	}
	if v.stepUpTTL <= 0 {
		v.stepUpTTL = int64(DefaultStepUpTTL)
	}
	if v.storeTimeout <= 0 {
		v.storeTimeout = DefaultStoreTimeout
	}
	switch {
	case v.trustedHops == 0:
		v.trustedHops = 1
	case v.trustedHops < 0 || v.trustedHops > clientip.MaxHops:
		problems = append(problems, fmt.Sprintf("trusted_hops must be 1 to %d", clientip.MaxHops))
	}
	v.trusted = opts.TrustedProxies
	if v.trusted == nil {
		v.trusted = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
	for i, p := range v.trusted {
		v.trusted[i] = p.Masked()
	}

	pub, err := url.Parse(opts.PublicURL)
	if opts.PublicURL == "" || err != nil || (pub.Scheme != "http" && pub.Scheme != "https") || pub.Host == "" || pub.User != nil {
		problems = append(problems, "public_url must be an absolute http(s) URL")
	} else {
		v.loginURL = []byte(strings.TrimRight(opts.PublicURL, "/") + "/login")
	}
	publicHost := ""
	if pub != nil {
		publicHost = pub.Hostname()
	}
	v.redirect = redirect.New(opts.Development, strings.TrimSpace(opts.CookieDomain), publicHost)

	for _, n := range opts.ForwardsBody {
		d, ok := ParseDialect(n)
		if !ok {
			problems = append(problems, fmt.Sprintf("forwards_body: unknown dialect %q", n))
			continue
		}
		v.forwardsBody[d] = true
	}
	if opts.Sessions != nil {
		if opts.TokenHashKey.Len() < 32 {
			problems = append(problems, "token_hash secret must be at least 32 bytes")
		} else {
			v.tokenMAC = newMACPool(opts.TokenHashKey.Bytes())
		}
	}
	if opts.APIKeys != nil {
		h, err := signing.NewAPIKeyHasher(opts.APIKeyHashKey)
		if err != nil {
			problems = append(problems, "api_key_hash secret must be at least 32 bytes")
		} else {
			v.keyHasher = h
		}
	}
	if opts.JWT != nil {
		if opts.FingerprintKey.Len() < 32 {
			problems = append(problems, "fingerprint key must be at least 32 bytes when JWTs are accepted")
		}
		if opts.Denylist == nil {
			problems = append(problems, "a denylist is required when JWTs are accepted")
		}
	}
	if opts.SigningKeyring != nil && opts.Nonces == nil {
		problems = append(problems, "a nonce store is required for signed requests")
	}
	if opts.FingerprintKey.Len() >= 32 {
		v.fingerprinter = signing.NewSessionFingerprinter(opts.FingerprintKey)
	}
	if (opts.JWT != nil || opts.Sessions != nil || opts.APIKeys != nil) && opts.Users == nil {
		problems = append(problems, "a user store is required")
	}
	if opts.Assertion != nil {
		a, err := newAssertioner(opts.Assertion, opts.PublicURL)
		if err != nil {
			problems = append(problems, err.Error())
		}
		v.assert = a
	}
	ownIssuer := ""
	if opts.JWT != nil {
		ownIssuer = opts.JWT.Issuer()
	}
	ext, extProblems := compileExternal(opts.ExternalIssuers, ownIssuer)
	problems = append(problems, extProblems...)
	if len(ext) > 0 {
		v.ext = ext
	}
	rs, err := compileRules(opts.Rules, opts.DefaultPolicy)
	if err != nil {
		problems = append(problems, err.Error())
	} else {
		v.rules.Store(rs)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrOptions, strings.Join(problems, "; "))
	}

	ttl := opts.CacheTTL
	if ttl <= 0 {
		ttl = DefaultCacheTTL
	}
	n := opts.CacheEntries
	if n <= 0 {
		n = DefaultCacheEntries
	}
	v.users = newTTLCache[*userSnap](int64(ttl), n)
	v.keys = newTTLCache[*keySnap](int64(ttl), n)
	v.sessions = newTTLCache[*sessionSnap](int64(ttl), n)
	v.denied = newTTLCache[bool](int64(ttl), n)
	v.secrets = newTTLCache[*secretSnap](int64(secretTTL), n/16)
	if opts.JWT != nil {
		tt := opts.TokenCacheTTL
		if tt <= 0 {
			tt = DefaultTokenCacheTTL
		}
		v.tokens = newTokenCache[signing.AccessClaims](int64(tt), opts.TokenCacheEntries)
	}
	if v.ext != nil {
		tt := opts.TokenCacheTTL
		if tt <= 0 {
			tt = DefaultTokenCacheTTL
		}
		v.extTokens = newTokenCache[*extEntry](int64(tt), min(opts.TokenCacheEntries, MaxExternalTokenCacheEntries))
	}
	v.pool.New = func() any { return new(scratch) }
	v.baseCtx, v.cancel = context.WithCancel(context.Background())
	v.done = make(chan struct{})
	if v.keysStore != nil {
		v.touchCh = make(chan string, touchQueueLen)
		v.wg.Add(1)
		go v.touchLoop()
	}
	return v, nil
}

// ErrOptions reports invalid Options.
var ErrOptions = errors.New("verifier: invalid options")

// Reload compiles a new rule list and swaps it in atomically; on error the
// old rules stay in force. In-flight requests finish with the rules they
// started with.
func (v *Verifier) Reload(rules []config.Rule, defaultPolicy string) error {
	return v.reloadRules(rules, defaultPolicy)
}

// ReloadKeyring swaps the keyring that opens API keys' signing secrets
// (after `gatehouse keys rotate` and SIGHUP). Cached plaintext secrets stay
// valid: a re-sealed envelope is re-opened with the new keyring on its next
// use. It empties the verified-token cache, so whatever a reload changed
// is checked afresh (access-token keys themselves are read at start only).
// A nil keyring is refused.
func (v *Verifier) ReloadKeyring(k *signing.Keyring) error {
	if k == nil {
		return errors.New("verifier: nil signing keyring")
	}
	if v.keyring.Load() == nil {
		return errors.New("verifier: signed requests were not enabled at start; restart to enable them")
	}
	v.keyring.Store(k)
	v.tokens.clear()
	v.extTokens.clear()
	return nil
}

func (v *Verifier) reloadRules(rules []config.Rule, defaultPolicy string) error {
	rs, err := CompileRules(rules, defaultPolicy)
	if err != nil {
		return err
	}
	v.SetRules(rs)
	return nil
}

// Rules is a compiled rule list, made by CompileRules and put in force by
// SetRules.
type Rules struct{ set *ruleSet }

// CompileRules compiles a rule list without touching any Verifier, so a
// reload can build every new piece before it swaps one in. Every problem
// is reported at once.
func CompileRules(rules []config.Rule, defaultPolicy string) (*Rules, error) {
	rs, err := compileRules(rules, defaultPolicy)
	if err != nil {
		return nil, err
	}
	return &Rules{set: rs}, nil
}

// SetRules swaps in rules made by CompileRules, atomically; in-flight
// requests finish with the rules they started with.
func (v *Verifier) SetRules(r *Rules) {
	v.rules.Store(r.set)
}

// Close stops the background writer and cancels in-flight store calls.
// The handler must no longer be served afterwards.
func (v *Verifier) Close() {
	v.closeOnce.Do(func() {
		close(v.done)
		v.cancel()
		v.wg.Wait()
	})
}

// InvalidateUser drops a cached user record (after an update, role change,
// disable or delete).
func (v *Verifier) InvalidateUser(userID string) { v.users.invalidate(userID) }

// InvalidateAPIKey drops a cached API key and its signing secret.
func (v *Verifier) InvalidateAPIKey(keyID string) {
	v.keys.invalidate(keyID)
	v.secrets.invalidate(keyID)
}

// InvalidateSession drops a cached session by its token digest.
func (v *Verifier) InvalidateSession(digest []byte) { v.sessions.invalidate(string(digest)) }

// InvalidateTokenID drops a cached denylist answer for a JWT id (or a
// "chain:<sid>" refresh chain) and the verified tokens it names.
func (v *Verifier) InvalidateTokenID(jti string) {
	v.denied.invalidate(jti)
	v.tokens.revoke(jti)
}

// InvalidateAll empties every cache.
func (v *Verifier) InvalidateAll() {
	v.users.clear()
	v.keys.clear()
	v.sessions.clear()
	v.denied.clear()
	v.secrets.clear()
	v.tokens.clear()
	v.extTokens.clear()
}

var (
	healthBody = []byte(`{"status":"ok"}`)
	jwksCache  = []byte("public, max-age=300")
)

// Handler serves the dialect endpoints, /healthz and
// /.well-known/jwks.json. Connections from outside TrustedProxies get 403
// UNTRUSTED_PROXY on every endpoint.
func (v *Verifier) Handler(ctx *fasthttp.RequestCtx) {
	peer, _ := netip.AddrFromSlice(ctx.RemoteIP())
	peer = peer.Unmap()
	if !v.isTrusted(peer) {
		v.writeDeny(ctx, nil, DialectNone, nil, ReasonUntrustedProxy, KindNone)
		return
	}
	uri := ctx.Request.Header.RequestURI()
	path := uri
	for i, c := range uri {
		if c == '?' {
			path = uri[:i]
			break
		}
	}
	var d Dialect
	switch string(path) {
	case "/auth/nginx":
		d = DialectNginx
	case "/auth/traefik":
		d = DialectTraefik
	case "/auth/caddy":
		d = DialectCaddy
	case "/auth/haproxy":
		d = DialectHAProxy
	case "/healthz":
		ctx.SetStatusCode(fasthttp.StatusOK)
		ctx.SetContentTypeBytes(contentTypeJSON)
		ctx.Response.SetBodyRaw(healthBody)
		return
	case "/.well-known/jwks.json":
		if v.jwks == nil || !ctx.IsGet() && !ctx.IsHead() {
			v.writeDeny(ctx, nil, DialectNone, nil, ReasonNotFound, KindNone)
			return
		}
		ctx.SetStatusCode(fasthttp.StatusOK)
		ctx.SetContentTypeBytes(contentTypeJSON)
		ctx.Response.Header.SetCanonical(keyCacheControl, jwksCache)
		ctx.Response.SetBodyRaw(v.jwks)
		return
	default:
		if len(path) > len(envoyPrefix) && string(path[:len(envoyPrefix)+1]) == envoyPrefix+"/" {
			d = DialectEnvoy
		} else {
			v.writeDeny(ctx, nil, DialectNone, nil, ReasonNotFound, KindNone)
			return
		}
	}
	v.decide(ctx, d, peer)
}

func (v *Verifier) isTrusted(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range v.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// decide runs one forward-auth decision.
func (v *Verifier) decide(ctx *fasthttp.RequestCtx, d Dialect, peer netip.Addr) {
	start := ctx.Time()
	if !v.requestClock || start.IsZero() {
		start = v.now()
	}
	now := start.UnixNano()
	s := v.pool.Get().(*scratch)
	s.id.reset()
	kind, r := v.decideInto(ctx, s, d, peer, now)
	if v.metrics != nil {
		v.metrics.ObserveDecision(Decision{Dialect: d, Kind: kind, Reason: r, Duration: v.now().Sub(start)})
	}
	if r != ReasonNone && v.log.GetLevel() <= zerolog.DebugLevel {
		v.log.Debug().Str("dialect", d.String()).Str("credential", kind.String()).Str("reason", r.String()).Msg("verifier: deny")
	}
	s.id.reset()
	s.ip = lazyClientIP{}
	s.hdrs = reqHeaders{} // points into the request
	v.pool.Put(s)
}

func (v *Verifier) decideInto(ctx *fasthttp.RequestCtx, s *scratch, d Dialect, peer netip.Addr, now int64) (CredentialKind, Reason) {
	s.hdrs.scan(&ctx.Request.Header)
	if r := parseOriginalFrom(d, &ctx.Request.Header, &s.hdrs, &s.orig); r != ReasonNone {
		v.writeDeny(ctx, s, d, nil, r, KindNone)
		return KindNone, r
	}
	s.ip = lazyClientIP{v: v, ctx: ctx, peer: peer}
	rl := v.rules.Load().match(&s.orig, &s.ip)
	if rl == nil {
		v.writeDeny(ctx, s, d, nil, ReasonRequestInvalid, KindNone)
		return KindNone, ReasonRequestInvalid
	}
	if rl.policy == policyDeny {
		v.writeDeny(ctx, s, d, &s.orig, ReasonAuthorizationDenied, KindNone)
		return KindNone, ReasonAuthorizationDenied
	}
	kind, r := v.authenticate(ctx, s, d, now)
	if rl.policy == policyBypass {
		if r != ReasonNone {
			s.id.reset()
		}
		v.writeAllow(ctx, s, now)
		return kind, ReasonNone
	}
	if r == ReasonNone && s.id.kind == KindNone {
		r = ReasonAuthenticationFailed
	}
	if r == ReasonNone {
		r = v.authorize(rl, s, now)
	}
	if r != ReasonNone {
		v.writeDeny(ctx, s, d, &s.orig, r, kind)
		return kind, r
	}
	v.writeAllow(ctx, s, now)
	return kind, ReasonNone
}

// authorize applies a rule's requirements to an authenticated identity.
func (v *Verifier) authorize(rl *rule, s *scratch, now int64) Reason {
	id := &s.id
	u := id.user
	if !rl.allowsKind(id.kind) {
		return ReasonAuthorizationDenied
	}
	if id.kind == KindExternalJWT {
		return rl.authorizeExternal(id.ext)
	}
	if rl.superuser && !u.superuser {
		return ReasonInsufficientRoles
	}
	if len(rl.rolesAny) > 0 {
		ok := false
		for _, r := range rl.rolesAny {
			if u.hasRole(r) {
				ok = true
				break
			}
		}
		if !ok {
			return ReasonInsufficientRoles
		}
	}
	for _, r := range rl.rolesAll {
		if !u.hasRole(r) {
			return ReasonInsufficientRoles
		}
	}
	if len(rl.scopes) > 0 && (id.kind == KindAPIKey || id.kind == KindSigned) {
		for _, sc := range rl.scopes {
			if !v.effectiveScopeOK(id.key, u, sc) {
				return ReasonInsufficientScopes
			}
		}
	}
	if rl.verifiedEmail && (!u.verified || keyPredatesVerification(id.key, u)) {
		return ReasonAuthorizationDenied
	}
	if rl.requireTOTP && !u.totpEnabled {
		return ReasonTOTPStepUpRequired
	}
	if rl.stepUp > 0 && u.totpEnabled {
		// Only a browser session carries a step-up marker. The proof was
		// made at stepUpUntil-stepUpTTL and must be within the rule's
		// window as well as unexpired.
		if id.kind != KindCookie || id.stepUpUntil == 0 || now > id.stepUpUntil ||
			now > id.stepUpUntil-v.stepUpTTL+int64(rl.stepUp) {
			return ReasonTOTPStepUpRequired
		}
	}
	return ReasonNone
}

// fingerprint computes the session fingerprint of a user record, or nil
// when fingerprints are not configured.
func (v *Verifier) fingerprint(u *keystore.User) []byte {
	if v.fingerprinter == nil {
		return nil
	}
	return v.fingerprinter.Append(nil, u.ID, keystore.FoldEmail(u.Email), u.PasswordHash)
}
