package web

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

func TestLocalCountersWindowAndCap(t *testing.T) {
	now := time.Unix(1000, 0)
	c := NewLocalCounters(2, func() time.Time { return now })
	ctx := context.Background()
	for i := int64(1); i <= 3; i++ {
		n, reset, err := c.Incr(ctx, "a", time.Minute)
		if err != nil || n != i || reset != time.Minute {
			t.Fatalf("incr %d: %d %v %v", i, n, reset, err)
		}
	}
	if _, _, err := c.Incr(ctx, "b", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Incr(ctx, "c", time.Minute); !errors.Is(err, keystore.ErrFull) {
		t.Fatalf("cap: %v", err)
	}
	// Existing keys still count when full.
	if n, _, err := c.Incr(ctx, "a", time.Minute); err != nil || n != 4 {
		t.Fatalf("existing key when full: %d %v", n, err)
	}
	now = now.Add(time.Minute)
	if n, _, err := c.Incr(ctx, "c", time.Minute); err != nil || n != 1 {
		t.Fatalf("after expiry: %d %v", n, err)
	}
}

// TestLimiterKeysHideIdentifiers: counter keys are HMAC digests; neither
// the email nor the address appears in them.
func TestLimiterKeysHideIdentifiers(t *testing.T) {
	p := &Limiter{Secret: []byte("k")}
	k := p.Key("login", "id", "someone@example.test")
	k2 := p.Key("login", "ip", "203.0.113.9")
	if strings.Contains(k, "someone") || strings.Contains(k, "example") || strings.Contains(k2, "203.0") {
		t.Fatalf("raw identifier in key: %s %s", k, k2)
	}
	if k == p.Key("login", "id", "someone@example.tesT") || k == p.Key("register", "id", "someone@example.test") {
		t.Fatal("keys collide across inputs or slots")
	}
	// Framing: moving a byte between parts changes the key.
	if p.Key("s", "ab", "c") == p.Key("s", "a", "bc") {
		t.Fatal("parts are not framed")
	}
}
