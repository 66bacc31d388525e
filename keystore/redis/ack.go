package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Replica acknowledgement (package doc, "Acknowledged means
// replicated"): with Options.MinReplicasAck N > 0, every durable write is
// sent in one pipeline with WAIT N timeout, on the connection of the
// primary that owns the written key, so that WAIT counts the replicas
// that have this very write.

// ErrNotReplicated reports a write that the primary applied but that
// fewer than Options.MinReplicasAck replicas confirmed within
// Options.ReplicaAckTimeout. The record may exist (and may survive or be
// lost in a failover): callers answer it as a store failure, never as a
// success, and a retry must be idempotent.
var ErrNotReplicated = errors.New("keystore/redis: write not confirmed by enough replicas")

// Bounds on the replica acknowledgement settings.
const (
	// MaxMinReplicasAck bounds Options.MinReplicasAck.
	MaxMinReplicasAck = 16
	// DefaultReplicaAckTimeout is the WAIT bound when
	// Options.ReplicaAckTimeout is 0.
	DefaultReplicaAckTimeout = time.Second
	// MaxReplicaAckTimeout bounds Options.ReplicaAckTimeout.
	MaxReplicaAckTimeout = 10 * time.Second
)

// ack is the resolved acknowledgement setting of a store; n 0 is off.
type ack struct {
	n       int
	timeout time.Duration
}

// newAck checks and resolves the acknowledgement options against the
// read timeout of the client: WAIT shares a pipeline with the write, and
// go-redis reads a pipeline's replies under the client's read timeout, so
// WAIT's own bound must end well before it.
func newAck(n int, timeout, read time.Duration) (ack, error) {
	if n < 0 || n > MaxMinReplicasAck {
		return ack{}, fmt.Errorf("keystore/redis: MinReplicasAck must be from 0 to %d", MaxMinReplicasAck)
	}
	if timeout < 0 || timeout > MaxReplicaAckTimeout {
		return ack{}, fmt.Errorf("keystore/redis: ReplicaAckTimeout must be from 0 to %s", MaxReplicaAckTimeout)
	}
	if n == 0 {
		return ack{}, nil
	}
	if timeout == 0 {
		timeout = DefaultReplicaAckTimeout
	}
	if timeout < time.Millisecond {
		// WAIT's timeout is in milliseconds and 0 means forever.
		timeout = time.Millisecond
	}
	if read > 0 && timeout >= read {
		return ack{}, fmt.Errorf("keystore/redis: ReplicaAckTimeout %s must be shorter than the read timeout %s", timeout, read)
	}
	return ack{n: n, timeout: timeout}, nil
}

// readTimeout is the read timeout the client c was built with.
func readTimeout(c goredis.UniversalClient) time.Duration {
	switch c := c.(type) {
	case *goredis.Client:
		return c.Options().ReadTimeout
	case *goredis.ClusterClient:
		return c.Options().ReadTimeout
	}
	return 0
}

// unacked names the writes that never wait for replicas: they only
// record when a credential was last used (TouchSession, TouchAPIKey).
// Losing one in a failover loses nothing a guarantee depends on, and
// they run on the request path, where WAIT would add a replication
// round trip to ordinary requests and turn a slow replica into failed
// requests.
func unacked(op string) bool { return op == opTouchSession || op == opTouchAPIKey }

const (
	opTouchSession = "touch session"
	opTouchAPIKey  = "touch api key"
)

// runScript runs a write script: as Script.Run when acknowledgement is
// off or op is unacked, else followed by WAIT on the same connection.
// The returned command carries ErrNotReplicated when too few replicas
// confirmed.
func (s *Store) runScript(ctx context.Context, op string, sc *goredis.Script, keys []string, args ...any) *goredis.Cmd {
	if s.ack.n == 0 || unacked(op) {
		return sc.Run(ctx, s.c, keys, args...)
	}
	var cmd *goredis.Cmd
	s.acked(ctx, keys[0], func(p goredis.Pipeliner) goredis.Cmder {
		cmd = sc.EvalSha(ctx, p, keys, args...)
		return cmd
	})
	if isNoScript(cmd.Err()) {
		// Nothing ran: the script is not cached on this server yet.
		s.acked(ctx, keys[0], func(p goredis.Pipeliner) goredis.Cmder {
			cmd = sc.Eval(ctx, p, keys, args...)
			return cmd
		})
	}
	return cmd
}

// setNX is SET key 1 PX ttl NX, acknowledged like runScript.
func (s *Store) setNX(ctx context.Context, key string, ttl time.Duration) *goredis.BoolCmd {
	if s.ack.n == 0 {
		return s.c.SetNX(ctx, key, "1", ttl)
	}
	var cmd *goredis.BoolCmd
	s.acked(ctx, key, func(p goredis.Pipeliner) goredis.Cmder {
		cmd = p.SetNX(ctx, key, "1", ttl)
		return cmd
	})
	return cmd
}

// acked sends the command queue adds and WAIT in one pipeline to the
// primary that owns key, and sets ErrNotReplicated on that command when
// WAIT counts fewer than s.ack.n replicas. A failed WAIT (connection
// lost, timeout) becomes the command's error too: the write's fate is
// unknown. queue must add exactly one command.
func (s *Store) acked(ctx context.Context, key string, queue func(goredis.Pipeliner) goredis.Cmder) {
	var p goredis.Pipeliner
	if s.cluster != nil {
		node, err := s.cluster.MasterForKey(ctx, key)
		if err != nil {
			// Build the command unsent so that it carries the error.
			queue(s.c.Pipeline()).SetErr(err)
			return
		}
		p = node.Pipeline()
	} else {
		p = s.c.Pipeline()
	}
	cmd := queue(p)
	wait := p.Do(ctx, "wait", s.ack.n, s.ack.timeout.Milliseconds())
	_, _ = p.Exec(ctx)
	switch {
	case cmd.Err() != nil:
		if s.cluster != nil && isRedirect(cmd.Err()) {
			// The node client does not follow redirects; make the
			// cluster client learn the new slot owner for the next call.
			s.cluster.ReloadState(ctx)
		}
	case wait.Err() != nil:
		cmd.SetErr(fmt.Errorf("wait for replicas: %w", wait.Err()))
	default:
		if n, err := wait.Int64(); err != nil || n < int64(s.ack.n) {
			cmd.SetErr(ErrNotReplicated)
		}
	}
}

func isNoScript(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT")
}

func isRedirect(err error) bool {
	m := err.Error()
	return strings.HasPrefix(m, "MOVED ") || strings.HasPrefix(m, "ASK ")
}
