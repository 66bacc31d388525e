package serve

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/admin"
	"github.com/gatehouse/gatehouse/internal/coherence"
	"github.com/gatehouse/gatehouse/internal/redistest"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/redis"
	"github.com/gatehouse/gatehouse/signing"
)

// redisSection is a state and shared config on one Redis deployment, as
// an operator writes it for each topology.
func redisSection(redis string) string {
	return fmt.Sprintf("state: {backend: redis, redis: %s}\nshared: {backend: redis, redis: %s}\n", redis, redis)
}

// TestRevocationOnReplicaAReachesReplicaBWithinASecondOnEveryTopology
// pins docs/design.md "State" through the whole wiring, for a
// standalone server, Sentinel and a 3-primary Cluster given in the
// config: replica A revokes a token through its coherence denylist;
// replica B, which had the token cached as valid for an hour, denies it
// within 1 s, through its revocation watch alone.
func TestRevocationOnReplicaAReachesReplicaBWithinASecondOnEveryTopology(t *testing.T) {
	redistest.Need(t)
	if testing.Short() {
		t.Skip("starts Redis deployments")
	}
	topologies := []struct {
		name  string
		redis func(t *testing.T) string
	}{
		{"Standalone", func(t *testing.T) string {
			return fmt.Sprintf("{url: %q}", redistest.StartServer(t).URL)
		}},
		{"Sentinel", func(t *testing.T) string {
			d := redistest.StartSentinel(t)
			return fmt.Sprintf("{sentinel: {master_name: %s, addrs: [%s]}}", d.MasterName, strings.Join(d.SentinelAddrs, ", "))
		}},
		{"Cluster", func(t *testing.T) string {
			return fmt.Sprintf("{cluster: {addrs: [%s]}}", strings.Join(redistest.StartCluster(t, 3).Addrs, ", "))
		}},
	}
	for _, tp := range topologies {
		t.Run(tp.name, func(t *testing.T) {
			extra := redisSection(tp.redis(t)) + "verifier: {token_cache: {ttl: 1h}}\n"
			a, b := newTestServer(t, everyoneRule, extra), newTestServer(t, everyoneRule, extra)
			if b.sharedR == nil || b.sharedR != b.core.Redis {
				t.Fatal("state and shared on the same Redis do not share one store")
			}
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); b.watchRevocations(ctx) }()
			// A second subscriber on B's store records what B hears, so
			// the test tells the published drop from B's one-second
			// denylist cache running out.
			heard, subscribed := make(chan string, 8), make(chan struct{}, 8)
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = b.sharedR.WatchRevocations(ctx, redis.RevocationWatch{
					Revoked:    func(id string) { heard <- id },
					Subscribed: func() { subscribed <- struct{}{} },
				})
			}()
			t.Cleanup(func() { cancel(); wg.Wait() })
			select {
			case <-subscribed:
			case <-time.After(10 * time.Second):
				t.Fatal("B's revocation subscription not confirmed")
			}

			u := &keystore.User{ID: strings.Repeat("ab", 16), Email: "rita@example.test", Roles: []string{"dev"}, Active: true,
				CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
			if err := a.core.Store.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			jti, err := signing.NewJTI()
			if err != nil {
				t.Fatal(err)
			}
			sfp := signing.SessionFingerprint(b.core.FingerprintKey, u.ID, keystore.FoldEmail(u.Email), u.PasswordHash)
			tok, err := b.core.Issuer.Issue(signing.IssueClaims{Subject: u.ID, JTI: jti, SFP: sfp, Lifetime: time.Hour}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			// B caches the token as valid.
			deadline := time.Now().Add(10 * time.Second)
			for askBearer(b.Server, tok) != 200 {
				if time.Now().After(deadline) {
					t.Fatalf("replica B refuses a fresh token: %d", askBearer(b.Server, tok))
				}
				time.Sleep(50 * time.Millisecond)
			}
			if code := askBearer(b.Server, tok); code != 200 {
				t.Fatalf("replica B before the revocation: %d", code)
			}

			portalA := coherence.Denylist{Denylist: a.deny, Drop: a.ver}
			start := time.Now()
			if err := portalA.Deny(ctx, jti, time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			for {
				code := askBearer(b.Server, tok)
				if code == 401 {
					break
				}
				if time.Since(start) > time.Second {
					t.Fatalf("replica B still answers %d 1 s after replica A revoked the token", code)
				}
				time.Sleep(10 * time.Millisecond)
			}
			select {
			case id := <-heard:
				if id != jti {
					t.Fatalf("B heard %q, want the revoked jti", id)
				}
			case <-time.After(time.Second - time.Since(start)):
				t.Fatal("B did not hear A's revocation within 1 s")
			}
			if code := askBearer(a.Server, tok); code != 401 {
				t.Fatalf("replica A answers %d for the token it revoked", code)
			}
		})
	}
}

// askBearer asks with a bearer token.
func askBearer(s *Server, tok string) int { return askWith(s, "/x", "Bearer "+tok) }

// TestReadyzFailsWhileAClusterPrimaryIsDown: /readyz pings what the
// server depends on, so on a Cluster it answers 503 once one primary is
// gone (its slots are unreachable), not only when every node is.
func TestReadyzFailsWhileAClusterPrimaryIsDown(t *testing.T) {
	redistest.Need(t)
	cl := redistest.StartCluster(t, 3)
	s := newTestServer(t, everyoneRule, redisSection(fmt.Sprintf("{cluster: {addrs: [%s]}, dial_timeout: 300ms, read_timeout: 300ms}", strings.Join(cl.Addrs, ", "))))
	h := admin.NewHandler(&admin.Handler{Ready: s.readiness(), Log: zerolog.Nop()})
	readyz := func() int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		return rec.Code
	}
	if code := readyz(); code != 200 {
		t.Fatalf("/readyz on a healthy cluster: %d", code)
	}
	cl.Nodes[1].Stop()
	if code := readyz(); code != 503 {
		t.Fatalf("/readyz with a primary down: %d, want 503", code)
	}
}
