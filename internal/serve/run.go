package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/admin"
	"github.com/gatehouse/gatehouse/signing"
)

// Read bounds for the verifier listener: forward-auth requests carry
// headers only, except for proxies that forward bodies for signed requests.
const (
	verifierReadBuffer = 16 << 10
	drainTimeout       = 15 * time.Second
)

// Run serves the three listeners until SIGTERM or SIGINT (or a listener
// fails), reloading on SIGHUP, then drains for up to 15 s and closes what
// New opened. It returns the listener error that stopped it, if any.
func (s *Server) Run() error {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	token, err := signing.NewOpaqueToken()
	if err != nil {
		return err
	}

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
	dln, err := s.listenPprof()
	if err != nil {
		vln.Close()
		pln.Close()
		aln.Close()
		return fmt.Errorf("pprof listener: %w", err)
	}

	vsrv := s.verifierServer()
	psrv := &http.Server{
		Handler:           s.portal,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
	}
	ah := admin.NewHandler(&admin.Handler{
		Ops:      s.core.Ops,
		Token:    []byte(token),
		Ready:    s.readiness(),
		Registry: s.metrics.Registry,
		Log:      s.log.With().Str("component", "admin").Logger(),
	})
	asrv := &http.Server{
		Handler:           ah,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
	}

	if err := admin.WriteEndpoint(s.cfg.DataDir, admin.Endpoint{Addr: aln.Addr().String(), Token: token, PID: os.Getpid()}); err != nil {
		return fmt.Errorf("write admin endpoint file: %w", err)
	}
	defer admin.RemoveEndpoint(s.cfg.DataDir)

	mode := s.cfg.Mode
	s.log.Info().Str("addr", vln.Addr().String()).Str("mode", mode).Msg("verifier listening (forward-auth endpoints /auth/nginx, /auth/traefik, /auth/caddy, /auth/envoy/, /auth/haproxy)")
	s.log.Info().Str("addr", pln.Addr().String()).Str("public_url", s.cfg.PublicURL).Msg("portal listening")
	s.log.Info().Str("addr", aln.Addr().String()).Msg("admin listening (/healthz, /readyz, /metrics)")
	var dsrv *http.Server
	if dln != nil {
		dsrv = pprofServer()
		s.log.Warn().Str("addr", dln.Addr().String()).Msg("pprof listening (/debug/pprof/); turn listen.pprof off when done")
	}
	s.announceSetup()

	errc := make(chan error, 4)
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
	bvln := newBoundedListener(vln, verifierConnBounds)
	defer bvln.Close()
	serveAll("verifier", func() error { return vsrv.Serve(bvln) })
	serveAll("portal", func() error { return psrv.Serve(pln) })
	serveAll("admin", func() error { return asrv.Serve(aln) })
	if dsrv != nil {
		serveAll("pprof", func() error { return dsrv.Serve(dln) })
	}

	s.startExternal()
	go s.janitor(ctx, janitorInterval)
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
	if dsrv != nil {
		// Close, not Shutdown: a CPU profile in progress would hold the
		// drain for its whole duration.
		_ = dsrv.Close()
	}
	wg.Wait()
	s.ver.Close()
	s.closeExternal()
	s.portal.Close(sctx)
	for _, c := range s.closers {
		c()
	}
	s.log.Info().Msg("stopped")
	return runErr
}

type fasthttpLogger struct{ l zerolog.Logger }

// Printf logs fasthttp's connection errors by their format string only:
// the arguments can hold raw request bytes (headers with credentials).
func (f fasthttpLogger) Printf(format string, _ ...any) {
	f.l.Debug().Str("component", "verifier").Str("format", format).Msg("connection error")
}

// verifierServer is the forward-auth server. It has no ReadTimeout,
// WriteTimeout or IdleTimeout: it is served on a boundedListener, which
// enforces verifierConnBounds without moving three deadlines per request.
func (s *Server) verifierServer() *fasthttp.Server {
	return &fasthttp.Server{
		Handler:               s.ver.Handler,
		Name:                  "gatehouse",
		ReadBufferSize:        verifierReadBuffer,
		MaxRequestBodySize:    int(max(s.cfg.APIKeys.Signing.BodyMaxBytes, 0)) + 4096,
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		NoDefaultDate:         true,
		Logger:                fasthttpLogger{s.log},
	}
}
