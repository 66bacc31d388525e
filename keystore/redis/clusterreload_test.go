package redis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	goredis "github.com/redis/go-redis/v9"
)

// replyErr is an error reply from a server, as go-redis types them
// (goredis.Error).
type replyErr string

func (e replyErr) Error() string { return string(e) }
func (replyErr) RedisError()     {}

// TestClusterClientReloadsSlotsOnlyWhenTheRouteMayBeStale: a call that
// got no reply (a dead node after a failover) or CLUSTERDOWN/TRYAGAIN
// asks for a slot map reload; ordinary replies (nil, script and
// argument errors, a caller's cancellation) do not, so they cost no
// CLUSTER SLOTS.
func TestClusterClientReloadsSlotsOnlyWhenTheRouteMayBeStale(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"no error", nil, false},
		{"nil reply", goredis.Nil, false},
		{"wrapped nil reply", fmt.Errorf("get: %w", goredis.Nil), false},
		{"cancelled by the caller", context.Canceled, false},
		{"dial refused", refused, true},
		{"wrapped dial refused", fmt.Errorf("keystore/redis: get session: %w", refused), true},
		{"deadline", context.DeadlineExceeded, true},
		{"connection reset", io.EOF, true},
		{"cluster down", replyErr("CLUSTERDOWN The cluster is down"), true},
		{"try again", replyErr("TRYAGAIN Multiple keys request during rehashing of slot"), true},
		{"wrapped cluster down", fmt.Errorf("x: %w", replyErr("CLUSTERDOWN Hash slot not served")), true},
		{"script missing", replyErr("NOSCRIPT No matching script"), false},
		{"wrong type", replyErr("WRONGTYPE Operation against a key holding the wrong kind of value"), false},
		{"cluster down later in the text", replyErr("ERR user script said CLUSTERDOWN"), false},
		{"empty reply error", replyErr(""), false},
		{"plain error", errors.New("CLUSTERDOWN"), true}, // not a reply: the connection failed
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := staleRoute(tc.err); got != tc.want {
				t.Fatalf("staleRoute(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
