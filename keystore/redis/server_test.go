package redis_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse/gatehouse/keystore/redis"
)

// The tests run a real redis-server: one shared by the package (on a
// unix socket in a temporary directory) and, for tests that kill or
// restart it, private ones on loopback ports.

const requireEnv = "GATEHOUSE_REQUIRE_INTEGRATION"

var (
	redisBin   string
	shared     *server
	skipReason string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if _, statErr := os.Stat("/usr/bin/redis-server"); statErr == nil {
			bin, err = "/usr/bin/redis-server", nil
		}
	}
	if err != nil {
		skipReason = "redis-server not found (install redis-server, or set " + requireEnv + "=1 to make this a failure)"
		if os.Getenv(requireEnv) == "1" {
			fmt.Fprintln(os.Stderr, "keystore/redis: redis-server not found and "+requireEnv+"=1")
			return 1
		}
		return m.Run()
	}
	redisBin = bin
	dir, err := os.MkdirTemp("", "gh-redis-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	shared, err = startServer(dir, false, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "keystore/redis: shared redis-server:", err)
		return 1
	}
	defer shared.stop()
	return m.Run()
}

type server struct {
	cmd  *exec.Cmd
	url  string
	addr string // host:port for TCP servers
	dir  string
	port int
	mu   sync.Mutex
	log  bytes.Buffer
	done chan struct{}
}

func (s *server) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.Write(p)
}

func (s *server) logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// startServer starts redis-server without persistence, on a unix socket
// in dir or (tcp) on 127.0.0.1:port (0 picks a free port), and waits
// until it answers PING.
func startServer(dir string, tcp bool, port int, extra ...string) (*server, error) {
	s := &server{dir: dir, done: make(chan struct{})}
	args := []string{"--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--logfile", ""}
	if tcp {
		if port == 0 {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return nil, err
			}
			port = l.Addr().(*net.TCPAddr).Port
			l.Close()
		}
		s.port = port
		s.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		s.url = "redis://" + s.addr + "/0"
		args = append(args, "--port", strconv.Itoa(port), "--bind", "127.0.0.1")
	} else {
		sock := filepath.Join(dir, "redis.sock")
		s.url = "unix://" + sock
		args = append(args, "--port", "0", "--unixsocket", sock, "--unixsocketperm", "700")
	}
	s.cmd = exec.Command(redisBin, append(args, extra...)...)
	s.cmd.Stdout, s.cmd.Stderr = s, s
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	opts, err := goredis.ParseURL(s.url)
	if err != nil {
		s.stop()
		return nil, err
	}
	c := goredis.NewClient(opts)
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("redis-server exited: %s", s.logs())
		default:
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("redis-server not ready: %v\n%s", err, s.logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
	}
	<-s.done
}

// privateServer starts a TCP redis-server for one test and kills it when
// the test ends, printing its log if the test failed.
func privateServer(t *testing.T) *server {
	t.Helper()
	needRedis(t)
	s, err := startServer(t.TempDir(), true, 0)
	if err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("redis-server log:\n%s", s.logs())
		}
	})
	return s
}

func needRedis(tb testing.TB) {
	tb.Helper()
	if shared == nil {
		if os.Getenv(requireEnv) == "1" {
			tb.Fatalf("redis-server unavailable and %s=1", requireEnv)
		}
		tb.Skip(skipReason)
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
	opts.URL, opts.Prefix = url, prefix
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
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
	return openAt(tb, shared.url, freshPrefix(tb), redis.Options{})
}

// rawClient is a plain client on the shared server for looking behind
// the store's back.
func rawClient(tb testing.TB) *goredis.Client {
	tb.Helper()
	needRedis(tb)
	opts, err := goredis.ParseURL(shared.url)
	if err != nil {
		tb.Fatal(err)
	}
	c := goredis.NewClient(opts)
	tb.Cleanup(func() { _ = c.Close() })
	return c
}
