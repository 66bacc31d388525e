package serve

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/jwks"
	"github.com/gatehouse/gatehouse/verifier"
)

// firstFetchWithin bounds the first key-set fetch of all external issuers
// together at startup. An issuer whose set is not in by then is logged and
// its tokens answer 503 until the background refresher gets a set
// (README "Machine-to-machine tokens"): gatehouse still starts, so one
// unreachable issuer never takes the other credentials down with it.
const firstFetchWithin = 5 * time.Second

// Transport bounds of the key-set client. The per-request bound is the
// issuer's jwks.timeout, applied by the Source; these cap the pieces of a
// connection so that a peer cannot hold one open past it either.
const (
	jwksDialTimeout      = 5 * time.Second
	jwksTLSTimeout       = 5 * time.Second
	jwksIdleTimeout      = 90 * time.Second
	jwksMaxHeaderBytes   = 64 << 10
	jwksIdleConnsPerHost = 2
)

// externalIssuers builds one key source per external_jwt.issuers entry
// (app.JWKSOptions: the mapping check-config uses too, zero jwks.* values
// left for the jwks defaults, plain http to loopback only in development)
// and fetches every first set in parallel, within firstFetchWithin. The
// sources are not started: Run starts their refreshers (startExternal) and
// closes them at shutdown. Only a source that cannot be built (a URL the
// jwks rules refuse; config validation should have said so) is an error.
func externalIssuers(cfg *config.Config, log zerolog.Logger) ([]verifier.ExternalIssuer, []*jwks.Source, error) {
	issuers := cfg.ExternalJWT.Issuers
	if len(issuers) == 0 {
		return nil, nil, nil
	}
	client := jwksClient(issuers)
	out := make([]verifier.ExternalIssuer, 0, len(issuers))
	sources := make([]*jwks.Source, 0, len(issuers))
	for i, ic := range issuers {
		opts := app.JWKSOptions(ic, cfg.IsProduction(), client)
		opts.OnFetch = fetchLogger(ic.Issuer, log)
		src, err := jwks.New(opts)
		if err != nil {
			return nil, nil, fmt.Errorf("external_jwt.issuers[%d] (%s): %w", i, ic.Issuer, err)
		}
		out = append(out, verifier.ExternalIssuer{Config: ic, Keys: src})
		sources = append(sources, src)
	}
	firstFetch(sources, firstFetchWithin, log)
	return out, sources, nil
}

// jwksClient is the one client of every issuer's fetches: bounded dials,
// TLS handshakes, response headers and idle connections. It honours the
// usual proxy variables (HTTPS_PROXY, NO_PROXY), as the portal's OAuth
// client does; loopback addresses are never proxied.
func jwksClient(issuers []config.ExternalIssuer) *http.Client {
	header := jwks.DefaultTimeout
	for _, ic := range issuers {
		header = max(header, ic.JWKS.Timeout)
	}
	return &http.Client{Transport: &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            (&net.Dialer{Timeout: jwksDialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:    jwksTLSTimeout,
		ResponseHeaderTimeout:  header,
		MaxResponseHeaderBytes: jwksMaxHeaderBytes,
		IdleConnTimeout:        jwksIdleTimeout,
		MaxIdleConnsPerHost:    jwksIdleConnsPerHost,
		ForceAttemptHTTP2:      true,
	}}
}

// fetchLogger logs failed fetches (the issuer URL and the error, which
// names at most the endpoint's URL; a token never reaches this code), and
// at info the first success and the first after a failure; routine
// refreshes at debug.
func fetchLogger(issuer string, log zerolog.Logger) func(jwks.FetchResult) {
	var failing, fetched atomic.Bool
	return func(r jwks.FetchResult) {
		if r.Err != nil {
			failing.Store(true)
			log.Warn().Str("component", "jwks").Str("issuer", issuer).Err(r.Err).Msg("external issuer: key set fetch failed")
			return
		}
		ev := log.Debug()
		if failing.Swap(false) || !fetched.Swap(true) {
			ev = log.Info()
		}
		ev.Str("component", "jwks").Str("issuer", issuer).Int("keys", r.Keys).Time("expires", r.Expires).Msg("external issuer: key set fetched")
	}
}

// firstFetch refreshes every source at once and waits at most within for
// all of them. A source still without a set is reported; its refresher
// keeps trying once started.
func firstFetch(sources []*jwks.Source, within time.Duration, log zerolog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	var wg sync.WaitGroup
	for _, src := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := src.Refresh(ctx); err != nil {
				// OnFetch has logged the error itself.
				log.Error().Str("component", "jwks").Str("issuer", src.Issuer()).
					Msg("external issuer: no key set at startup; its tokens answer 503 until a fetch succeeds")
			}
		}()
	}
	wg.Wait()
}

// startExternal starts the background refreshers.
func (s *Server) startExternal() {
	for _, src := range s.external {
		src.Start()
	}
}

// closeExternal stops the refreshers; keys keep answering from the last set.
func (s *Server) closeExternal() {
	for _, src := range s.external {
		src.Close()
	}
}
