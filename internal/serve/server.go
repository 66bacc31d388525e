package serve

import (
	"fmt"
	"github.com/gatehouse/gatehouse/internal/accounts"
	"io"
	"net/netip"
	"time"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/admin"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/coherence"
	"github.com/gatehouse/gatehouse/internal/jwks"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/memory"
	"github.com/gatehouse/gatehouse/keystore/redis"
	"github.com/gatehouse/gatehouse/loginui"
	"github.com/gatehouse/gatehouse/metrics"
	"github.com/gatehouse/gatehouse/signing"
	"github.com/gatehouse/gatehouse/verifier"
)

// Options are what the server takes from its process.
type Options struct {
	// ConfigPath is the config file SIGHUP re-reads; empty: the
	// zero-config defaults.
	ConfigPath string
	// Getenv reads the environment for config loading.
	Getenv func(string) string
	// Stderr is the terminal the setup link is printed on.
	Stderr io.Writer
}

// Server is a running gatehouse: verifier, portal and admin listener on
// one Core.
type Server struct {
	cfg     *config.Config
	core    *app.Core
	log     zerolog.Logger
	opts    Options
	ver     *verifier.Verifier
	portal  *loginui.Portal
	shared  sharedState
	nonces  keystore.Markers // signature nonces: apart from shared in memory
	deny    keystore.Denylist
	sharedR *redis.Store // shared.backend redis: revocations are watched
	closers []func()
	metrics *metrics.Metrics
	// external are the key sources of external_jwt.issuers (external.go),
	// started by Run and closed at its end.
	external []*jwks.Source
	setup    string // first-administrator token; empty when users exist
}

// sharedState is the ephemeral state replicas share: nonces, single-use
// markers, rate-limit counters, and (with Redis) the revocation denylist.
type sharedState interface {
	keystore.Denylist
	keystore.Markers
	keystore.Counters
}

// wired holds what New builds before the verifier and portal options it
// feeds into.
type wired struct {
	trusted   []netip.Prefix
	deny      keystore.Denylist // the verifier's denylist
	shared    sharedState
	nonces    keystore.Markers
	jwks      []byte
	external  []verifier.ExternalIssuer
	assertion *verifier.AssertionOptions
	log       zerolog.Logger
	metrics   *metrics.Metrics
	// For the portal: the store and denylist wrapped by coherence, and
	// the setup token.
	store        keystore.Store
	accounts     *accounts.Service
	portalDeny   keystore.Denylist
	setupToken   string
	setupExpires time.Time
}

// New builds the verifier and the portal on c. The caller keeps c and
// closes it after Run returns.
func New(cfg *config.Config, c *app.Core, log zerolog.Logger, opts Options) (*Server, error) {
	s := &Server{cfg: cfg, core: c, log: log, opts: opts, metrics: metrics.New()}
	if err := s.openShared(); err != nil {
		return nil, err
	}
	trusted, err := parsePrefixes(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	w := wired{trusted: trusted, deny: s.deny, shared: s.shared, nonces: s.nonces, log: log, metrics: s.metrics}
	publicKeys := c.JWTKeys
	if cfg.Verifier.Assertion.Enabled {
		k, err := app.AssertionKey(cfg)
		if err != nil {
			return nil, fmt.Errorf("assertion key: %w", err)
		}
		publicKeys = append(append([]signing.JWTKey(nil), publicKeys...), k)
		w.assertion = assertionOptions(cfg, k)
	}
	if w.jwks, err = signing.JWKS(publicKeys); err != nil {
		return nil, err
	}
	if w.external, s.external, err = externalIssuers(cfg, log); err != nil {
		return nil, err
	}
	for _, src := range s.external {
		s.metrics.WatchJWKS(src)
	}
	if s.ver, err = verifier.New(verifierOptions(cfg, c, w)); err != nil {
		return nil, err
	}
	// Writes made in this process (portal, admin commands) drop the
	// verifier's cached answers at once.
	ns := coherence.Store{Store: c.Store, Drop: s.ver}
	c.Ops.Store = ns
	c.Ops.Log = log.With().Str("component", "admin").Logger()
	w.store = ns
	// One account service for the portal and the admin listener (built
	// on the coherent store above), so the per-user key cap holds across
	// both.
	w.accounts = c.Ops.AccountService()
	w.portalDeny = coherence.DenylistFor(s.deny, ns)
	if s.setup, err = s.setupToken(); err != nil {
		return nil, err
	}
	w.setupToken, w.setupExpires = s.setup, time.Now().Add(setupLinkLifetime)
	if s.portal, err = loginui.New(portalOptions(cfg, c, w)); err != nil {
		return nil, err
	}
	return s, nil
}

func parsePrefixes(cidrs []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(cidrs))
	for _, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("trusted_proxies: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// openShared picks the shared store. With memory, revocations still go to
// the durable store (docs/design.md, "State": a restart never revives a
// revoked credential); with Redis they go there and are published to
// replicas.
func (s *Server) openShared() error {
	cfg := s.cfg
	if cfg.Shared.Backend != "redis" {
		s.shared = memory.New(memory.Options{MaxEntries: cfg.Shared.MaxEntries})
		// Nonces get a table of their own: an API-key holder sending
		// fresh signatures as fast as it can fills only the table of
		// signed requests (which then fail closed), never the one of
		// TOTP replay, reset, OAuth-state markers and rate limits.
		s.nonces = memory.New(memory.Options{MaxEntries: cfg.Shared.MaxEntries})
		s.deny = s.core.Store
		return nil
	}
	if s.core.Redis != nil && app.SameRedis(cfg.Shared.Redis, cfg.State.Redis) {
		s.sharedR = s.core.Redis
	} else {
		st, err := app.OpenRedis("shared.redis", cfg.Shared.Redis)
		if err != nil {
			return err
		}
		s.sharedR = st
		s.closers = append(s.closers, func() { _ = st.Close() })
	}
	s.shared, s.nonces, s.deny = s.sharedR, s.sharedR, s.sharedR
	return nil
}

// readiness lists what /readyz pings: the durable store and, when
// separate, the shared Redis.
func (s *Server) readiness() []admin.Pinger {
	ps := []admin.Pinger{s.core.Store}
	if s.sharedR != nil && s.sharedR != s.core.Redis {
		ps = append(ps, s.sharedR)
	}
	return ps
}
