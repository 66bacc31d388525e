package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/storetest"
)

func bg() context.Context { return context.Background() }

// TestContract runs the shared keystore suite. Expiry follows the Redis
// server's clock, so advance sleeps.
func TestContract(t *testing.T) {
	needRedis(t)
	storetest.Run(t, func(t *testing.T) keystore.Store { return newStore(t) }, time.Sleep)
}
