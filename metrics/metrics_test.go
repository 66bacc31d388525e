package metrics_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gatehouse/gatehouse/metrics"
	"github.com/gatehouse/gatehouse/verifier"
)

func TestDecisionsAreCountedByDialectOutcomeAndKind(t *testing.T) {
	m := metrics.New()
	nginx, _ := verifier.ParseDialect("nginx")
	caddy, _ := verifier.ParseDialect("caddy")
	cases := []verifier.Decision{
		{Dialect: nginx, Kind: verifier.KindJWT, Reason: verifier.ReasonNone, Duration: 20 * time.Microsecond},
		{Dialect: nginx, Kind: verifier.KindJWT, Reason: verifier.ReasonNone, Duration: 30 * time.Microsecond},
		{Dialect: caddy, Kind: verifier.KindAPIKey, Reason: verifier.ReasonAPIKeyRevoked, Duration: time.Millisecond},
	}
	for _, d := range cases {
		m.ObserveDecision(d)
	}
	m.StoreError("user")
	m.RateLimited.WithLabelValues("login").Inc()

	want := `
# HELP gatehouse_decisions_total Verifier decisions by dialect, outcome (allow or the deny code) and credential kind.
# TYPE gatehouse_decisions_total counter
gatehouse_decisions_total{credential="` + verifier.KindAPIKey.String() + `",dialect="caddy",outcome="API_KEY_REVOKED"} 1
gatehouse_decisions_total{credential="` + verifier.KindJWT.String() + `",dialect="nginx",outcome="allow"} 2
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want), "gatehouse_decisions_total"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(m.Registry, "gatehouse_decision_duration_seconds"); n != 2 {
		t.Fatalf("latency series: %d, want one per dialect (2)", n)
	}
	if got := testutil.ToFloat64(m.RateLimited.WithLabelValues("login")); got != 1 {
		t.Fatalf("rate limited: %v", got)
	}
}
