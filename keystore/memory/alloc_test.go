//go:build !race

package memory_test

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore/memory"
)

// TestIsDeniedDoesNotAllocate guards the verifier's per-request lookup.
func TestIsDeniedDoesNotAllocate(t *testing.T) {
	clock := newClock()
	s := memory.New(memory.Options{Clock: clock.Now})
	if err := s.Deny(bg, "jti-live", clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Deny(bg, "jti-expiring", clock.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Second)
	for _, id := range []string{"jti-live", "jti-missing", "jti-expiring"} {
		b := []byte(id)
		if n := testing.AllocsPerRun(1000, func() { _, _ = s.IsDenied(bg, b) }); n != 0 {
			t.Errorf("IsDenied(%q) allocates %.1f times per call", id, n)
		}
	}
}
