package admin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/internal/hostname"
)

// maxCommandBody bounds a command request read from the admin listener.
const maxCommandBody = 64 << 10

// Pinger is something /readyz checks.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Handler serves the admin listener.
type Handler struct {
	Ops      *Ops
	Token    []byte // admin token from the data directory; empty: commands off
	Ready    []Pinger
	Registry *prometheus.Registry
	Log      zerolog.Logger
	mux      *http.ServeMux
}

// NewHandler builds the admin handler.
func NewHandler(h *Handler) *Handler {
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	h.mux.HandleFunc("GET /readyz", h.readyz)
	if h.Registry != nil {
		h.mux.Handle("GET /metrics", promhttp.HandlerFor(h.Registry, promhttp.HandlerOpts{}))
	}
	h.mux.HandleFunc("POST /admin/v1/{op}", h.command)
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	for _, p := range h.Ready {
		if err := p.Ping(ctx); err != nil {
			h.Log.Warn().Err(err).Msg("readiness check failed")
			http.Error(w, "not ready\n", http.StatusServiceUnavailable)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ready\n")
}

func loopbackPeer(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	return hostname.IsLoopback(host)
}

func (h *Handler) authorized(r *http.Request) bool {
	if len(h.Token) == 0 || !loopbackPeer(r) {
		return false
	}
	const p = "Bearer "
	got := r.Header.Get("Authorization")
	if len(got) <= len(p) || got[:len(p)] != p {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got[len(p):]), h.Token) == 1
}

func (h *Handler) command(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(r) {
		writeJSON(w, http.StatusForbidden, &Error{Code: "AUTHORIZATION_DENIED", Message: "admin commands need the data directory's admin token, from loopback"})
		return
	}
	op := r.PathValue("op")
	body, err := io.ReadAll(io.LimitReader(r.Body, maxCommandBody+1))
	if err != nil || len(body) > maxCommandBody {
		writeJSON(w, http.StatusBadRequest, &Error{Code: "REQUEST_BODY_INVALID", Message: "request body unreadable or too large"})
		return
	}
	res, err := Dispatch(r.Context(), h.Ops, op, body)
	if err != nil {
		var oe *Error
		if errors.As(err, &oe) {
			writeJSON(w, http.StatusUnprocessableEntity, oe)
			return
		}
		h.Log.Error().Err(err).Str("op", op).Msg("admin command failed")
		writeJSON(w, http.StatusInternalServerError, &Error{Code: "INTERNAL", Message: "the command failed; see the server log"})
		return
	}
	h.Log.Info().Str("event", "admin_command").Str("op", op).Msg("admin command done")
	writeJSON(w, http.StatusOK, res)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
