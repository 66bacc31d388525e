package serve

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/keystore/redis"
)

// watchRevocations drops revoked ids from this replica's verifier cache as
// other replicas publish them; a (re)subscription empties the caches,
// since ids published while disconnected are lost. It retries every
// second until ctx ends; without a shared Redis it returns at once.
func (s *Server) watchRevocations(ctx context.Context) {
	if s.sharedR == nil {
		return
	}
	for ctx.Err() == nil {
		err := s.sharedR.WatchRevocations(ctx, redis.RevocationWatch{
			Revoked:    s.ver.InvalidateTokenID,
			Subscribed: s.ver.InvalidateAll,
		})
		if ctx.Err() != nil {
			return
		}
		s.log.Warn().Err(err).Msg("revocation subscription ended; retrying")
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}
