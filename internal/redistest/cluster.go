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

// Cluster is a Redis Cluster of primaries, each owning an equal share of
// the slots, and with NewClusterReplicas one replica of each.
type Cluster struct {
	// Nodes are the primaries the cluster started with (a failover does
	// not change them).
	Nodes []*Server
	Addrs []string // host:port of every primary, for a cluster client
	// Replicas[i] replicates Nodes[i] (NewClusterReplicas only); the
	// ones AddReplica starts follow.
	Replicas []*Server

	start func(name string) (*Server, int, error) // a cluster-enabled node and its bus port
	tb    testing.TB                              // stops added nodes (Start* only)
}

// NewCluster starts n cluster-enabled servers under dir, gives each a
// contiguous range of slots (CLUSTER ADDSLOTSRANGE), joins them (CLUSTER
// MEET) and waits until every node reports cluster_state:ok and knows
// all the others. The caller stops it.
func NewCluster(dir string, n int) (*Cluster, error) { return newCluster(dir, n, nil, false) }

// NewClusterReplicas is NewCluster with one replica of each primary
// (CLUSTER REPLICATE), and returns when every replica's link is up.
func NewClusterReplicas(dir string, n int) (*Cluster, error) { return newCluster(dir, n, nil, true) }

// NewTLSCluster is NewCluster with TLS only, for clients and the cluster
// bus alike (tls-cluster yes).
func NewTLSCluster(dir string, n int, f *TLSFiles) (*Cluster, error) {
	return newCluster(dir, n, f, false)
}

func newCluster(dir string, n int, f *TLSFiles, replicas bool) (*Cluster, error) {
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
	start := func(name string) (*Server, int, error) {
		nd := filepath.Join(dir, name)
		if err := os.MkdirAll(nd, 0o700); err != nil {
			return nil, 0, err
		}
		// A port free a moment ago may be taken before the server binds
		// it (other tests pick ports too): pick new ones.
		for attempt := 1; ; attempt++ {
			s, bus, err := startNode(nd, f)
			if err == nil || attempt == 3 || !portTaken(err) {
				return s, bus, err
			}
			_ = os.Remove(filepath.Join(nd, "nodes.conf"))
		}
	}
	cl.start = start
	for i := range n {
		s, bus, err := start("node" + strconv.Itoa(i))
		if err != nil {
			return fail(err)
		}
		buses[i] = bus
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
			break
		}
		select {
		case <-ctx.Done():
			return fail(fmt.Errorf("redistest: cluster of %d not ready: %s", n, last))
		case <-time.After(50 * time.Millisecond):
		}
	}
	if !replicas {
		return cl, nil
	}
	for i := range n {
		s, bus, err := start("replica" + strconv.Itoa(i))
		if err != nil {
			return fail(err)
		}
		cl.Replicas = append(cl.Replicas, s)
		if err := clients[0].Do(ctx, "CLUSTER", "MEET", "127.0.0.1", s.Port, bus).Err(); err != nil {
			return fail(fmt.Errorf("meet replica %d: %w", i, err))
		}
	}
	if err := cl.replicate(ctx, clients); err != nil {
		return fail(err)
	}
	return cl, nil
}

// replicate makes Replicas[i] a replica of Nodes[i] once it knows every
// node, and waits until each replica's link is up and the cluster is ok.
func (cl *Cluster) replicate(ctx context.Context, primaries []*goredis.Client) error {
	all := strconv.Itoa(len(cl.Nodes) + len(cl.Replicas))
	for i, r := range cl.Replicas {
		id, err := primaries[i].Do(ctx, "CLUSTER", "MYID").Text()
		if err != nil {
			return fmt.Errorf("primary %d id: %w", i, err)
		}
		c := r.Client()
		defer c.Close()
		for {
			info, err := c.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_known_nodes:"+all+"\r") {
				err = c.Do(ctx, "CLUSTER", "REPLICATE", id).Err()
				if err == nil {
					break
				}
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("redistest: replica %d never replicated its primary: %v", i, err)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	for i, r := range cl.Replicas {
		c := r.Client()
		defer c.Close()
		for {
			repl, err := c.Info(ctx, "replication").Result()
			state, err2 := c.ClusterInfo(ctx).Result()
			if err == nil && err2 == nil && strings.Contains(repl, "master_link_status:up") && strings.Contains(state, "cluster_state:ok") {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("redistest: replica %d link not up: %v %v", i, err, err2)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

// StartCluster is NewCluster for one test: it skips without
// redis-server and stops the cluster when the test ends.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	return startCluster(tb, n, false)
}

// StartClusterReplicas is NewClusterReplicas for one test, as
// StartCluster.
func StartClusterReplicas(tb testing.TB, n int) *Cluster {
	tb.Helper()
	return startCluster(tb, n, true)
}

func startCluster(tb testing.TB, n int, replicas bool) *Cluster {
	tb.Helper()
	Need(tb)
	cl, err := newCluster(tb.TempDir(), n, nil, replicas)
	if err != nil {
		tb.Fatalf("start cluster: %v", err)
	}
	cleanup(tb, cl.all()...)
	cl.tb = tb
	return cl
}

func (cl *Cluster) all() []*Server {
	return append(append([]*Server(nil), cl.Nodes...), cl.Replicas...)
}

// Stop stops every node.
func (cl *Cluster) Stop() {
	for _, s := range cl.all() {
		s.Stop()
	}
}

// Logs returns every node's log.
func (cl *Cluster) Logs() string { return logsOf(cl.all()) }

// startNode starts one cluster-enabled server in dir, with the cluster
// bus on a port picked now.
func startNode(dir string, f *TLSFiles) (*Server, int, error) {
	bus, err := FreePort()
	if err != nil {
		return nil, 0, err
	}
	args := []string{
		"--cluster-enabled", "yes",
		"--cluster-config-file", filepath.Join(dir, "nodes.conf"),
		"--cluster-port", strconv.Itoa(bus),
		// A killed primary is marked failed about 2 s after it stopped
		// answering, and a replica takes its slots soon after.
		"--cluster-node-timeout", "2000",
	}
	if f != nil {
		args = append(args, "--tls-cluster", "yes", "--tls-replication", "yes")
	}
	s, err := NewServer(Config{Dir: dir, TLS: f, Args: args})
	return s, bus, err
}

// portTaken reports whether a server failed to start because its port
// or its cluster bus port was taken.
func portTaken(err error) bool { return strings.Contains(err.Error(), "Address already in use") }
