package jwks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// The refresher refreshes at three quarters of a set's lifetime (before
// expiry) and backs off from 1 s to 1 min after failures. Computed with an
// injected clock; nothing waits.
func TestRefreshScheduleBeforeExpiryAndBackoff(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Write([]byte(`{"keys":[]}`))
	}))
	defer srv.Close()
	var mu sync.Mutex
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s, err := New(Options{JWKSURL: srv.URL, Client: srv.Client(), AllowLoopbackHTTP: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.untilRefresh(); got != retryMin {
		t.Fatalf("without a set: %v", got)
	}
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct{ advance, want time.Duration }{
		{0, 45 * time.Minute},
		{40 * time.Minute, 5 * time.Minute},
		{10 * time.Minute, retryMin},
	} {
		advance(step.advance)
		if got := s.untilRefresh(); got != step.want {
			t.Fatalf("after %v: %v, want %v", step.advance, got, step.want)
		}
	}
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 6: 32 * time.Second, 7: time.Minute, 100: time.Minute} {
		if got := retryDelay(n); got != want {
			t.Errorf("retryDelay(%d) = %v, want %v", n, got, want)
		}
	}
}
