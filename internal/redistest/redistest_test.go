package redistest_test

import (
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse/gatehouse/internal/redistest"
)

// TestClusterServesEverySlot: a key in every primary's share of slots
// can be written through a cluster client.
func TestClusterServesEverySlot(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	c := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: cl.Addrs})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	masters := map[string]bool{}
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		if err := c.Set(ctx, k, "1", 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
		n, err := c.MasterForKey(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		masters[n.Options().Addr] = true
	}
	if len(masters) != 3 {
		t.Fatalf("8 keys landed on %d primaries, want 3", len(masters))
	}
}

// TestSentinelNamesThePrimary: a failover client finds the primary and
// the write reaches the replica.
func TestSentinelNamesThePrimary(t *testing.T) {
	d := redistest.StartSentinel(t)
	c := goredis.NewFailoverClient(&goredis.FailoverOptions{MasterName: d.MasterName, SentinelAddrs: d.SentinelAddrs})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	r := d.Replica.Client()
	defer r.Close()
	if err := c.Do(ctx, "WAIT", 1, 5000).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := r.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("replica GET = %q, %v", v, err)
	}
}

// TestSentinelPromotesAReplicaWhenThePrimaryIsKilled: KillPrimary and
// WaitPromotion find the promoted replica, which accepts writes, and the
// other replica follows it.
func TestSentinelPromotesAReplicaWhenThePrimaryIsKilled(t *testing.T) {
	d := redistest.StartSentinelReplicas(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	old, err := d.MasterAddr(ctx)
	if err != nil || old != d.Primary.Addr {
		t.Fatalf("MasterAddr = %q, %v; want %s", old, err, d.Primary.Addr)
	}
	d.KillPrimary()
	promoted, _, err := d.WaitPromotion(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	c := promoted.Client()
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET on the promoted replica: %v", err)
	}
	for {
		n, err := c.Do(ctx, "WAIT", 1, 200).Int64()
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break // the other replica follows the new primary
		}
		if ctx.Err() != nil {
			t.Fatal("the other replica never followed the promoted one")
		}
	}
}

// TestPausedServerAnswersNothingUntilResumed: Pause (SIGSTOP) makes a
// server hang with its port open; Resume brings it back.
func TestPausedServerAnswersNothingUntilResumed(t *testing.T) {
	s := redistest.StartServer(t)
	c := s.Client()
	defer c.Close()
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	err := c.Ping(ctx).Err()
	cancel()
	if err == nil {
		t.Fatal("a paused server answered PING")
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING after Resume: %v", err)
	}
}
