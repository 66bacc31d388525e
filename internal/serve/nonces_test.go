package serve

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// With the in-memory shared store, a holder of a signing API key who
// sends fresh nonces as fast as it can fills only the nonce table: the
// portal's single-use markers (TOTP replay, reset tokens, OAuth state)
// and rate-limit counters keep working for everyone else.
func TestNonceFloodCannotFillThePortalsMarkers(t *testing.T) {
	ts := newTestServer(t, everyoneRule, "shared:\n  max_entries: 1000\n")
	ctx := context.Background()
	for i := 0; ; i++ {
		ok, err := ts.nonces.SetIfAbsent(ctx, fmt.Sprintf("nonce:%d", i), time.Minute)
		if err != nil || !ok {
			break // the nonce table is full: signed requests fail closed
		}
		if i > 100000 {
			t.Fatal("the nonce table has no bound")
		}
	}
	if ok, err := ts.shared.SetIfAbsent(ctx, "totp-replay:u:1", time.Minute); err != nil || !ok {
		t.Fatalf("portal marker after a nonce flood: %v %v", ok, err)
	}
	if _, _, err := ts.shared.Incr(ctx, "rl:login:x", time.Minute); err != nil {
		t.Fatalf("rate-limit counter after a nonce flood: %v", err)
	}
}
