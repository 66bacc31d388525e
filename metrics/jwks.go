package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse/gatehouse/internal/jwks"
)

// JWKSSource is what the key-set metrics read: *jwks.Source.
type JWKSSource interface {
	Issuer() string
	Stats() jwks.Stats
}

var _ JWKSSource = (*jwks.Source)(nil)

// The key-set metrics, one series per external issuer (README "Metrics").
// The issuer label is the configured external_jwt.issuers[].issuer, never
// a value from a request, so there are as many series as issuers.
var (
	jwksFetchesDesc = prometheus.NewDesc("gatehouse_jwks_fetches_total",
		"Key-set fetch attempts per external issuer (discovery and key set count as one).", []string{"issuer"}, nil)
	jwksFailuresDesc = prometheus.NewDesc("gatehouse_jwks_fetch_failures_total",
		"Failed key-set fetch attempts per external issuer.", []string{"issuer"}, nil)
	jwksUnknownKIDDesc = prometheus.NewDesc("gatehouse_jwks_unknown_kid_refreshes_total",
		"Out-of-band key-set refreshes a token with an unknown kid asked for, per external issuer (at most one per 10 s).", []string{"issuer"}, nil)
	jwksKeysDesc = prometheus.NewDesc("gatehouse_jwks_keys",
		"Signature keys in the external issuer's current key set (0: none fetched yet).", []string{"issuer"}, nil)
	jwksFetchedDesc = prometheus.NewDesc("gatehouse_jwks_fetched_timestamp_seconds",
		"Unix time the external issuer's current key set was fetched (0: none yet).", []string{"issuer"}, nil)
)

// WatchJWKS exports the Stats of src, read at scrape time. A source whose
// issuer an earlier one already has is left out: the two would export the
// same series, which fails the whole scrape (config validation refuses
// duplicate issuers; this only keeps /metrics whole).
func (m *Metrics) WatchJWKS(src JWKSSource) {
	c := &m.jwks
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.sources {
		if s.Issuer() == src.Issuer() {
			return
		}
	}
	if len(c.sources) == 0 {
		m.Registry.MustRegister(c)
	}
	c.sources = append(c.sources, src)
}

// jwksCollector is registered with the first watched source.
type jwksCollector struct {
	mu      sync.Mutex
	sources []JWKSSource
}

func (c *jwksCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{jwksFetchesDesc, jwksFailuresDesc, jwksUnknownKIDDesc, jwksKeysDesc, jwksFetchedDesc} {
		ch <- d
	}
}

func (c *jwksCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	sources := c.sources
	c.mu.Unlock()
	for _, s := range sources {
		st, iss := s.Stats(), s.Issuer()
		fetched := 0.0
		if !st.FetchedAt.IsZero() {
			fetched = float64(st.FetchedAt.UnixNano()) / 1e9
		}
		ch <- prometheus.MustNewConstMetric(jwksFetchesDesc, prometheus.CounterValue, float64(st.Fetches), iss)
		ch <- prometheus.MustNewConstMetric(jwksFailuresDesc, prometheus.CounterValue, float64(st.Failures), iss)
		ch <- prometheus.MustNewConstMetric(jwksUnknownKIDDesc, prometheus.CounterValue, float64(st.UnknownKIDRefreshes), iss)
		ch <- prometheus.MustNewConstMetric(jwksKeysDesc, prometheus.GaugeValue, float64(st.Keys), iss)
		ch <- prometheus.MustNewConstMetric(jwksFetchedDesc, prometheus.GaugeValue, fetched, iss)
	}
}
