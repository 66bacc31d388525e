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
	waitFollower(ctx, t, c)
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

// TestClusterPromotesAReplicaOfTheKilledSlotOwner: KillPrimaryOf ends
// the primary owning a key's slot, WaitSlotOwner names one of its
// replicas once the cluster is ok again, the key written with WAIT is
// there, and with a second replica (AddReplica) the new primary's
// writes are still confirmed by one.
func TestClusterPromotesAReplicaOfTheKilledSlotOwner(t *testing.T) {
	cl := redistest.StartClusterReplicas(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const key = "{state}k"
	owner, slot, err := cl.PrimaryOf(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := cl.KeySlot(ctx, key); err != nil || again != slot {
		t.Fatalf("KeySlot = %d, %v; PrimaryOf said %d", again, err, slot)
	}
	var mine []*redistest.Server // the owner's replicas
	for i, p := range cl.Nodes {
		if p == owner {
			mine = append(mine, cl.Replicas[i])
		}
	}
	if len(mine) != 1 {
		t.Fatalf("slot %d owner %s is not one of the primaries", slot, owner.Addr)
	}
	extra, err := cl.AddReplica(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	mine = append(mine, extra)
	c := owner.Client()
	if err := c.Set(ctx, key, "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Do(ctx, "WAIT", 2, 5000).Int64(); err != nil || n != 2 {
		t.Fatalf("WAIT 2 = %d, %v", n, err)
	}
	_ = c.Close()

	kill := time.Now()
	killed, kslot, err := cl.KillPrimaryOf(ctx, key)
	if err != nil || killed != owner || kslot != slot || !owner.Stopped() {
		t.Fatalf("KillPrimaryOf = %v, %d, %v; want %s, %d, stopped", killed, kslot, err, owner.Addr, slot)
	}
	ch, err := cl.WaitSlotOwner(ctx, slot, owner.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Owner != mine[0] && ch.Owner != mine[1] {
		t.Fatalf("slot %d moved to %s, no replica of the killed primary", slot, ch.Owner.Addr)
	}
	if ch.LastOld.Before(kill) || ch.LastOld.After(ch.Promoted) || ch.Promoted.After(ch.Settled) {
		t.Fatalf("times out of order: last old %v, promoted %v, settled %v", ch.LastOld, ch.Promoted, ch.Settled)
	}
	if again, err := cl.SlotOwner(ctx, slot); err != nil || again != ch.Owner {
		t.Fatalf("SlotOwner after the failover = %v, %v; want %s", again, err, ch.Owner.Addr)
	}
	n := ch.Owner.Client()
	defer n.Close()
	if v, err := n.Get(ctx, key).Result(); err != nil || v != "v" {
		t.Fatalf("GET on the new owner = %q, %v", v, err)
	}
	if err := n.Set(ctx, key, "w", 0).Err(); err != nil {
		t.Fatalf("SET on the new owner: %v", err)
	}
	waitFollower(ctx, t, n)
	t.Logf("kill -> promotion seen %s, -> every node ok %s", ch.Promoted.Sub(kill).Round(time.Millisecond), ch.Settled.Sub(kill).Round(time.Millisecond))
}

// waitFollower waits until a replica confirms the promoted primary c's
// last write (WAIT 1): the other replica has followed it.
func waitFollower(ctx context.Context, t *testing.T, c *goredis.Client) {
	t.Helper()
	for {
		n, err := c.Do(ctx, "WAIT", 1, 200).Int64()
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			return
		}
		if ctx.Err() != nil {
			t.Fatal("the other replica never followed the promoted primary")
		}
	}
}
