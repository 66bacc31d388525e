package jwks

import (
	"context"
	"time"
)

// Retry delays after failed fetches: 1 s doubling to 1 min.
const (
	retryMin = time.Second
	retryMax = time.Minute
)

// Start launches the background refresher: it fetches at once when the
// Source has no set yet, then refreshes at three quarters of each set's
// lifetime, retries failures with backoff, and fetches when an unknown kid
// asks for it. Start after Close, or twice, does nothing.
func (s *Source) Start() {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.started || s.closed {
		return
	}
	s.started = true
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	go s.run(ctx)
}

// Close stops the refresher and waits for it (a fetch in flight is
// cancelled). Keys keep answering from the last set.
func (s *Source) Close() {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	if s.started {
		s.cancel()
		<-s.done
	}
}

func (s *Source) run(ctx context.Context) {
	defer close(s.done)
	failures := 0
	fetchNow := s.snap.Load() == nil
	for {
		var wait time.Duration
		if fetchNow {
			if err := s.Refresh(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				failures++
				wait = retryDelay(failures)
			} else {
				failures = 0
			}
		}
		if failures == 0 {
			wait = s.untilRefresh()
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-s.kick:
			t.Stop()
		}
		fetchNow = true
	}
}

// untilRefresh is the wait until three quarters of the current set's
// lifetime, at least retryMin.
func (s *Source) untilRefresh() time.Duration {
	snap := s.snap.Load()
	if snap == nil {
		return retryMin
	}
	return max(snap.fetched.Add(snap.ttl*3/4).Sub(s.now()), retryMin)
}

// retryDelay is the wait after the n-th consecutive failure (n >= 1).
func retryDelay(n int) time.Duration {
	return min(retryMin<<min(n-1, 6), retryMax)
}
