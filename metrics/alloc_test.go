//go:build !race

package metrics_test

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/metrics"
	"github.com/gatehouse/gatehouse/verifier"
)

// TestObserveDecisionAllocatesNothingOnceWarm: the observer runs on the
// verifier's hot path.
func TestObserveDecisionAllocatesNothingOnceWarm(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	m := metrics.New()
	nginx, _ := verifier.ParseDialect("nginx")
	d := verifier.Decision{Dialect: nginx, Kind: verifier.KindAPIKey, Duration: 15 * time.Microsecond}
	m.ObserveDecision(d)
	if n := testing.AllocsPerRun(1000, func() { m.ObserveDecision(d) }); n != 0 {
		t.Fatalf("ObserveDecision allocates %v times per call", n)
	}
}
