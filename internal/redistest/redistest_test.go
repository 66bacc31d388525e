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
