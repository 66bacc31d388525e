package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse/gatehouse/internal/redistest"
	"github.com/gatehouse/gatehouse/keystore/redis"
)

// The tests run real Redis deployments (internal/redistest): one
// redis-server shared by the package (on a unix socket in a temporary
// directory), private ones on loopback ports for tests that kill or
// restart a server, and — started on first use and shared by the tests
// that need them — a 3-primary Cluster and a Sentinel deployment.

type server = redistest.Server

var (
	shared *server
	// tmpRoot holds every shared deployment's directory; removed after
	// the tests.
	tmpRoot string

	clusterOnce sync.Once
	cluster     *redistest.Cluster
	clusterErr  error

	sentinelOnce sync.Once
	sentinel     *redistest.Sentinel
	sentinelErr  error
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if _, err := redistest.Bin(); err != nil {
		if os.Getenv(redistest.RequireEnv) == "1" {
			fmt.Fprintln(os.Stderr, "keystore/redis:", err, "and "+redistest.RequireEnv+"=1")
			return 1
		}
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "gh-redis-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	tmpRoot = dir
	shared, err = redistest.NewServer(redistest.Config{Dir: dir, Unix: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "keystore/redis: shared redis-server:", err)
		return 1
	}
	defer shared.Stop()
	defer func() {
		if cluster != nil {
			cluster.Stop()
		}
		if sentinel != nil {
			sentinel.Stop()
		}
		if tcpServer != nil {
			tcpServer.Stop()
		}
	}()
	return m.Run()
}

// sharedCluster returns the package's 3-primary Cluster, starting it on
// first use.
func sharedCluster(t testing.TB) *redistest.Cluster {
	t.Helper()
	needRedis(t)
	clusterOnce.Do(func() {
		cluster, clusterErr = redistest.NewCluster(filepath.Join(tmpRoot, "cluster"), 3)
	})
	if clusterErr != nil {
		t.Fatalf("start cluster: %v", clusterErr)
	}
	return cluster
}

// sharedSentinel returns the package's Sentinel deployment, starting it
// on first use. Tests that fail it over start their own.
func sharedSentinel(t testing.TB) *redistest.Sentinel {
	t.Helper()
	needRedis(t)
	sentinelOnce.Do(func() {
		sentinel, sentinelErr = redistest.NewSentinel(filepath.Join(tmpRoot, "sentinel"))
	})
	if sentinelErr != nil {
		t.Fatalf("start sentinel: %v", sentinelErr)
	}
	return sentinel
}

// startServer starts a TCP redis-server in dir on port (0 picks one).
func startServer(dir string, port int) (*server, error) {
	return redistest.NewServer(redistest.Config{Dir: dir, Port: port})
}

// privateServer starts a TCP redis-server for one test and kills it when
// the test ends, printing its log if the test failed.
func privateServer(t *testing.T) *server {
	t.Helper()
	needRedis(t)
	return redistest.StartServer(t)
}

func needRedis(tb testing.TB) {
	tb.Helper()
	redistest.Need(tb)
	if shared == nil {
		tb.Fatal("shared redis-server did not start")
	}
}

// freshPrefix returns a key prefix no other store in this run uses.
func freshPrefix(tb testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return "gt" + hex.EncodeToString(b) + ":"
}

// openAt opens a store on url under prefix and closes it when tb ends.
func openAt(tb testing.TB, url, prefix string, opts redis.Options) *redis.Store {
	tb.Helper()
	opts.URL = url
	return openPrefixed(tb, opts, prefix)
}

// openPrefixed opens a store as opts say under prefix and closes it when
// tb ends.
func openPrefixed(tb testing.TB, opts redis.Options, prefix string) *redis.Store {
	tb.Helper()
	opts.Prefix = prefix
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := redis.Open(ctx, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// newStore opens a store with its own prefix on the shared server.
func newStore(tb testing.TB) *redis.Store {
	tb.Helper()
	needRedis(tb)
	return openAt(tb, shared.URL, freshPrefix(tb), redis.Options{})
}

// rawClient is a plain client on the shared server for looking behind
// the store's back.
func rawClient(tb testing.TB) *goredis.Client {
	tb.Helper()
	needRedis(tb)
	opts, err := goredis.ParseURL(shared.URL)
	if err != nil {
		tb.Fatal(err)
	}
	c := goredis.NewClient(opts)
	tb.Cleanup(func() { _ = c.Close() })
	return c
}
