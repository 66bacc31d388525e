// Command traefik is a test-only Traefik front end for gatehouse's
// integration tests. The full Traefik binary cannot be built from the
// public module proxy (its go.mod has replace directives, an unpublished
// nested module and ACME DNS-provider SDKs that are not served), so this
// program runs the parts that matter for forward auth, unchanged from
// Traefik v3:
//
//   - the file provider's decoder reads the dynamic configuration that
//     `gatehouse proxyconf traefik` prints;
//   - each router's middlewares are built with Traefik's own constructors
//     (pkg/middlewares/auth.NewForward for forwardAuth,
//     pkg/middlewares/headers.New for headers) in the router's order;
//   - the router's service is a reverse proxy to the first load-balancer
//     server, passing the Host header as Traefik does by default.
//
// Router rules are matched by Host(`...`) only (a rule without Host
// matches every host), in router-name order; no match is a 404. Everything else Traefik does (entry points, TLS,
// providers, metrics) is out of scope. It listens on loopback only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/traefik/traefik/v3/pkg/config/dynamic"
	"github.com/traefik/traefik/v3/pkg/middlewares/auth"
	"github.com/traefik/traefik/v3/pkg/middlewares/headers"
	"github.com/traefik/traefik/v3/pkg/provider/file"
)

// traefikVersion is the Traefik module version this wrapper is built
// against; build-traefik.sh sets it with -ldflags -X.
var traefikVersion = "v3.7.13"

func main() {
	cfgPath := flag.String("config", "", "Traefik dynamic configuration file (YAML or TOML)")
	listen := flag.String("listen", "127.0.0.1:8080", "entry point address (loopback only)")
	version := flag.Bool("version", false, "print the Traefik version and exit")
	flag.Parse()
	if *version {
		fmt.Println("traefik (gatehouse test wrapper) " + traefikVersion)
		return
	}
	if err := run(*cfgPath, *listen); err != nil {
		log.Fatalf("traefik-wrapper: %v", err)
	}
}

func run(cfgPath, listen string) error {
	if cfgPath == "" {
		return errors.New("--config is required")
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return errors.New("--listen must be a loopback address")
	}
	conf, err := (&file.Provider{}).DecodeConfiguration(cfgPath)
	if err != nil {
		return fmt.Errorf("decode %s: %w", cfgPath, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	handler, err := buildRouters(ctx, conf.HTTP)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Printf("traefik-wrapper %s listening on %s", traefikVersion, ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutCtx)
	}
}

var hostRule = regexp.MustCompile("Host\\(`([^`]+)`\\)")

type route struct {
	hosts   []string
	handler http.Handler
}

func buildRouters(ctx context.Context, conf *dynamic.HTTPConfiguration) (http.Handler, error) {
	if conf == nil || len(conf.Routers) == 0 {
		return nil, errors.New("no http routers in the configuration")
	}
	names := make([]string, 0, len(conf.Routers))
	for name := range conf.Routers {
		names = append(names, name)
	}
	sort.Strings(names)
	routes := make([]route, 0, len(names))
	for _, name := range names {
		r := conf.Routers[name]
		h, err := buildRouter(ctx, conf, name, r)
		if err != nil {
			return nil, fmt.Errorf("router %s: %w", name, err)
		}
		var hosts []string
		for _, m := range hostRule.FindAllStringSubmatch(r.Rule, -1) {
			hosts = append(hosts, strings.ToLower(m[1]))
		}
		routes = append(routes, route{hosts: hosts, handler: h})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		host := strings.ToLower(req.Host)
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		for _, r := range routes {
			if len(r.hosts) == 0 {
				r.handler.ServeHTTP(w, req)
				return
			}
			for _, h := range r.hosts {
				if h == host {
					r.handler.ServeHTTP(w, req)
					return
				}
			}
		}
		http.NotFound(w, req)
	}), nil
}

func buildRouter(ctx context.Context, conf *dynamic.HTTPConfiguration, name string, r *dynamic.Router) (http.Handler, error) {
	svc, ok := conf.Services[r.Service]
	if !ok || svc.LoadBalancer == nil || len(svc.LoadBalancer.Servers) == 0 {
		return nil, fmt.Errorf("service %q has no load-balancer server", r.Service)
	}
	target, err := url.Parse(svc.LoadBalancer.Servers[0].URL)
	if err != nil || target.Host == "" {
		return nil, fmt.Errorf("service %q: bad server url", r.Service)
	}
	var h http.Handler = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
			pr.Out.Host = pr.In.Host
		},
	}
	for i := len(r.Middlewares) - 1; i >= 0; i-- {
		mwName := r.Middlewares[i]
		mw, ok := conf.Middlewares[mwName]
		if !ok {
			return nil, fmt.Errorf("unknown middleware %q", mwName)
		}
		switch {
		case mw.ForwardAuth != nil:
			h, err = auth.NewForward(ctx, h, *mw.ForwardAuth, mwName)
		case mw.Headers != nil:
			h, err = headers.New(ctx, h, *mw.Headers, mwName)
		default:
			return nil, fmt.Errorf("middleware %q: only forwardAuth and headers are supported by this wrapper", mwName)
		}
		if err != nil {
			return nil, fmt.Errorf("middleware %q: %w", mwName, err)
		}
	}
	log.Printf("router %s: rule %q, %d middleware(s), upstream %s", name, r.Rule, len(r.Middlewares), target.Host)
	return h, nil
}
