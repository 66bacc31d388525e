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

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// Cluster is a Redis Cluster of primaries without replicas, each owning
// an equal share of the slots.
type Cluster struct {
	Nodes []*Server
	Addrs []string // host:port of every node, for a cluster client
}

// NewCluster starts n cluster-enabled servers under dir, gives each a
// contiguous range of slots (CLUSTER ADDSLOTSRANGE), joins them (CLUSTER
// MEET) and waits until every node reports cluster_state:ok and knows
// all the others. The caller stops it.
func NewCluster(dir string, n int) (*Cluster, error) { return newCluster(dir, n, nil) }

// NewTLSCluster is NewCluster with TLS only, for clients and the cluster
// bus alike (tls-cluster yes).
func NewTLSCluster(dir string, n int, f *TLSFiles) (*Cluster, error) { return newCluster(dir, n, f) }

func newCluster(dir string, n int, f *TLSFiles) (*Cluster, error) {
	if n < 1 {
		return nil, fmt.Errorf("redistest: cluster of %d nodes", n)
	}
	cl := &Cluster{}
	fail := func(err error) (*Cluster, error) {
		logs := cl.Logs()
		cl.Stop()
		return nil, fmt.Errorf("%w\n%s", err, logs)
	}
	buses := make([]int, n)
	for i := range n {
		nd := filepath.Join(dir, "node"+strconv.Itoa(i))
		if err := os.MkdirAll(nd, 0o700); err != nil {
			return fail(err)
		}
		bus, err := FreePort()
		if err != nil {
			return fail(err)
		}
		buses[i] = bus
		args := []string{
			"--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(nd, "nodes.conf"),
			"--cluster-port", strconv.Itoa(bus),
			"--cluster-node-timeout", "2000",
		}
		if f != nil {
			args = append(args, "--tls-cluster", "yes", "--tls-replication", "yes")
		}
		s, err := NewServer(Config{Dir: nd, TLS: f, Args: args})
		if err != nil {
			return fail(err)
		}
		cl.Nodes = append(cl.Nodes, s)
		cl.Addrs = append(cl.Addrs, s.Addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyWait)
	defer cancel()
	clients := make([]*goredis.Client, n)
	for i, s := range cl.Nodes {
		clients[i] = s.Client()
		defer clients[i].Close()
	}
	for i, c := range clients {
		lo, hi := i*clusterSlots/n, (i+1)*clusterSlots/n-1
		if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			return fail(fmt.Errorf("node %d: assign slots %d-%d: %w", i, lo, hi, err))
		}
	}
	for i := 1; i < n; i++ {
		if err := clients[0].Do(ctx, "CLUSTER", "MEET", "127.0.0.1", cl.Nodes[i].Port, buses[i]).Err(); err != nil {
			return fail(fmt.Errorf("meet node %d: %w", i, err))
		}
	}
	var last string
	for {
		ready := true
		for i, c := range clients {
			info, err := c.ClusterInfo(ctx).Result()
			if err != nil || !strings.Contains(info, "cluster_state:ok") ||
				!strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(n)+"\r") {
				ready, last = false, fmt.Sprintf("node %d: %v %q", i, err, info)
				break
			}
		}
		if ready {
			return cl, nil
		}
		select {
		case <-ctx.Done():
			return fail(fmt.Errorf("redistest: cluster of %d not ready: %s", n, last))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// StartCluster is NewCluster for one test: it skips without
// redis-server and stops the cluster when the test ends.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	Need(tb)
	cl, err := NewCluster(tb.TempDir(), n)
	if err != nil {
		tb.Fatalf("start cluster: %v", err)
	}
	cleanup(tb, cl.Nodes...)
	return cl
}

// Stop stops every node.
func (cl *Cluster) Stop() {
	for _, s := range cl.Nodes {
		s.Stop()
	}
}

// Logs returns every node's log.
func (cl *Cluster) Logs() string { return logsOf(cl.Nodes) }
