package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse/gatehouse/internal/redistest"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/redis"
	"github.com/gatehouse/gatehouse/signing"
)

// Store throughput per topology (docs/design.md "Store throughput";
// `make bench-store`). Every deployment is real redis-server processes
// on 127.0.0.1 TCP ports (the standalone one too, unlike the package's
// unix-socket server, so the three topologies pay the same loopback
// round trip). Each benchmark runs b.RunParallel with benchGoroutines
// callers per GOMAXPROCS, as many concurrent requests of a gatehouse
// replica would, and reports ops/s: the figure is the throughput of one
// store (one client, one connection pool) against that deployment, not
// the deployment's ceiling. Benchmarks never run without -bench, so they
// cost `go test` nothing.

// benchGoroutines is the RunParallel parallelism: callers per GOMAXPROCS.
// With go-redis's default pool of 10 connections per GOMAXPROCS no
// caller waits for a connection.
const benchGoroutines = 8

// storeBench is one deployment the throughput benchmarks run against.
type storeBench struct {
	name string
	opts func(b *testing.B) redis.Options
}

var (
	tcpOnce   sync.Once
	tcpServer *server
	tcpErr    error
)

// sharedTCP returns a standalone redis-server on a loopback TCP port,
// started on first use and stopped after the tests (runMain).
func sharedTCP(tb testing.TB) *server {
	tb.Helper()
	needRedis(tb)
	tcpOnce.Do(func() {
		dir := filepath.Join(tmpRoot, "tcp")
		if tcpErr = os.MkdirAll(dir, 0o700); tcpErr == nil {
			tcpServer, tcpErr = redistest.NewServer(redistest.Config{Dir: dir})
		}
	})
	if tcpErr != nil {
		tb.Fatalf("start standalone server: %v", tcpErr)
	}
	return tcpServer
}

// storeBenches are the topologies of issue 11's benchmarks: standalone,
// Sentinel (a primary with one replica; reads and writes go to the
// primary) and a 3-primary Cluster.
var storeBenches = []storeBench{
	{"standalone", func(b *testing.B) redis.Options { return redis.Options{URL: sharedTCP(b).URL} }},
	{"sentinel", func(b *testing.B) redis.Options { return sentinelOptions(sharedSentinel(b)) }},
	{"cluster", func(b *testing.B) redis.Options { return clusterOptions(sharedCluster(b)) }},
}

// sentinelAck1 is the Sentinel deployment with min_replicas_ack 1: every
// durable write waits for the replica (WAIT 1), the cost measured by
// BenchmarkSessionCreate/sentinel-ack1.
var sentinelAck1 = storeBench{"sentinel-ack1", func(b *testing.B) redis.Options {
	o := sentinelOptions(sharedSentinel(b))
	o.MinReplicasAck, o.ReplicaAckTimeout = 1, 500*time.Millisecond
	return o
}}

// reportOps reports the run's throughput in ops/s.
func reportOps(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "ops/s")
	}
}

// benchUsers creates n users in s and returns their ids.
func benchUsers(b *testing.B, s *redis.Store, n int) []string {
	b.Helper()
	ids := make([]string, n)
	for i := range ids {
		u := testUser(b, "bench-"+strconv.Itoa(i)+"@example.test")
		if err := s.CreateUser(bg(), u); err != nil {
			b.Fatal(err)
		}
		ids[i] = u.ID
	}
	return ids
}

// digestSource makes distinct 32-byte digests cheaply: a random run
// prefix and a counter, so generating one costs the benchmark nothing
// measurable.
type digestSource struct {
	run [24]byte
	n   atomic.Uint64
}

func newDigestSource(b *testing.B) *digestSource {
	d := &digestSource{}
	if _, err := rand.Read(d.run[:]); err != nil {
		b.Fatal(err)
	}
	return d
}

func (d *digestSource) next(out []byte) {
	copy(out, d.run[:])
	binary.BigEndian.PutUint64(out[24:], d.n.Add(1))
}

// BenchmarkSessionLookup is GetSession by digest, the store call behind
// a cookie decision on a cache miss, over 256 sessions of 16 users.
func BenchmarkSessionLookup(b *testing.B) {
	redistest.QuietClientLog(b)
	for _, tp := range storeBenches {
		b.Run(tp.name, func(b *testing.B) {
			s := openTopology(b, tp.opts(b), freshPrefix(b))
			users := benchUsers(b, s, 16)
			digests := make([][]byte, 256)
			for i := range digests {
				sess := testSession(b, users[i%len(users)], time.Now().Add(time.Hour))
				if err := s.CreateSession(bg(), sess); err != nil {
					b.Fatal(err)
				}
				digests[i] = sess.Digest
			}
			var next atomic.Uint64
			b.SetParallelism(benchGoroutines)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := next.Add(1) * 97
				for pb.Next() {
					i++
					if _, err := s.GetSession(bg(), digests[i%uint64(len(digests))]); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportOps(b)
		})
	}
}

// BenchmarkSessionCreate is CreateSession (the login's write: record,
// per-user index, expiry index in one script) with a new digest each
// time, spread over 64 users; sentinel-ack1 adds WAIT 1.
func BenchmarkSessionCreate(b *testing.B) {
	redistest.QuietClientLog(b)
	for _, tp := range append(storeBenches[:len(storeBenches):len(storeBenches)], sentinelAck1) {
		b.Run(tp.name, func(b *testing.B) {
			s := openTopology(b, tp.opts(b), freshPrefix(b))
			users := benchUsers(b, s, 64)
			src := newDigestSource(b)
			now := time.Now().UTC()
			b.SetParallelism(benchGoroutines)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				sess := keystore.Session{Kind: keystore.KindSession, AuthMethod: "password",
					CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
				digest := make([]byte, 32)
				for i := 0; pb.Next(); i++ {
					src.next(digest)
					sess.Digest, sess.UserID = digest, users[i%len(users)]
					if err := s.CreateSession(bg(), &sess); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportOps(b)
		})
	}
}

// BenchmarkRecordBytes measures what Redis holds per record for the
// README's sizing advice ("Running several replicas"): it writes b.N
// users, sessions or API keys (run it with -benchtime 10000x) to a
// private standalone server with nothing else on it and reports
// used_bytes/record, the INFO memory used_memory delta (allocator and
// hash-table growth included), and key_bytes/record, the MEMORY USAGE
// sum of every key under the store's prefix, shared indexes included
// (measured after the records, less the same sum before). The layout is
// today's: every record key under the single {state} hash tag
// (docs/design.md "State"). Sessions go 10 to a user and API keys 2 to
// a user; those users are written before the measurement starts.
func BenchmarkRecordBytes(b *testing.B) {
	kinds := []struct {
		name    string
		perUser int // records per owning user; 0: the records are users
		write   func(b *testing.B, s *redis.Store, i int, owner string) error
	}{
		{"user", 0, func(b *testing.B, s *redis.Store, i int, _ string) error {
			return s.CreateUser(bg(), sizingUser(b, i))
		}},
		{"session", 10, func(b *testing.B, s *redis.Store, _ int, owner string) error {
			return s.CreateSession(bg(), sizingSession(b, owner))
		}},
		{"apikey", 2, func(b *testing.B, s *redis.Store, i int, owner string) error {
			return s.CreateAPIKey(bg(), sizingAPIKey(b, i, owner))
		}},
	}
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			needRedis(b)
			srv := redistest.StartServer(b)
			prefix := freshPrefix(b)
			s := openAt(b, srv.URL, prefix, redis.Options{})
			c := srv.Client()
			b.Cleanup(func() { _ = c.Close() })
			var owners []string
			if k.perUser > 0 {
				for i := 0; i < (b.N+k.perUser-1)/k.perUser; i++ {
					u := sizingUser(b, i)
					if err := s.CreateUser(bg(), u); err != nil {
						b.Fatal(err)
					}
					owners = append(owners, u.ID)
				}
			}
			used0, keys0 := usedMemory(b, c), keyBytes(b, c, prefix)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				owner := ""
				if k.perUser > 0 {
					owner = owners[i/k.perUser]
				}
				if err := k.write(b, s, i, owner); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			used1, keys1 := usedMemory(b, c), keyBytes(b, c, prefix)
			b.ReportMetric(float64(used1-used0)/float64(b.N), "used_bytes/record")
			b.ReportMetric(float64(keys1-keys0)/float64(b.N), "key_bytes/record")
		})
	}
}

// sizingUser is a user record as the portal writes one: an argon2id PHC
// hash, a display name, two roles, a verified email.
func sizingUser(b *testing.B, i int) *keystore.User {
	now := time.Now().UTC()
	return &keystore.User{ID: randHex(b, 16), Email: "person." + strconv.Itoa(i) + "@example-company.test",
		DisplayName:  "Person Number " + strconv.Itoa(i),
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$" + randHex(b, 8) + "$" + randHex(b, 16),
		Roles:        []string{"staff", "dev"}, Active: true, Verified: true, EmailVerifiedAt: now,
		CreatedAt: now, UpdatedAt: now}
}

// sizingSession is a browser session with a typical user agent.
func sizingSession(b *testing.B, owner string) *keystore.Session {
	s := testSession(b, owner, time.Now().Add(12*time.Hour))
	s.UserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
	return s
}

// sizingAPIKey is an API key with two scopes and no signing secret.
func sizingAPIKey(b *testing.B, i int, owner string) *keystore.APIKey {
	digest := make([]byte, 32)
	if _, err := rand.Read(digest); err != nil {
		b.Fatal(err)
	}
	_, keyID, _, err := signing.GenerateAPIKey("ak", "prod")
	if err != nil {
		b.Fatal(err)
	}
	return &keystore.APIKey{KeyID: keyID, UserID: owner, Name: "ci-" + strconv.Itoa(i), Env: "prod",
		Digest: digest, Scopes: []string{"read", "write"}, CreatedAt: time.Now().UTC()}
}

// usedMemory is INFO memory's used_memory.
func usedMemory(b *testing.B, c *goredis.Client) int64 {
	b.Helper()
	info, err := c.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatal("no used_memory in INFO memory")
	return 0
}

// keyBytes sums MEMORY USAGE (every element sampled) over the keys
// under prefix.
func keyBytes(b *testing.B, c *goredis.Client, prefix string) int64 {
	b.Helper()
	ctx := context.Background()
	var total int64
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		n, err := c.MemoryUsage(ctx, iter.Val(), 0).Result()
		if err != nil {
			b.Fatal(err)
		}
		total += n
	}
	if err := iter.Err(); err != nil {
		b.Fatal(err)
	}
	return total
}
