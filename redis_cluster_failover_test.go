package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/redistest"
)

// foStateKey is a key in the slot of every durable record: the store
// puts them all under the {state} hash tag (README "Running several
// replicas"), so the primary owning this slot is the one to kill.
const foStateKey = "{state}"

// foCluster is a 3-primary Cluster with one replica of each primary and a
// second replica of the primary owning the durable records' slot: after
// the failover the other replica follows the promoted one and still
// confirms writes (min_replicas_ack 1), as on Sentinel.
type foCluster struct {
	cl   *redistest.Cluster
	slot int
	old  *redistest.Server
}

func startFoCluster(t *testing.T) foTopology {
	t.Helper()
	cl := redistest.StartClusterReplicas(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	owner, slot, err := cl.PrimaryOf(ctx, foStateKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.AddReplica(ctx, owner); err != nil {
		t.Fatal(err)
	}
	return &foCluster{cl: cl, slot: slot, old: owner}
}

func (c *foCluster) topology() string {
	addrs, _ := json.Marshal(c.cl.Addrs)
	return fmt.Sprintf("cluster: {addrs: %s}", addrs)
}

func (c *foCluster) kill(ctx context.Context, t *testing.T) time.Time {
	t.Helper()
	// The durable records are where the slot says: the owner holds keys.
	oc := c.old.Client()
	n, err := oc.DBSize(ctx).Result()
	_ = oc.Close()
	if err != nil || n == 0 {
		t.Fatalf("the owner of slot %d holds %d keys (%v): the load wrote nothing there", c.slot, n, err)
	}
	// Find the owner before the clock starts: under a loaded machine
	// these round trips take long enough for a request started after a
	// clock read here to finish before the signal.
	owner, slot, err := c.cl.PrimaryOf(ctx, foStateKey)
	if err != nil {
		t.Fatal(err)
	}
	if owner != c.old || slot != c.slot {
		t.Fatalf("the owner of slot %d is %s, want %s of slot %d", slot, owner.Addr, c.old.Addr, c.slot)
	}
	at := time.Now()
	owner.Stop()
	return at
}

// waitPromotion waits until every live node reports cluster_state:ok and
// names a new owner of the slot.
func (c *foCluster) waitPromotion(ctx context.Context, t *testing.T) (lastOld, promoted time.Time, note string) {
	t.Helper()
	ch, err := c.cl.WaitSlotOwner(ctx, c.slot, c.old.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("slot %d: %s -> %s; every node ok and naming it %s after it was first seen",
		c.slot, c.old.Addr, ch.Owner.Addr, ch.Settled.Sub(ch.Promoted).Round(time.Millisecond))
	return ch.LastOld, ch.Promoted, "cluster nodes"
}

// TestClusterFailoverUnderTrafficLosesNoAcknowledgedWrite is
// TestSentinelFailoverUnderTrafficLosesNoAcknowledgedWrite on a Cluster:
// SIGKILL the primary owning the durable records' slot; until a replica
// takes the slot, what needs the store answers 503 (never 2xx); both
// gatehouse replicas recover on their own within 10 s of the promotion,
// and every write acknowledged before the kill is there afterwards.
func TestClusterFailoverUnderTrafficLosesNoAcknowledgedWrite(t *testing.T) {
	checkNoneLost(t, failover(t, startFoCluster, 1))
}
