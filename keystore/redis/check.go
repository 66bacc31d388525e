package redis

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// ErrMisconfigured marks a deployment that answers but cannot hold
// gatehouse's state as configured (Check).
var ErrMisconfigured = errors.New("keystore/redis: deployment does not fit the configuration")

// Check is what `gatehouse check-config` asks of a deployment before a
// server relies on it: that every primary answers, runs Redis 7.0 or
// newer (PXAT, PEXPIRE NX/GT), and is of the topology the options name —
// a URL that points at a replica (writes would fail) or at a Cluster node
// (keys of other slots would be refused) is misconfigured, and so is a
// Cluster whose cluster_state is not ok, and so is a primary with fewer
// connected replicas than Options.MinReplicasAck asks to confirm each
// write. Check writes nothing.
func (s *Store) Check(ctx context.Context) error {
	if err := s.Ping(ctx); err != nil {
		return err
	}
	if s.cluster != nil {
		info, err := s.cluster.ClusterInfo(ctx).Result()
		if err != nil {
			return s.fail("cluster info", err)
		}
		if st := infoField(info, "cluster_state"); st != "ok" {
			return fmt.Errorf("%w: cluster_state is %q, not ok", ErrMisconfigured, st)
		}
		return s.cluster.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
			return s.checkNode(ctx, c, true)
		})
	}
	c, ok := s.c.(*goredis.Client)
	if !ok {
		return nil // a client from NewFromClient of another kind: Ping only
	}
	return s.checkNode(ctx, c, false)
}

// checkNode checks one primary's INFO.
func (s *Store) checkNode(ctx context.Context, c *goredis.Client, inCluster bool) error {
	info, err := c.Info(ctx).Result()
	if err != nil {
		return s.fail("info", err)
	}
	if v := infoField(info, "redis_version"); !atLeast7(v) {
		return fmt.Errorf("%w: a server runs Redis %q; gatehouse needs 7.0 or newer", ErrMisconfigured, v)
	}
	if role := infoField(info, "role"); role != "master" {
		return fmt.Errorf("%w: the server is a replica (role %q), not a primary: writes would fail (point url at the primary, or use sentinel)", ErrMisconfigured, role)
	}
	if !inCluster && infoField(info, "cluster_enabled") == "1" {
		return fmt.Errorf("%w: the server is a Cluster node: configure cluster, not url", ErrMisconfigured)
	}
	if n, _ := strconv.Atoi(infoField(info, "connected_slaves")); n < s.ack.n {
		return fmt.Errorf("%w: min_replicas_ack is %d but a primary has %d connected replicas: every durable write would fail", ErrMisconfigured, s.ack.n, n)
	}
	return nil
}

// infoField returns the value of key in an INFO-style reply ("key:value"
// lines), or "".
func infoField(info, key string) string {
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, ":"); ok && k == key {
			return v
		}
	}
	return ""
}

// atLeast7 reports whether a redis_version is 7.0 or newer.
func atLeast7(v string) bool {
	major, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(major)
	return err == nil && n >= 7
}
