package redistest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// MasterName is the name the sentinels of NewSentinel monitor.
const MasterName = "gatehouse-test"

// Sentinel is one primary, one replica of it (--replicaof; more with
// NewSentinelReplicas) and three sentinels (redis-server FILE --sentinel,
// each with its own writable config) with a quorum of 2,
// down-after-milliseconds 1000 and failover-timeout 5000.
type Sentinel struct {
	// Primary is the primary the deployment started with (KillPrimary
	// does not change it); Replica is Replicas[0].
	Primary, Replica *Server
	Replicas         []*Server
	Sentinels        []*Server
	MasterName       string
	SentinelAddrs    []string
}

// NewSentinel starts the deployment under dir and waits until every
// sentinel names the primary and sees the replica and the two other
// sentinels, and the replica's link to the primary is up. The caller
// stops it.
func NewSentinel(dir string) (*Sentinel, error) { return newSentinel(dir, nil, 1) }

// NewSentinelReplicas is NewSentinel with n replicas (1..8): after a
// failover the other replicas follow the promoted one, so a deployment
// that must still confirm writes to a replica (min_replicas_ack 1) after
// losing its primary needs two.
func NewSentinelReplicas(dir string, n int) (*Sentinel, error) {
	if n < 1 || n > 8 {
		return nil, fmt.Errorf("redistest: %d replicas: want 1..8", n)
	}
	return newSentinel(dir, nil, n)
}

// NewTLSSentinel is NewSentinel with TLS only: clients, replication and
// the sentinels' own connections (tls-replication yes).
func NewTLSSentinel(dir string, f *TLSFiles) (*Sentinel, error) { return newSentinel(dir, f, 1) }

func newSentinel(dir string, f *TLSFiles, replicas int) (*Sentinel, error) {
	d := &Sentinel{MasterName: MasterName}
	var tlsArgs []string
	if f != nil {
		tlsArgs = []string{"--tls-replication", "yes"}
	}
	fail := func(err error) (*Sentinel, error) {
		logs := d.Logs()
		d.Stop()
		return nil, fmt.Errorf("%w\n%s", err, logs)
	}
	sub := func(name string) (string, error) {
		p := filepath.Join(dir, name)
		return p, os.MkdirAll(p, 0o700)
	}
	pd, err := sub("primary")
	if err != nil {
		return fail(err)
	}
	if d.Primary, err = NewServer(Config{Dir: pd, TLS: f, Args: tlsArgs}); err != nil {
		return fail(err)
	}
	for i := range replicas {
		name := "replica"
		if i > 0 {
			name += strconv.Itoa(i)
		}
		rd, err := sub(name)
		if err != nil {
			return fail(err)
		}
		r, err := NewServer(Config{Dir: rd, TLS: f, Args: append([]string{"--replicaof", "127.0.0.1", strconv.Itoa(d.Primary.Port)}, tlsArgs...)})
		if err != nil {
			return fail(err)
		}
		d.Replicas = append(d.Replicas, r)
	}
	d.Replica = d.Replicas[0]
	for i := range 3 {
		sd, err := sub("sentinel" + strconv.Itoa(i))
		if err != nil {
			return fail(err)
		}
		conf := filepath.Join(sd, "sentinel.conf")
		text := fmt.Sprintf("sentinel monitor %[1]s 127.0.0.1 %[2]d 2\n"+
			"sentinel down-after-milliseconds %[1]s 1000\n"+
			"sentinel failover-timeout %[1]s 5000\n"+
			"sentinel parallel-syncs %[1]s 1\n", d.MasterName, d.Primary.Port)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			return fail(err)
		}
		// A sentinel rewrites its config file, so each has its own copy.
		s, err := NewServer(Config{Dir: sd, ConfFile: conf, TLS: f, Args: append([]string{"--sentinel"}, tlsArgs...)})
		if err != nil {
			return fail(err)
		}
		d.Sentinels = append(d.Sentinels, s)
		d.SentinelAddrs = append(d.SentinelAddrs, s.Addr)
	}
	if err := d.waitReady(); err != nil {
		return fail(err)
	}
	return d, nil
}

// waitReady waits until the deployment can fail over: every sentinel
// knows the primary, the replica and the other sentinels.
func (d *Sentinel) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyWait)
	defer cancel()
	var replicas []*goredis.Client
	for _, r := range d.Replicas {
		c := r.Client()
		defer c.Close()
		replicas = append(replicas, c)
	}
	var sentinels []*goredis.SentinelClient
	for _, s := range d.Sentinels {
		c := goredis.NewSentinelClient(d.sentinelOptions(s))
		defer c.Close()
		sentinels = append(sentinels, c)
	}
	want := d.Primary.Addr
	var last string
	for {
		ready := true
		for i, replica := range replicas {
			if info, err := replica.Info(ctx, "replication").Result(); err != nil || !strings.Contains(info, "master_link_status:up") {
				ready, last = false, fmt.Sprintf("replica %d link not up", i)
			}
		}
		for i, c := range sentinels {
			if !ready {
				break
			}
			m, err := c.Master(ctx, d.MasterName).Result()
			switch {
			case err != nil:
				ready, last = false, fmt.Sprintf("sentinel %d: %v", i, err)
			case m["ip"]+":"+m["port"] != want:
				ready, last = false, fmt.Sprintf("sentinel %d names %s:%s", i, m["ip"], m["port"])
			case m["num-slaves"] != strconv.Itoa(len(d.Replicas)) || m["num-other-sentinels"] != "2":
				ready, last = false, fmt.Sprintf("sentinel %d sees %s replicas, %s other sentinels", i, m["num-slaves"], m["num-other-sentinels"])
			}
		}
		if ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("redistest: sentinel deployment not ready: %s", last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// StartSentinel is NewSentinel for one test: it skips without
// redis-server and stops everything when the test ends.
func StartSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	return StartSentinelReplicas(tb, 1)
}

// StartSentinelReplicas is NewSentinelReplicas for one test, as
// StartSentinel.
func StartSentinelReplicas(tb testing.TB, n int) *Sentinel {
	tb.Helper()
	Need(tb)
	d, err := NewSentinelReplicas(tb.TempDir(), n)
	if err != nil {
		tb.Fatalf("start sentinel deployment: %v", err)
	}
	cleanup(tb, d.servers()...)
	return d
}

func (d *Sentinel) servers() []*Server {
	var out []*Server
	all := append(append([]*Server{d.Primary}, d.Replicas...), d.Sentinels...)
	for _, s := range all {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

// Stop stops every process.
func (d *Sentinel) Stop() {
	for _, s := range d.servers() {
		s.Stop()
	}
}

// Logs returns every process's log.
func (d *Sentinel) Logs() string { return logsOf(d.servers()) }

func logsOf(servers []*Server) string {
	var b strings.Builder
	for _, s := range servers {
		fmt.Fprintf(&b, "--- %s\n%s", s.Addr, s.Logs())
	}
	return b.String()
}

// KillPrimary ends the primary the deployment started with (SIGKILL by
// its PID) and returns when it has exited.
func (d *Sentinel) KillPrimary() { d.Primary.Stop() }

// MasterAddr asks the sentinels in turn for the primary's address
// (SENTINEL get-master-addr-by-name) and returns the first answer.
func (d *Sentinel) MasterAddr(ctx context.Context) (string, error) {
	var last error
	for _, s := range d.Sentinels {
		if s.Stopped() {
			continue
		}
		c := goredis.NewSentinelClient(d.sentinelOptions(s))
		addr, err := c.GetMasterAddrByName(ctx, d.MasterName).Result()
		_ = c.Close()
		if err == nil && len(addr) == 2 {
			return addr[0] + ":" + addr[1], nil
		}
		last = err
	}
	return "", fmt.Errorf("redistest: no sentinel names the primary: %v", last)
}

// WaitPromotion waits until a sentinel names a primary other than old
// (host:port) and returns that replica and when its promotion was first
// seen (polled every 20 ms).
func (d *Sentinel) WaitPromotion(ctx context.Context, old string) (*Server, time.Time, error) {
	for {
		if addr, err := d.MasterAddr(ctx); err == nil && addr != old {
			seen := time.Now()
			for _, r := range d.Replicas {
				if r.Addr == addr {
					return r, seen, nil
				}
			}
			return nil, seen, fmt.Errorf("redistest: sentinels name %s, which is no replica of this deployment", addr)
		}
		select {
		case <-ctx.Done():
			return nil, time.Time{}, fmt.Errorf("redistest: no promotion: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (d *Sentinel) sentinelOptions(s *Server) *goredis.Options {
	o := &goredis.Options{Addr: s.Addr}
	if s.tls != nil {
		if tc, err := s.tls.ClientConfig(); err == nil {
			o.TLSConfig = tc
		}
	}
	return o
}
