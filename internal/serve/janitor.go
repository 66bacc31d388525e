package serve

import (
	"context"
	"time"
)

// janitorInterval is how often expired sessions and denylist rows go.
const janitorInterval = 10 * time.Minute

// janitor purges expired sessions and denylist rows every interval until
// ctx ends. A failed purge is logged and retried at the next tick.
func (s *Server) janitor(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.purge(ctx, time.Now())
		}
	}
}

// purge is one janitor round.
func (s *Server) purge(ctx context.Context, now time.Time) {
	n, err := s.core.Store.PurgeExpiredSessions(ctx, now)
	if err != nil {
		s.log.Warn().Err(err).Msg("purge expired sessions failed")
	} else if n > 0 {
		s.log.Debug().Int("sessions", n).Msg("purged expired sessions")
	}
	if s.core.PurgeDenylist == nil {
		return
	}
	if n, err := s.core.PurgeDenylist(ctx, now); err != nil {
		s.log.Warn().Err(err).Msg("purge expired denylist entries failed")
	} else if n > 0 {
		s.log.Debug().Int("entries", n).Msg("purged expired denylist entries")
	}
}
