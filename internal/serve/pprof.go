package serve

import (
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// pprofServer serves net/http/pprof on its own mux (never
// http.DefaultServeMux, which other packages may fill) for listen.pprof.
// Config validation keeps the address on loopback (docs/design.md "Hot
// path costs" shows how to profile the verifier under load).
func pprofServer() *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
}

// listenPprof opens listen.pprof, or returns nil when it is not set.
func (s *Server) listenPprof() (net.Listener, error) {
	if s.cfg.Listen.Pprof == "" {
		return nil, nil
	}
	return net.Listen("tcp", s.cfg.Listen.Pprof)
}
