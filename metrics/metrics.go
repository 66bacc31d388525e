package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gatehouse/gatehouse/verifier"
)

// Metrics holds the registry and the collectors.
type Metrics struct {
	Registry    *prometheus.Registry
	decisions   *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	storeErrors *prometheus.CounterVec
	RateLimited *prometheus.CounterVec
	jwks        jwksCollector // external issuers' key sets (jwks.go)

	// Resolved series, so a decision costs no label hashing and no
	// allocation once its series exists.
	series  [maxDialects][maxReasons][maxKinds]atomic.Pointer[prometheus.Counter]
	latSeri [maxDialects]atomic.Pointer[prometheus.Observer]
}

const (
	maxDialects = 16
	maxReasons  = 32
	maxKinds    = 8
)

// New registers every collector on a fresh registry.
func New() *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry()}
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gatehouse_decisions_total",
		Help: "Verifier decisions by dialect, outcome (allow or the deny code) and credential kind.",
	}, []string{"dialect", "outcome", "credential"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gatehouse_decision_duration_seconds",
		Help:    "Time to decide, by dialect.",
		Buckets: []float64{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25},
	}, []string{"dialect"})
	m.storeErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gatehouse_store_errors_total",
		Help: "Store calls that failed or timed out, by what was being read.",
	}, []string{"what"})
	m.RateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gatehouse_rate_limited_total",
		Help: "Requests refused by a rate limit, by slot.",
	}, []string{"slot"})
	m.Registry.MustRegister(m.decisions, m.latency, m.storeErrors, m.RateLimited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// RateLimitHit counts a request a portal rate limit refused.
func (m *Metrics) RateLimitHit(slot string) { m.RateLimited.WithLabelValues(slot).Inc() }

// ObserveDecision implements verifier.Observer.
func (m *Metrics) ObserveDecision(d verifier.Decision) {
	di, ri, ki := int(d.Dialect), int(d.Reason), int(d.Kind)
	if di >= maxDialects || ri >= maxReasons || ki >= maxKinds {
		m.counter(d).Inc()
		m.latency.WithLabelValues(d.Dialect.String()).Observe(d.Duration.Seconds())
		return
	}
	c := m.series[di][ri][ki].Load()
	if c == nil {
		cv := m.counter(d)
		m.series[di][ri][ki].Store(&cv)
		c = &cv
	}
	(*c).Inc()
	o := m.latSeri[di].Load()
	if o == nil {
		ov := m.latency.WithLabelValues(d.Dialect.String())
		m.latSeri[di].Store(&ov)
		o = &ov
	}
	(*o).Observe(d.Duration.Seconds())
}

func (m *Metrics) counter(d verifier.Decision) prometheus.Counter {
	outcome := "allow"
	if d.Reason != verifier.ReasonNone {
		outcome = d.Reason.String()
	}
	return m.decisions.WithLabelValues(d.Dialect.String(), outcome, d.Kind.String())
}

// StoreError implements verifier.Observer.
func (m *Metrics) StoreError(what string) { m.storeErrors.WithLabelValues(what).Inc() }

var _ verifier.Observer = (*Metrics)(nil)
