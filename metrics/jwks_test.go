package metrics_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gatehouse/gatehouse/internal/jwks"
	"github.com/gatehouse/gatehouse/metrics"
)

// fakeSource is a key source whose Stats the test sets.
type fakeSource struct {
	issuer string
	stats  jwks.Stats
}

func (f *fakeSource) Issuer() string    { return f.issuer }
func (f *fakeSource) Stats() jwks.Stats { return f.stats }

// TestJWKSStatsAreExportedPerIssuer: every external issuer has its own
// series of each key-set metric, read from Stats at scrape time (so a
// later fetch shows up without anyone pushing it), and an issuer without a
// set yet exports zero keys and a zero fetch time.
func TestJWKSStatsAreExportedPerIssuer(t *testing.T) {
	m := metrics.New()
	gh := &fakeSource{issuer: "https://token.actions.githubusercontent.com", stats: jwks.Stats{
		Fetches: 3, Failures: 1, UnknownKIDRefreshes: 2, Keys: 4, FetchedAt: time.Unix(1700000000, 500_000_000)}}
	k8s := &fakeSource{issuer: "https://kubernetes.default.svc", stats: jwks.Stats{Fetches: 5, Failures: 5}}
	m.WatchJWKS(gh)
	m.WatchJWKS(k8s)
	m.WatchJWKS(&fakeSource{issuer: gh.issuer, stats: jwks.Stats{Fetches: 99}}) // a duplicate issuer is left out

	want := `
# HELP gatehouse_jwks_fetch_failures_total Failed key-set fetch attempts per external issuer.
# TYPE gatehouse_jwks_fetch_failures_total counter
gatehouse_jwks_fetch_failures_total{issuer="https://kubernetes.default.svc"} 5
gatehouse_jwks_fetch_failures_total{issuer="https://token.actions.githubusercontent.com"} 1
# HELP gatehouse_jwks_fetched_timestamp_seconds Unix time the external issuer's current key set was fetched (0: none yet).
# TYPE gatehouse_jwks_fetched_timestamp_seconds gauge
gatehouse_jwks_fetched_timestamp_seconds{issuer="https://kubernetes.default.svc"} 0
gatehouse_jwks_fetched_timestamp_seconds{issuer="https://token.actions.githubusercontent.com"} 1.7000000005e+09
# HELP gatehouse_jwks_fetches_total Key-set fetch attempts per external issuer (discovery and key set count as one).
# TYPE gatehouse_jwks_fetches_total counter
gatehouse_jwks_fetches_total{issuer="https://kubernetes.default.svc"} 5
gatehouse_jwks_fetches_total{issuer="https://token.actions.githubusercontent.com"} 3
# HELP gatehouse_jwks_keys Signature keys in the external issuer's current key set (0: none fetched yet).
# TYPE gatehouse_jwks_keys gauge
gatehouse_jwks_keys{issuer="https://kubernetes.default.svc"} 0
gatehouse_jwks_keys{issuer="https://token.actions.githubusercontent.com"} 4
# HELP gatehouse_jwks_unknown_kid_refreshes_total Out-of-band key-set refreshes a token with an unknown kid asked for, per external issuer (at most one per 10 s).
# TYPE gatehouse_jwks_unknown_kid_refreshes_total counter
gatehouse_jwks_unknown_kid_refreshes_total{issuer="https://kubernetes.default.svc"} 0
gatehouse_jwks_unknown_kid_refreshes_total{issuer="https://token.actions.githubusercontent.com"} 2
`
	names := []string{"gatehouse_jwks_fetches_total", "gatehouse_jwks_fetch_failures_total",
		"gatehouse_jwks_unknown_kid_refreshes_total", "gatehouse_jwks_keys", "gatehouse_jwks_fetched_timestamp_seconds"}
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}

	// Read at scrape time: a fetch after registration is seen.
	k8s.stats = jwks.Stats{Fetches: 6, Failures: 5, Keys: 2, FetchedAt: time.Unix(1700000100, 0)}
	want2 := `
# HELP gatehouse_jwks_keys Signature keys in the external issuer's current key set (0: none fetched yet).
# TYPE gatehouse_jwks_keys gauge
gatehouse_jwks_keys{issuer="https://kubernetes.default.svc"} 2
gatehouse_jwks_keys{issuer="https://token.actions.githubusercontent.com"} 4
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want2), "gatehouse_jwks_keys"); err != nil {
		t.Fatal(err)
	}
}

// TestNoJWKSSeriesWithoutIssuers: without external issuers /metrics has
// no key-set metric at all (not even empty families).
func TestNoJWKSSeriesWithoutIssuers(t *testing.T) {
	m := metrics.New()
	if n := testutil.CollectAndCount(m.Registry, "gatehouse_jwks_keys", "gatehouse_jwks_fetches_total"); n != 0 {
		t.Fatalf("%d key-set series without issuers", n)
	}
}
