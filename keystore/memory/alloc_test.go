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

// TestSetIfAbsentBytesReplayDoesNotAllocate guards the signed-request
// nonce check: a replayed nonce (the key already present) costs no
// allocation, and neither does hashing a new one.
func TestSetIfAbsentBytesReplayDoesNotAllocate(t *testing.T) {
	s := memory.New(memory.Options{})
	key := []byte("lsa1:ak_0123:nonce-1")
	if ok, err := s.SetIfAbsentBytes(key, time.Minute); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if n := testing.AllocsPerRun(1000, func() { _, _ = s.SetIfAbsentBytes(key, time.Minute) }); n != 0 {
		t.Errorf("SetIfAbsentBytes(replay) allocates %.1f times per call", n)
	}
}
