package jwks

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Options.
const (
	DefaultMaxBody  = 256 << 10
	DefaultTimeout  = 5 * time.Second
	DefaultMinTTL   = 5 * time.Minute
	DefaultMaxTTL   = 24 * time.Hour
	DefaultStaleFor = time.Hour

	// UnknownKIDRefreshInterval: a token with an unknown kid triggers at
	// most one out-of-band refresh per interval and Source.
	UnknownKIDRefreshInterval = 10 * time.Second
)

// Options configure a Source. Exactly one of Discovery and JWKSURL is set.
type Options struct {
	// Issuer is the issuer's identifier (the tokens' exact iss). With
	// Discovery it is also where the discovery document is read.
	Issuer string
	// Discovery reads the JWKS URL from
	// <Issuer>/.well-known/openid-configuration (jwks_uri).
	Discovery bool
	// JWKSURL is the key set's URL when Discovery is off.
	JWKSURL string

	// Client does the fetches (required). The Source uses a copy whose
	// CheckRedirect follows at most 3 redirects, same origin only.
	Client *http.Client
	// AllowLoopbackHTTP permits plain http to localhost, 127.0.0.0/8 and
	// ::1 (development and tests).
	AllowLoopbackHTTP bool

	MaxBody  int64         // bytes of a response; larger is an error. Default DefaultMaxBody.
	Timeout  time.Duration // per request. Default DefaultTimeout.
	MinTTL   time.Duration // lower clamp of the cache lifetime. Default DefaultMinTTL.
	MaxTTL   time.Duration // upper clamp. Default DefaultMaxTTL.
	StaleFor time.Duration // use after expiry while the endpoint fails. Default DefaultStaleFor.

	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
	// OnFetch, when set, is called after every fetch attempt, on the
	// fetching goroutine (for logs and metrics; must not block).
	OnFetch func(FetchResult)
}

// FetchResult describes one fetch attempt.
type FetchResult struct {
	Err     error     // nil on success
	Keys    int       // signature keys in the new set (success only)
	Expires time.Time // of the new set (success only)
}

// Stats are the Source's counters, for the caller's metrics.
type Stats struct {
	Fetches             uint64    // fetch attempts (discovery and JWKS count as one)
	Failures            uint64    // failed attempts
	UnknownKIDRefreshes uint64    // out-of-band refreshes an unknown kid asked for
	Keys                int       // signature keys in the current set
	FetchedAt           time.Time // of the current set (zero: none yet)
	Expires             time.Time // of the current set
}

type snapshot struct {
	set     *Set
	fetched time.Time
	ttl     time.Duration
	expires time.Time
	staleAt time.Time // expires + StaleFor
}

// Source holds the keys of one issuer. Key is safe for concurrent use and
// never blocks; Refresh, Start and Close may be called from any goroutine.
type Source struct {
	opts   Options
	client *http.Client
	now    func() time.Time

	snap     atomic.Pointer[snapshot]
	nextKick atomic.Int64 // UnixNano before which an unknown kid asks for nothing
	kick     chan struct{}

	fetches, failures, kicks atomic.Uint64

	fetchMu    sync.Mutex // one fetch at a time
	discovered string     // jwks_uri from discovery; guarded by fetchMu

	lifeMu  sync.Mutex
	started bool
	closed  bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// New checks opts and returns a Source with no keys yet: call Refresh for
// a first set, and Start for the background refresher.
func New(opts Options) (*Source, error) {
	if opts.Client == nil {
		return nil, errors.New("jwks: Options.Client is required")
	}
	if opts.Discovery == (opts.JWKSURL != "") {
		return nil, errors.New("jwks: set exactly one of Options.Discovery and Options.JWKSURL")
	}
	if opts.Issuer != "" || opts.Discovery {
		if err := CheckIssuer(opts.Issuer, opts.AllowLoopbackHTTP); err != nil {
			return nil, err
		}
	}
	if opts.JWKSURL != "" {
		if err := CheckURL(opts.JWKSURL, opts.AllowLoopbackHTTP); err != nil {
			return nil, err
		}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	def(&opts.Timeout, DefaultTimeout)
	def(&opts.MinTTL, DefaultMinTTL)
	def(&opts.MaxTTL, DefaultMaxTTL)
	def(&opts.StaleFor, DefaultStaleFor)
	if opts.MaxTTL < opts.MinTTL {
		return nil, errors.New("jwks: MaxTTL is shorter than MinTTL")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := *opts.Client
	c.CheckRedirect = checkRedirect
	return &Source{opts: opts, client: &c, now: opts.Now, kick: make(chan struct{}, 1)}, nil
}

// Issuer is the configured issuer.
func (s *Source) Issuer() string { return s.opts.Issuer }

// Key is the hot-path lookup of the key for a token's kid and alg. It reads
// the current snapshot without locks, never fetches and never allocates.
// Errors: ErrStale (fail closed, 503), ErrAlgMismatch, ErrKIDRequired,
// ErrUnknownKID (which also asks the refresher for a refresh, at most once
// per UnknownKIDRefreshInterval).
func (s *Source) Key(kid, alg string) (*Key, error) {
	snap := s.snap.Load()
	if snap == nil || s.now().After(snap.staleAt) {
		return nil, ErrStale
	}
	k, err := snap.set.Key(kid, alg)
	if err == ErrUnknownKID {
		s.requestRefresh()
	}
	return k, err
}

// requestRefresh wakes the refresher unless a request was granted less
// than UnknownKIDRefreshInterval ago; of racing callers, one wins the CAS.
// A wall clock set back by more than the interval (past the grant) reopens
// the gate rather than closing it for as long as the clock went back.
func (s *Source) requestRefresh() {
	now := s.now().UnixNano()
	next := s.nextKick.Load()
	if now < next && next-now <= 2*int64(UnknownKIDRefreshInterval) {
		return
	}
	if !s.nextKick.CompareAndSwap(next, now+int64(UnknownKIDRefreshInterval)) {
		return
	}
	s.kicks.Add(1)
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Stats returns the counters and the current set's size and times.
func (s *Source) Stats() Stats {
	st := Stats{Fetches: s.fetches.Load(), Failures: s.failures.Load(), UnknownKIDRefreshes: s.kicks.Load()}
	if snap := s.snap.Load(); snap != nil {
		st.Keys, st.FetchedAt, st.Expires = snap.set.Len(), snap.fetched, snap.expires
	}
	return st
}

// Refresh fetches the key set now (discovery first when configured) and,
// on success, replaces the current set. On failure the current set stays.
func (s *Source) Refresh(ctx context.Context) error {
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	s.fetches.Add(1)
	set, ttl, err := s.fetch(ctx)
	if err != nil {
		s.failures.Add(1)
		s.discovered = "" // the jwks_uri may have moved: rediscover next time
		if s.opts.OnFetch != nil {
			s.opts.OnFetch(FetchResult{Err: err})
		}
		return err
	}
	now := s.now()
	snap := &snapshot{set: set, fetched: now, ttl: ttl, expires: now.Add(ttl), staleAt: now.Add(ttl + s.opts.StaleFor)}
	s.snap.Store(snap)
	if s.opts.OnFetch != nil {
		s.opts.OnFetch(FetchResult{Keys: set.Len(), Expires: snap.expires})
	}
	return nil
}

func (s *Source) fetch(ctx context.Context) (*Set, time.Duration, error) {
	u := s.opts.JWKSURL
	if s.opts.Discovery {
		if s.discovered == "" {
			d, err := s.discover(ctx)
			if err != nil {
				return nil, 0, err
			}
			s.discovered = d
		}
		u = s.discovered
	}
	body, h, err := s.get(ctx, u)
	if err != nil {
		return nil, 0, err
	}
	set, err := ParseJWKS(body)
	if err != nil {
		return nil, 0, err
	}
	return set, lifetime(h, s.now(), s.opts.MinTTL, s.opts.MaxTTL), nil
}
