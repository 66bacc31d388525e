package redis

import (
	"context"
	"errors"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// Following a Cluster failover (package doc, "Topologies"): go-redis
// reloads its slot map on a MOVED or ASK reply and otherwise only every
// ClusterStateReloadInterval (60 s). A primary that was SIGKILLed sends
// neither: every call for its slots fails to dial the dead address, and
// after a replica took the slots over, the client would go on refusing
// them until the next periodic reload. So every node client of a cluster
// client asks for a reload when a call fails without a Redis reply (dial
// refused, timeout, reset) or with CLUSTERDOWN or TRYAGAIN. The reload
// is lazy and go-redis runs at most one at a time, with a 200 ms pause
// between them, so a dead node costs one CLUSTER SLOTS now and then, not
// one per request.

// followFailovers installs the reload on every node client c creates; it
// is called before c sends anything, so no node misses it.
func followFailovers(c *goredis.ClusterClient) *goredis.ClusterClient {
	h := reloadHook{c: c}
	c.OnNewNode(func(n *goredis.Client) { n.AddHook(h) })
	return c
}

// staleRoute reports whether err says the slot map may be out of date.
func staleRoute(err error) bool {
	if err == nil || errors.Is(err, goredis.Nil) || errors.Is(err, context.Canceled) {
		return false
	}
	var re goredis.Error
	if !errors.As(err, &re) {
		return true // no reply: the node is down or unreachable
	}
	msg := re.Error()
	return strings.HasPrefix(msg, "CLUSTERDOWN") || strings.HasPrefix(msg, "TRYAGAIN")
}

type reloadHook struct{ c *goredis.ClusterClient }

func (h reloadHook) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h reloadHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		err := next(ctx, cmd)
		if staleRoute(err) {
			h.c.ReloadState(ctx)
		}
		return err
	}
}

func (h reloadHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		err := next(ctx, cmds)
		if staleRoute(err) {
			h.c.ReloadState(ctx)
		}
		return err
	}
}
