// Package redistest starts real Redis deployments for tests: a single
// redis-server, a Redis Cluster of several primaries, and a Sentinel
// deployment (one primary, one replica, three sentinels). Every process
// listens on 127.0.0.1 (or a unix socket) on a port picked at run time,
// has its own directory, and is stopped by its PID. Only tests import it.
//
// Tests that need a deployment call Need first: it skips when
// redis-server is not installed, unless GATEHOUSE_REQUIRE_INTEGRATION=1
// makes that a failure. The New* functions return an error and leave
// stopping to the caller (for a deployment shared by a test binary,
// stopped after m.Run); the Start* functions fail the test and stop
// what they started in t.Cleanup, printing the logs if the test failed.
package redistest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// RequireEnv set to 1 turns a missing redis-server into a failure.
const RequireEnv = "GATEHOUSE_REQUIRE_INTEGRATION"

// ErrNoRedis reports that redis-server is not installed.
var ErrNoRedis = errors.New("redistest: redis-server not found (apt-get install redis-server)")

// readyWait bounds how long a process or a deployment may take to come up.
const readyWait = 20 * time.Second

// Bin returns the path of redis-server, or ErrNoRedis.
func Bin() (string, error) {
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/redis-server"); err == nil {
		return "/usr/bin/redis-server", nil
	}
	return "", ErrNoRedis
}

// Need skips tb when redis-server is missing, or fails it when
// RequireEnv is 1.
func Need(tb testing.TB) {
	tb.Helper()
	if _, err := Bin(); err != nil {
		if os.Getenv(RequireEnv) == "1" {
			tb.Fatalf("%v and %s=1", err, RequireEnv)
		}
		tb.Skipf("%v; set %s=1 to make this a failure", err, RequireEnv)
	}
}

// Server is one redis-server (or sentinel) process.
type Server struct {
	URL  string // redis://127.0.0.1:port/0 or unix:///path
	Addr string // 127.0.0.1:port for TCP servers
	Port int
	Dir  string
	cmd  *exec.Cmd
	tls  *TLSFiles
	mu   sync.Mutex
	log  bytes.Buffer
	done chan struct{}
}

// Config says how to start a Server.
type Config struct {
	Dir  string // working directory (required)
	Unix bool   // listen on a unix socket in Dir instead of TCP
	Port int    // TCP port; 0 picks a free one
	// Args are more redis-server arguments (--cluster-enabled yes, ...).
	Args []string
	// ConfFile, when set, is the config file given as redis-server's
	// first argument (a sentinel needs a writable one).
	ConfFile string
	// TLS, when set, makes the server listen with TLS only (rediss://).
	TLS *TLSFiles
}

func (s *Server) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.Write(p)
}

// Logs returns what the process wrote so far.
func (s *Server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// NewServer starts redis-server without persistence as c says and waits
// until it answers PING.
func NewServer(c Config) (*Server, error) {
	bin, err := Bin()
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: c.Dir, done: make(chan struct{})}
	var args []string
	if c.ConfFile != "" {
		args = append(args, c.ConfFile)
	}
	args = append(args, "--save", "", "--appendonly", "no", "--dir", c.Dir, "--daemonize", "no", "--logfile", "")
	if c.Unix {
		sock := filepath.Join(c.Dir, "redis.sock")
		s.URL = "unix://" + sock
		args = append(args, "--port", "0", "--unixsocket", sock, "--unixsocketperm", "700")
	} else {
		port := c.Port
		if port == 0 {
			if port, err = FreePort(); err != nil {
				return nil, err
			}
		}
		s.Port = port
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		s.URL = "redis://" + s.Addr + "/0"
		args = append(args, "--bind", "127.0.0.1")
		if c.TLS != nil {
			s.URL = "rediss://" + s.Addr + "/0"
			args = append(args, c.TLS.serverArgs(strconv.Itoa(port))...)
		} else {
			args = append(args, "--port", strconv.Itoa(port))
		}
	}
	s.tls = c.TLS
	s.cmd = exec.Command(bin, append(args, c.Args...)...)
	s.cmd.Dir = c.Dir
	s.cmd.Stdout, s.cmd.Stderr = s, s
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	if err := s.waitPing(); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) waitPing() error {
	c, err := s.client()
	if err != nil {
		return err
	}
	defer c.Close()
	deadline := time.Now().Add(readyWait)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("redis-server exited: %s", s.Logs())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server not ready: %v\n%s", err, s.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Client returns a plain client on this server (with the client
// certificate on a TLS server); the caller closes it.
func (s *Server) Client() *goredis.Client {
	c, err := s.client()
	if err != nil {
		panic(err) // the URL and the files are made by this package
	}
	return c
}

func (s *Server) client() (*goredis.Client, error) {
	opts, err := goredis.ParseURL(s.URL)
	if err != nil {
		return nil, err
	}
	if s.tls != nil {
		if opts.TLSConfig, err = s.tls.ClientConfig(); err != nil {
			return nil, err
		}
	}
	return goredis.NewClient(opts), nil
}

// Stop kills the process by its PID (SIGKILL) and waits for it. Stopping
// twice is harmless.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
	}
	<-s.done
}

// Pause stops the process with SIGSTOP (by its PID) without ending it:
// its connections stay open and it answers nothing, as a hung server
// would. Resume continues it; Stop ends a paused process too.
func (s *Server) Pause() error { return s.cmd.Process.Signal(syscall.SIGSTOP) }

// Resume continues a paused process (SIGCONT).
func (s *Server) Resume() error { return s.cmd.Process.Signal(syscall.SIGCONT) }

// Stopped reports whether the process has exited.
func (s *Server) Stopped() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// cleanup stops what a Start* function started when tb ends, printing
// the logs if tb failed.
func cleanup(tb testing.TB, servers ...*Server) {
	tb.Cleanup(func() {
		for _, s := range servers {
			s.Stop()
			if tb.Failed() {
				tb.Logf("redis %s log:\n%s", s.Addr, s.Logs())
			}
		}
	})
}

// StartServer starts a TCP redis-server for one test (extra arguments
// appended) and stops it when the test ends.
func StartServer(tb testing.TB, args ...string) *Server {
	tb.Helper()
	Need(tb)
	s, err := NewServer(Config{Dir: tb.TempDir(), Args: args})
	if err != nil {
		tb.Fatalf("start redis-server: %v", err)
	}
	cleanup(tb, s)
	return s
}

// StartReplicated starts a TCP redis-server and a replica of it
// (--replicaof) for one test, waits until the replica's link is up, and
// stops both when the test ends.
func StartReplicated(tb testing.TB) (primary, replica *Server) {
	tb.Helper()
	primary = StartServer(tb)
	replica = StartServer(tb, "--replicaof", "127.0.0.1", strconv.Itoa(primary.Port))
	c := replica.Client()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), readyWait)
	defer cancel()
	for {
		info, err := c.Info(ctx, "replication").Result()
		if err == nil && bytes.Contains([]byte(info), []byte("master_link_status:up")) {
			return primary, replica
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("redistest: replica link never came up: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
