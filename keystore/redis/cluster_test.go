package redis_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/redis"
	"github.com/gatehouse/gatehouse/keystore/storetest"
)

// clusterServer starts a one-node Redis Cluster that owns every slot.
// One node is enough to check the declared keys: Redis refuses commands
// and scripts whose KEYS span slots (CROSSSLOT) even on one node. Keys a
// script builds at run time are not checked by a one-node cluster;
// TestDurableKeysShareOneClusterSlot pins that they all carry {state}.
func clusterServer(t *testing.T) *server {
	t.Helper()
	needRedis(t)
	dir := t.TempDir()
	srv, err := startServer(dir, true, 0, "--cluster-enabled", "yes",
		"--cluster-config-file", filepath.Join(dir, "nodes.conf"))
	if err != nil {
		t.Fatalf("start cluster node: %v", err)
	}
	t.Cleanup(func() {
		srv.stop()
		if t.Failed() {
			t.Logf("redis-server log:\n%s", srv.logs())
		}
	})
	c := goredis.NewClient(&goredis.Options{Addr: srv.addr})
	defer c.Close()
	if err := c.Do(bg(), "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatalf("assign slots: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := c.ClusterInfo(bg()).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return srv
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster not ready: %v %q", err, info)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func clusterStore(t *testing.T, addr, prefix string) *redis.Store {
	t.Helper()
	s, err := redis.NewFromClient(goredis.NewClusterClient(&goredis.ClusterOptions{
		Addrs: []string{addr}, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second,
	}), prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestContractOnCluster runs the contract suite through a Cluster client:
// every multi-key script must stay inside the {state} slot.
func TestContractOnCluster(t *testing.T) {
	srv := clusterServer(t)
	storetest.Run(t, func(t *testing.T) keystore.Store { return clusterStore(t, srv.addr, freshPrefix(t)) }, time.Sleep)

	t.Run("EphemeralAndRevocations", func(t *testing.T) {
		prefix := freshPrefix(t)
		a, b := clusterStore(t, srv.addr, prefix), clusterStore(t, srv.addr, prefix)
		if ok, err := a.SetIfAbsent(bg(), "n", time.Minute); err != nil || !ok {
			t.Fatalf("SetIfAbsent = %v, %v", ok, err)
		}
		if ok, err := b.SetIfAbsent(bg(), "n", time.Minute); err != nil || ok {
			t.Fatalf("second SetIfAbsent = %v, %v", ok, err)
		}
		if n, _, err := a.Incr(bg(), "c", time.Minute); err != nil || n != 1 {
			t.Fatalf("Incr = %d, %v", n, err)
		}
		got := make(chan string, 1)
		ready := make(chan struct{}, 1)
		ctx, cancel := context.WithCancel(bg())
		defer cancel()
		go func() {
			_ = b.WatchRevocations(ctx, redis.RevocationWatch{
				Revoked:    func(id string) { got <- id },
				Subscribed: func() { ready <- struct{}{} },
			})
		}()
		select {
		case <-ready:
		case <-time.After(5 * time.Second):
			t.Fatal("subscription not confirmed")
		}
		if err := a.Deny(bg(), "jti-c", time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		select {
		case id := <-got:
			if id != "jti-c" {
				t.Fatalf("received %q", id)
			}
		case <-time.After(time.Second):
			t.Fatal("revocation not received within 1 s")
		}
	})
}
