package redis_test

import (
	"context"
	"crypto/tls"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/redistest"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/redis"
	"github.com/gatehouse/gatehouse/keystore/storetest"
)

// topology is one way of reaching Redis, as the config's url, sentinel
// and cluster sections build it (redis.Options).
type topology struct {
	name string
	opts func(t *testing.T) redis.Options
}

func clusterOptions(cl *redistest.Cluster) redis.Options {
	return redis.Options{Cluster: &redis.Cluster{Addrs: cl.Addrs}}
}

func sentinelOptions(d *redistest.Sentinel) redis.Options {
	return redis.Options{Sentinel: &redis.Sentinel{MasterName: d.MasterName, Addrs: d.SentinelAddrs}}
}

// topologies are the three deployments: the shared standalone server,
// the shared 3-primary Cluster and the shared Sentinel deployment.
var topologies = []topology{
	{"Standalone", func(t *testing.T) redis.Options { needRedis(t); return redis.Options{URL: shared.URL} }},
	{"Cluster", func(t *testing.T) redis.Options { return clusterOptions(sharedCluster(t)) }},
	{"Sentinel", func(t *testing.T) redis.Options { return sentinelOptions(sharedSentinel(t)) }},
}

// openTopology opens a store through redis.Open on opts under prefix
// with one-second timeouts and closes it when t ends.
func openTopology(t testing.TB, opts redis.Options, prefix string) *redis.Store {
	t.Helper()
	opts.DialTimeout, opts.ReadTimeout = time.Second, time.Second
	return openPrefixed(t, opts, prefix)
}

// TestContractOnCluster runs the contract suite against a 3-primary
// Cluster: every multi-key script must stay inside one slot, or Redis
// answers CROSSSLOT; ephemeral keys spread over the primaries.
func TestContractOnCluster(t *testing.T) {
	opts := clusterOptions(sharedCluster(t))
	storetest.Run(t, func(t *testing.T) keystore.Store { return openTopology(t, opts, freshPrefix(t)) }, time.Sleep)
}

// TestContractOnSentinel runs the contract suite against the primary
// that Sentinel names.
func TestContractOnSentinel(t *testing.T) {
	opts := sentinelOptions(sharedSentinel(t))
	storetest.Run(t, func(t *testing.T) keystore.Store { return openTopology(t, opts, freshPrefix(t)) }, time.Sleep)
}

// TestRevocationReachesOtherReplicaWithinASecondOnEveryTopology pins
// docs/design.md "State" on each topology: a Deny through replica A's
// store is heard by replica B's subscription and answered by B's
// IsDenied within 1 s; single-use markers are shared too.
func TestRevocationReachesOtherReplicaWithinASecondOnEveryTopology(t *testing.T) {
	for _, tp := range topologies {
		t.Run(tp.name, func(t *testing.T) {
			opts := tp.opts(t)
			prefix := freshPrefix(t)
			a, b := openTopology(t, opts, prefix), openTopology(t, opts, prefix)

			if ok, err := a.SetIfAbsent(bg(), "nonce", time.Minute); err != nil || !ok {
				t.Fatalf("SetIfAbsent on A = %v, %v", ok, err)
			}
			if ok, err := b.SetIfAbsent(bg(), "nonce", time.Minute); err != nil || ok {
				t.Fatalf("SetIfAbsent on B after A = %v, %v; want false", ok, err)
			}

			got := make(chan string, 8)
			ready := make(chan struct{}, 8)
			ctx, cancel := context.WithCancel(bg())
			done := make(chan error, 1)
			go func() {
				done <- b.WatchRevocations(ctx, redis.RevocationWatch{
					Revoked:    func(id string) { got <- id },
					Subscribed: func() { ready <- struct{}{} },
				})
			}()
			t.Cleanup(func() {
				cancel()
				if err := <-done; !errors.Is(err, context.Canceled) {
					t.Errorf("WatchRevocations ended with %v", err)
				}
			})
			select {
			case <-ready:
			case <-time.After(10 * time.Second):
				t.Fatal("subscription not confirmed")
			}

			for i, id := range []string{"jti-" + tp.name, keystore.ChainDenyPrefix + "sid-" + tp.name} {
				start := time.Now()
				if err := a.Deny(bg(), id, time.Now().Add(time.Hour)); err != nil {
					t.Fatal(err)
				}
				heard := false
				for !heard {
					select {
					case g := <-got:
						heard = g == id
					case <-time.After(time.Second - time.Since(start)):
						t.Fatalf("revocation %d not heard by B within 1 s", i)
					}
				}
				for {
					denied, err := b.IsDenied(bg(), []byte(id))
					if err != nil {
						t.Fatal(err)
					}
					if denied {
						break
					}
					if time.Since(start) > time.Second {
						t.Fatalf("B's IsDenied still false 1 s after A's Deny of %q", id)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
}

// TestCheckAcceptsEveryTopology: check-config's look (Store.Check) finds
// nothing wrong with a healthy deployment of each kind.
func TestCheckAcceptsEveryTopology(t *testing.T) {
	for _, tp := range topologies {
		t.Run(tp.name, func(t *testing.T) {
			s := openTopology(t, tp.opts(t), freshPrefix(t))
			if err := s.Check(bg()); err != nil {
				t.Fatalf("Check: %v", err)
			}
		})
	}
}

// TestCheckRefusesMisconfiguredDeployments: a config that names the
// wrong topology or a replica is an error before the server starts, not
// a stream of failed writes after.
func TestCheckRefusesMisconfiguredDeployments(t *testing.T) {
	cl, sn, standalone := sharedCluster(t), sharedSentinel(t), privateServer(t)
	misfits := []struct {
		name string
		opts redis.Options
	}{
		{"url at a Cluster node", redis.Options{URL: cl.Nodes[0].URL}},
		{"url at a replica", redis.Options{URL: sn.Replica.URL}},
	}
	for _, m := range misfits {
		t.Run(m.name, func(t *testing.T) {
			s := openTopology(t, m.opts, freshPrefix(t))
			if err := s.Check(bg()); !errors.Is(err, redis.ErrMisconfigured) {
				t.Fatalf("Check = %v, want ErrMisconfigured", err)
			}
		})
	}
	unreachable := []struct {
		name string
		opts redis.Options
	}{
		{"cluster at a standalone server", redis.Options{Cluster: &redis.Cluster{Addrs: []string{standalone.Addr}}}},
		{"sentinel at a standalone server", redis.Options{Sentinel: &redis.Sentinel{MasterName: redistest.MasterName, Addrs: []string{standalone.Addr}}}},
		{"unknown master name", redis.Options{Sentinel: &redis.Sentinel{MasterName: "no-such-master", Addrs: sn.SentinelAddrs}}},
		{"two topologies", redis.Options{URL: standalone.URL, Cluster: &redis.Cluster{Addrs: cl.Addrs}}},
		{"tls with redis://", redis.Options{URL: standalone.URL, TLS: &tls.Config{}}},
	}
	for _, u := range unreachable {
		t.Run(u.name, func(t *testing.T) {
			u.opts.DialTimeout, u.opts.ReadTimeout = time.Second, time.Second
			ctx, cancel := context.WithTimeout(bg(), 5*time.Second)
			defer cancel()
			s, err := redis.Open(ctx, u.opts)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
		})
	}
}

// TestPingFailsWhenAClusterPrimaryIsDown: /readyz (Store.Ping) reports a
// Cluster whose primary is gone, since that primary's slots are
// unreachable, even though other nodes still answer.
func TestPingFailsWhenAClusterPrimaryIsDown(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	s := openTopology(t, clusterOptions(cl), freshPrefix(t))
	if err := s.Ping(bg()); err != nil {
		t.Fatalf("Ping on a healthy cluster: %v", err)
	}
	cl.Nodes[2].Stop()
	ctx, cancel := context.WithTimeout(bg(), 5*time.Second)
	defer cancel()
	if err := s.Ping(ctx); err == nil {
		t.Fatal("Ping succeeded with a primary down")
	}
}
