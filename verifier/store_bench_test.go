package verifier_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/internal/redistest"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/redis"
	"github.com/gatehouse/gatehouse/signing"
	"github.com/gatehouse/gatehouse/verifier"
)

// BenchmarkCookieMiss is the verifier's cookie decisions per second when
// nothing is cached, against a real Redis of each topology
// (docs/design.md "Store throughput"; `make bench-store`): every
// decision reads the session (GetSession) and its owner (GetUser) from
// the store, two round trips, as the first request of a session on a
// replica does, or every request once the cache's TTL has passed.
//
// How every decision is a miss: the verifier has no zero TTL (CacheTTL 0
// means the 1 s default), so CacheTTL is 1 ms and the injected clock
// (Options.Now, read once per decision) moves 2 ms forward on every
// read. Each caller cycles through 32 sessions of its own, each with its
// own user, so no two decisions in flight share a key: an entry put by a
// decision whose clock read came later would still be fresh for one
// whose read came earlier. So every entry has expired by the next
// decision that asks for it, whatever the throughput; the benchmark
// counts the store calls and fails unless there were two per decision.
// Sessions expire a day after the benchmark starts, well past the fake
// clock's reach.
//
// Decisions run in b.RunParallel with 8 callers per GOMAXPROCS, as a
// replica serves concurrent requests; the figure is one verifier's
// throughput on one store client, not the deployment's ceiling.
func BenchmarkCookieMiss(b *testing.B) {
	redistest.Need(b)
	redistest.QuietClientLog(b)
	deployments := []struct {
		name string
		opts func(b *testing.B) redis.Options
	}{
		{"standalone", func(b *testing.B) redis.Options { return redis.Options{URL: redistest.StartServer(b).URL} }},
		{"sentinel", func(b *testing.B) redis.Options {
			d := redistest.StartSentinel(b)
			return redis.Options{Sentinel: &redis.Sentinel{MasterName: d.MasterName, Addrs: d.SentinelAddrs}}
		}},
		{"cluster", func(b *testing.B) redis.Options {
			return redis.Options{Cluster: &redis.Cluster{Addrs: redistest.StartCluster(b, 3).Addrs}}
		}},
	}
	for _, d := range deployments {
		// The deployment is started once, here, and stopped when the
		// parent benchmark ends; each round of the sub-benchmark opens a
		// store and a verifier on it.
		opts := d.opts(b)
		b.Run(d.name, func(b *testing.B) { benchCookieMiss(b, opts) })
	}
}

// countingStore counts the session and user reads that reach the store.
type countingStore struct {
	*redis.Store
	sessions, users atomic.Int64
}

func (c *countingStore) GetSession(ctx context.Context, digest []byte) (*keystore.Session, error) {
	c.sessions.Add(1)
	return c.Store.GetSession(ctx, digest)
}

func (c *countingStore) GetUser(ctx context.Context, id string) (*keystore.User, error) {
	c.users.Add(1)
	return c.Store.GetUser(ctx, id)
}

func benchCookieMiss(b *testing.B, opts redis.Options) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts.Prefix = "ghbench" + randHex(b, 6) + ":"
	s, err := redis.Open(ctx, opts)
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	b.Cleanup(func() { _ = s.Close() })
	st := &countingStore{Store: s}

	const parallelism, perCaller = 8, 32
	callers := parallelism * runtime.GOMAXPROCS(0)
	start := time.Now().UTC()
	tokens := make([]string, callers*perCaller)
	for i := range tokens {
		id := randHex(b, 16)
		u := &keystore.User{ID: id, Email: id + "@example.test", DisplayName: "Bench", Roles: []string{"read"},
			Active: true, Verified: true, CreatedAt: start, UpdatedAt: start}
		if err := s.CreateUser(ctx, u); err != nil {
			b.Fatal(err)
		}
		tok, err := signing.NewOpaqueToken()
		if err != nil {
			b.Fatal(err)
		}
		dg := signing.TokenDigest(tokenKey, []byte(tok))
		if err := s.CreateSession(ctx, &keystore.Session{Digest: dg[:], UserID: id, Kind: keystore.KindSession,
			AuthMethod: "password", CreatedAt: start, LastSeenAt: start, ExpiresAt: start.Add(24 * time.Hour)}); err != nil {
			b.Fatal(err)
		}
		tokens[i] = tok
	}

	var ticks atomic.Int64
	const ttl = time.Millisecond
	e := newEnv(b, func(o *verifier.Options) {
		o.Users, o.Sessions = st, st
		o.CacheTTL = ttl
		o.StoreTimeout = time.Second
		o.Now = func() time.Time { return start.Add(time.Duration(ticks.Add(1)) * 2 * ttl) }
	})

	var next atomic.Int64
	b.SetParallelism(parallelism)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var rc fasthttp.RequestCtx
		rc.Init(fwd("nginx", "GET", "https://app.example.test/dash?page=2"), &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, nil)
		g := int(next.Add(1)-1) % callers
		mine := tokens[g*perCaller : (g+1)*perCaller]
		for i := 0; pb.Next(); i++ {
			rc.Request.Header.SetCookie("gatehouse_session", mine[i%perCaller])
			e.v.Handler(&rc)
			if c := rc.Response.StatusCode(); c != 200 {
				b.Errorf("status %d: %s", c, rc.Response.Body())
				return
			}
		}
	})
	b.StopTimer()
	if sec := b.Elapsed().Seconds(); sec > 0 {
		b.ReportMetric(float64(b.N)/sec, "decisions/s")
	}
	if n, u := st.sessions.Load(), st.users.Load(); n < int64(b.N) || u < int64(b.N) {
		b.Fatalf("%d decisions made %d session and %d user reads; every decision must miss the cache", b.N, n, u)
	}
	b.ReportMetric(float64(st.sessions.Load()+st.users.Load())/float64(b.N), "store_reads/decision")
}

// randHex is n random bytes in hex.
func randHex(b *testing.B, n int) string {
	p := make([]byte, n)
	if _, err := rand.Read(p); err != nil {
		b.Fatal(err)
	}
	return hex.EncodeToString(p)
}
