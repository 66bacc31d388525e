package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/admin"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/memory"
	"github.com/gatehouse/gatehouse/keystore/redis"
	"github.com/gatehouse/gatehouse/loginui"
	"github.com/gatehouse/gatehouse/metrics"
	"github.com/gatehouse/gatehouse/signing"
	"github.com/gatehouse/gatehouse/verifier"
)

// Read bounds for the verifier listener: forward-auth requests carry
// headers only, except for proxies that forward bodies for signed requests.
const (
	verifierReadBuffer = 16 << 10
	drainTimeout       = 15 * time.Second
)

func cmdServe(env *cmdEnv, args []string) error {
	fs := newFlags("serve")
	var sf stateFlags
	sf.register(fs)
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	cfg, err := loadConfig(env, sf)
	if err != nil {
		return err
	}
	log := newLogger(cfg, env.stderr)
	goredis.SetLogger(redisLogger{log.With().Str("component", "redis").Logger()})
	c, err := openApp(cfg, env.stderr, false)
	if errors.Is(err, errStoreLocked) {
		return fmt.Errorf("the store in %s is held by another process (is gatehouse already running?)", cfg.DataDir)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	s, err := newServer(cfg, c, log, env)
	if err != nil {
		return err
	}
	s.cfgPath = sf.config
	return s.run()
}

// newLogger builds the process logger: console in development, JSON in
// production (log.format overrides).
func newLogger(cfg *config.Config, w io.Writer) zerolog.Logger {
	level, err := zerolog.ParseLevel(cfg.Log.Level)
	if err != nil || cfg.Log.Level == "" {
		level = zerolog.InfoLevel
	}
	out := w
	if cfg.LogFormat() == "console" {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339}
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger()
}

type server struct {
	cfg     *config.Config
	core    *core
	log     zerolog.Logger
	env     *cmdEnv
	ver     *verifier.Verifier
	portal  *loginui.Portal
	shared  sharedState
	deny    keystore.Denylist
	sharedR *redis.Store // shared.backend redis: revocations are watched
	closers []func()
	metrics *metrics.Metrics
	token   string
	cfgPath string
	setup   string // first-administrator token; empty when users exist
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

func newServer(cfg *config.Config, c *core, log zerolog.Logger, env *cmdEnv) (*server, error) {
	s := &server{cfg: cfg, core: c, log: log, env: env, metrics: metrics.New()}
	if err := s.openShared(); err != nil {
		return nil, err
	}
	trusted, err := parsePrefixes(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	publicKeys := c.jwtKeys
	var assertion *verifier.AssertionOptions
	if cfg.Verifier.Assertion.Enabled {
		k, err := assertionKey(cfg)
		if err != nil {
			return nil, fmt.Errorf("assertion key: %w", err)
		}
		publicKeys = append(append([]signing.JWTKey(nil), publicKeys...), k)
		assertion = &verifier.AssertionOptions{Key: k.Ed25519Private, KeyID: k.KID,
			Audience: cfg.Verifier.Assertion.Audience, Lifetime: cfg.Verifier.Assertion.Lifetime}
	}
	jwks, err := signing.JWKS(publicKeys)
	if err != nil {
		return nil, err
	}
	vopts := verifier.Options{
		Development: !cfg.IsProduction(), PublicURL: cfg.PublicURL,
		CookieName: cfg.Cookie.Name, CookieDomain: cfg.Cookie.Domain,
		TrustedProxies: trusted, TrustedHops: cfg.TrustedHops,
		DefaultPolicy: cfg.DefaultPolicy, Rules: cfg.Rules,
		Users: c.store, Sessions: c.store, APIKeys: c.store,
		Denylist: s.deny, Nonces: s.shared,
		TokenHashKey: cfg.Secrets.TokenHash, APIKeyHashKey: cfg.Secrets.APIKeyHash, FingerprintKey: c.fpKey,
		JWT: c.jwtVerify, APIKeyPrefix: cfg.APIKeys.Prefix, ScopeSubsetCheck: cfg.APIKeys.ScopeSubsetCheck,
		SigningKeyring: signingRing(cfg, c), ForwardsBody: cfg.Verifier.ForwardsBody,
		SignedBodyMax: int(cfg.APIKeys.Signing.BodyMaxBytes), MaxSkew: cfg.APIKeys.Signing.MaxSkew,
		StoreTimeout: cfg.Verifier.StoreTimeout, StepUpTTL: cfg.TOTP.StepUpTTL,
		Headers: headerNames(cfg.Verifier.Headers), JWKS: jwks,
		Assertion: assertion,
		Logger:    log.With().Str("component", "verifier").Logger(), Metrics: s.metrics,
	}
	s.ver, err = verifier.New(vopts)
	if err != nil {
		return nil, err
	}
	// Writes made in this process (portal, admin commands) drop the
	// verifier's cached answers at once.
	ns := notifyingStore{Store: c.store, drop: s.ver}
	c.ops.Store = ns
	c.ops.Log = log.With().Str("component", "admin").Logger()
	// One account service for the portal and the admin listener, so the
	// per-user key cap holds across both.
	accountSvc := c.ops.AccountService()
	var portalDeny keystore.Denylist = ns
	if s.deny != keystore.Denylist(c.store) {
		portalDeny = notifyingDenylist{Denylist: s.deny, drop: s.ver}
	}
	setupToken, err := s.setupToken()
	if err != nil {
		return nil, err
	}
	s.setup = setupToken
	limits := map[string]loginui.RateLimit{}
	for slot, rl := range cfg.RateLimits {
		limits[slot] = loginui.RateLimit{Max: rl.Max, Window: rl.Window}
	}
	s.portal, err = loginui.New(loginui.Options{
		Users: ns, Sessions: ns, Denylist: portalDeny, Markers: s.shared, Counters: s.shared,
		Secrets: loginui.Secrets{TokenHash: cfg.Secrets.TokenHash, CSRF: cfg.Secrets.CSRF,
			VerifyToken: cfg.Secrets.VerifyToken, ResetToken: cfg.Secrets.ResetToken,
			AccessToken: cfg.Secrets.AccessToken, Fingerprint: c.fpKey, Telemetry: cfg.Secrets.Telemetry,
			TOTPPending: cfg.Secrets.TOTPPending, RecoveryCodeLookup: cfg.Secrets.RecoveryCodeLookup},
		TOTP: loginui.TOTPOptions{Enabled: cfg.TOTP.Enabled, Algorithm: cfg.TOTP.Algorithm, Issuer: cfg.TOTP.Issuer,
			StepUpTTL: cfg.TOTP.StepUpTTL, Keyring: c.keyrings[keystore.RingTOTPSecrets]},
		APIKeys:  ns,
		Links:    ns,
		Accounts: accountSvc,
		OAuth: loginui.OAuthOptions{Enabled: cfg.OAuth.Enabled, RedirectBase: cfg.OAuthRedirectBase(),
			FlowCookieSecret: cfg.Secrets.OAuthFlowCookie, TokensKeyring: c.keyrings[keystore.RingOAuthTokens],
			Providers: oauthProviders(cfg.OAuth.Providers)},
		APIKeyConfig: loginui.APIKeyOptions{Enabled: cfg.APIKeys.Enabled, Prefix: cfg.APIKeys.Prefix, Env: cfg.APIKeys.Env,
			AllowedScopes: cfg.APIKeys.AllowedScopes, MaxPerUser: cfg.APIKeys.MaxPerUser,
			DefaultLifetime: cfg.APIKeys.DefaultLifetime, ScopeSubsetCheck: cfg.APIKeys.ScopeSubsetCheck,
			Hasher: c.apiHasher, SigningEnabled: cfg.APIKeys.Signing.Enabled,
			SigningKeyring: c.keyrings[keystore.RingAPIKeySigning]},
		AccessKeys: accessKeysForPortal(c), AccessActiveKID: c.jwtActiveKID, PublicURL: cfg.PublicURL, CookieName: cfg.Cookie.Name,
		CookieDomain: cfg.Cookie.Domain, Development: !cfg.IsProduction(),
		SessionLifetime: cfg.Tokens.Session.Lifetime, AccessLifetime: cfg.Tokens.Access.Lifetime,
		RefreshLifetime: cfg.Tokens.Refresh.Lifetime, Hasher: c.hasher,
		PasswordMinLen: cfg.Passwords.MinLength, PasswordMaxLen: cfg.Passwords.MaxLength,
		RateLimits: limits, Mailer: mailer(cfg, log), OnRateLimited: s.metrics.RateLimitHit, Logger: log.With().Str("component", "portal").Logger(),
		SetupToken: setupToken, SetupTokenExpires: time.Now().Add(24 * time.Hour),
		TrustedProxies: trusted, TrustedHops: cfg.TrustedHops,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// mailer builds the portal's email hook from email.*; nil selects the
// development logger.
func mailer(cfg *config.Config, log zerolog.Logger) loginui.Mailer {
	e := cfg.Email
	switch e.EffectiveHook(cfg.IsProduction()) {
	case config.EmailHookWebhook:
		return &loginui.WebhookMailer{URL: e.Webhook.URL, Secret: e.Webhook.Secret.Secret,
			Client: &http.Client{Timeout: 10 * time.Second}}
	case config.EmailHookSMTP:
		return &loginui.SMTPMailer{Addr: e.SMTP.Addr, Username: e.SMTP.Username, Password: e.SMTP.Password.Secret, From: e.SMTP.From}
	case config.EmailHookNone:
		return loginui.DiscardMailer{Log: log.With().Str("component", "portal").Logger()}
	}
	return nil
}

// sharedState is the ephemeral state replicas share: nonces, single-use
// markers, rate-limit counters, and (with Redis) the revocation denylist.
type sharedState interface {
	keystore.Denylist
	keystore.Markers
	keystore.Counters
}

// openShared picks the shared store. With memory, revocations still go to
// the durable store (SPEC §10: a restart never revives a revoked
// credential); with Redis they go there and are published to replicas.
func (s *server) openShared() error {
	cfg := s.cfg
	if cfg.Shared.Backend != "redis" {
		s.shared = memory.New(memory.Options{MaxEntries: cfg.Shared.MaxEntries})
		s.deny = s.core.store
		return nil
	}
	if s.core.redis != nil && cfg.Shared.Redis.URL == cfg.State.Redis.URL {
		s.sharedR = s.core.redis
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		st, err := redis.Open(ctx, redis.Options{URL: cfg.Shared.Redis.URL})
		if err != nil {
			return fmt.Errorf("shared.redis: %w", err)
		}
		s.sharedR = st
		s.closers = append(s.closers, func() { _ = st.Close() })
	}
	s.shared, s.deny = s.sharedR, s.sharedR
	return nil
}

// watchRevocations drops revoked ids from this replica's verifier cache as
// other replicas publish them; a (re)subscription empties the caches,
// since ids published while disconnected are lost.
func (s *server) watchRevocations(ctx context.Context) {
	if s.sharedR == nil {
		return
	}
	for ctx.Err() == nil {
		err := s.sharedR.WatchRevocations(ctx, redis.RevocationWatch{
			Revoked:    s.ver.InvalidateTokenID,
			Subscribed: s.ver.InvalidateAll,
		})
		if ctx.Err() != nil {
			return
		}
		s.log.Warn().Err(err).Msg("revocation subscription ended; retrying")
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// signingRing is the keyring that opens API keys' signing secrets, or nil
// when signed requests are off (the verifier then refuses them).
func signingRing(cfg *config.Config, c *core) *signing.Keyring {
	if !cfg.APIKeys.Enabled || !cfg.APIKeys.Signing.Enabled {
		return nil
	}
	return c.keyrings[keystore.RingAPIKeySigning]
}

// oauthProviders maps the configured providers onto the portal's.
func oauthProviders(ps []config.OAuthProvider) []loginui.OAuthProvider {
	out := make([]loginui.OAuthProvider, 0, len(ps))
	for _, p := range ps {
		out = append(out, loginui.OAuthProvider{Name: p.Name, Kind: p.Kind, DisplayName: p.DisplayName,
			Issuer: p.Issuer, ClientID: p.ClientID, ClientSecret: p.ClientSecret, Scopes: p.Scopes,
			TrustEmailVerified: p.TrustProviderEmailVerified, AssociateByEmail: p.AssociateByEmail,
			StoreTokens: p.StoreTokens})
	}
	return out
}

// accessKeysForPortal hands asymmetric keys to the portal, which signs
// with the one c.jwtActiveKID names; HS256 uses the access_token secret
// there directly.
func accessKeysForPortal(c *core) []signing.JWTKey {
	if len(c.jwtKeys) == 1 && c.jwtKeys[0].Alg == "HS256" {
		return nil
	}
	return c.jwtKeys
}

func headerNames(h config.Headers) verifier.HeaderNames {
	return verifier.HeaderNames{User: h.User, UserID: h.UserID, Email: h.Email, Name: h.Name, Groups: h.Groups,
		AuthMethod: h.AuthMethod, APIKeyID: h.APIKeyID, Scopes: h.Scopes, ContentSHA256: h.ContentSHA256, Assertion: h.Assertion}
}

// setupToken returns a one-time first-administrator token while the store
// holds no user at all; empty otherwise.
func (s *server) setupToken() (string, error) {
	us, err := s.core.store.ListUsers(context.Background(), 0, 1)
	if err != nil || len(us) > 0 {
		return "", err
	}
	return signing.NewOpaqueToken()
}

func (s *server) run() error {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	token, err := signing.NewOpaqueToken()
	if err != nil {
		return err
	}
	s.token = token

	vln, err := net.Listen("tcp", s.cfg.Listen.Verifier)
	if err != nil {
		return fmt.Errorf("verifier listener: %w", err)
	}
	pln, err := net.Listen("tcp", s.cfg.Listen.Portal)
	if err != nil {
		vln.Close()
		return fmt.Errorf("portal listener: %w", err)
	}
	aln, err := net.Listen("tcp", s.cfg.Listen.Admin)
	if err != nil {
		vln.Close()
		pln.Close()
		return fmt.Errorf("admin listener: %w", err)
	}

	vsrv := &fasthttp.Server{
		Handler:               s.ver.Handler,
		Name:                  "gatehouse",
		ReadBufferSize:        verifierReadBuffer,
		MaxRequestBodySize:    int(max(s.cfg.APIKeys.Signing.BodyMaxBytes, 0)) + 4096,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           2 * time.Minute,
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		NoDefaultDate:         true,
		Logger:                fasthttpLogger{s.log},
	}
	psrv := &http.Server{Handler: s.portal, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 32 << 10}
	ah := admin.NewHandler(&admin.Handler{Ops: s.core.ops, Token: []byte(token),
		Ready: s.readiness(), Registry: s.metrics.Registry, Log: s.log.With().Str("component", "admin").Logger()})
	asrv := &http.Server{Handler: ah, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}

	if err := admin.WriteEndpoint(s.cfg.DataDir, admin.Endpoint{Addr: aln.Addr().String(), Token: token, PID: os.Getpid()}); err != nil {
		return fmt.Errorf("write admin endpoint file: %w", err)
	}
	defer admin.RemoveEndpoint(s.cfg.DataDir)

	mode := s.cfg.Mode
	s.log.Info().Str("addr", vln.Addr().String()).Str("mode", mode).Msg("verifier listening (forward-auth endpoints /auth/nginx, /auth/traefik, /auth/caddy, /auth/envoy/, /auth/haproxy)")
	s.log.Info().Str("addr", pln.Addr().String()).Str("public_url", s.cfg.PublicURL).Msg("portal listening")
	s.log.Info().Str("addr", aln.Addr().String()).Msg("admin listening (/healthz, /readyz, /metrics)")
	s.announceSetup()

	errc := make(chan error, 3)
	var wg sync.WaitGroup
	serveAll := func(name string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	serveAll("verifier", func() error { return vsrv.Serve(vln) })
	serveAll("portal", func() error { return psrv.Serve(pln) })
	serveAll("admin", func() error { return asrv.Serve(aln) })

	go s.janitor(ctx)
	go s.watchRevocations(ctx)

	sigc := make(chan os.Signal, 4)
	signal.Notify(sigc, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigc)
	var runErr error
loop:
	for {
		select {
		case sig := <-sigc:
			if sig == syscall.SIGHUP {
				s.reload()
				continue
			}
			s.log.Info().Str("signal", sig.String()).Msg("draining in-flight requests")
			break loop
		case err := <-errc:
			runErr = err
			s.log.Error().Err(err).Msg("listener failed; shutting down")
			break loop
		}
	}
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	_ = psrv.Shutdown(sctx)
	_ = vsrv.ShutdownWithContext(sctx)
	_ = asrv.Shutdown(sctx)
	wg.Wait()
	s.ver.Close()
	s.portal.Close(sctx)
	for _, c := range s.closers {
		c()
	}
	s.log.Info().Msg("stopped")
	return runErr
}

// readiness lists what /readyz pings: the durable store and, when
// separate, the shared Redis.
func (s *server) readiness() []admin.Pinger {
	ps := []admin.Pinger{s.core.store}
	if s.sharedR != nil && s.sharedR != s.core.redis {
		ps = append(ps, s.sharedR)
	}
	return ps
}

// announceSetup prints the first-administrator instructions on a store
// without users. The setup link is printed to the terminal, not the log.
func (s *server) announceSetup() {
	tok := s.setup
	if tok == "" {
		return
	}
	base := strings.TrimSuffix(s.cfg.PublicURL, "/")
	fmt.Fprintf(s.env.stderr, "\nNo users yet. Create the first administrator in the browser (link valid 24h, once):\n  %s/setup?token=%s\nor on the command line:\n  gatehouse user add --email you@example.com --superuser --verified --password-stdin --data-dir %s\n\n",
		base, tok, s.cfg.DataDir)
}

// reload re-reads the config on SIGHUP: access rules and keyrings change,
// anything invalid keeps the running config.
func (s *server) reload() {
	var cfg *config.Config
	var err error
	if path := s.cfgPath; path != "" {
		cfg, err = config.Load(path, s.env.getenv)
	} else {
		cfg = config.FromDefaults(s.env.getenv)
	}
	if err == nil {
		cfg.DataDir = s.cfg.DataDir
		if !cfg.IsProduction() {
			_, err = config.EnsureDataDir(cfg)
		}
	}
	if err == nil {
		err = validate(cfg, io.Discard)
	}
	var rings map[string]*signing.Keyring
	if err == nil {
		tmp := &core{cfg: cfg}
		if err = tmp.buildCrypto(); err == nil {
			rings = tmp.keyrings
		}
	}
	if err == nil {
		err = s.ver.Reload(cfg.Rules, cfg.DefaultPolicy)
	}
	if err == nil {
		if ring := rings[keystore.RingAPIKeySigning]; ring != nil && signingRing(s.cfg, s.core) != nil {
			err = s.ver.ReloadKeyring(ring)
			if err == nil && s.cfg.APIKeys.Enabled && s.cfg.APIKeys.Signing.Enabled {
				err = s.portal.ReloadAPIKeySigningKeyring(ring)
			}
		}
	}
	if err == nil && s.core.keyrings[keystore.RingTOTPSecrets] != nil {
		if ring := rings[keystore.RingTOTPSecrets]; ring != nil {
			err = s.portal.ReloadTOTPKeyring(ring)
		}
	}
	if err == nil && s.cfg.OAuth.Enabled && s.core.keyrings[keystore.RingOAuthTokens] != nil {
		if ring := rings[keystore.RingOAuthTokens]; ring != nil {
			err = s.portal.ReloadOAuthKeyring(ring)
		}
	}
	if err != nil {
		s.log.Error().Err(err).Msg("reload refused; keeping the running configuration")
		return
	}
	s.core.ops.Keyrings = rings
	s.core.ops.AccountService().SetSigningKeyring(rings[keystore.RingAPIKeySigning])
	s.log.Info().Int("rules", len(cfg.Rules)).Msg("reloaded access rules and keyrings")
}

// janitor purges expired sessions and denylist rows now and then.
func (s *server) janitor(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := s.core.store.PurgeExpiredSessions(ctx, time.Now())
			if err != nil {
				s.log.Warn().Err(err).Msg("purge expired sessions failed")
			} else if n > 0 {
				s.log.Debug().Int("sessions", n).Msg("purged expired sessions")
			}
			if s.core.purgeDenylist == nil {
				continue
			}
			if n, err := s.core.purgeDenylist(ctx, time.Now()); err != nil {
				s.log.Warn().Err(err).Msg("purge expired denylist entries failed")
			} else if n > 0 {
				s.log.Debug().Int("entries", n).Msg("purged expired denylist entries")
			}
		}
	}
}

// redisLogger sends go-redis's own messages (dial failures; they name the
// address, never the password) through the process logger.
type redisLogger struct{ l zerolog.Logger }

func (r redisLogger) Printf(_ context.Context, format string, v ...any) {
	r.l.Warn().Msg(fmt.Sprintf(format, v...))
}

type fasthttpLogger struct{ l zerolog.Logger }

// Printf logs fasthttp's connection errors by their format string only:
// the arguments can hold raw request bytes (headers with credentials).
func (f fasthttpLogger) Printf(format string, _ ...any) {
	f.l.Debug().Str("component", "verifier").Str("format", format).Msg("connection error")
}
