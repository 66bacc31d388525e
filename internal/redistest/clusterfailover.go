package redistest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Failing over a Cluster primary: the nodes run with
// cluster-node-timeout 2000 ms, so the other primaries mark a killed one
// failed about 2 s after it stopped answering, and one of its replicas
// wins the election and takes its slots a moment later.

// pollEvery is how often the Wait functions ask the nodes.
const pollEvery = 20 * time.Millisecond

// live returns every node of the cluster that has not exited.
func (cl *Cluster) live() []*Server {
	var out []*Server
	for _, s := range cl.all() {
		if !s.Stopped() {
			out = append(out, s)
		}
	}
	return out
}

// ask runs f with a client on each live node in turn, each call bounded
// by a short timeout, until one succeeds.
func (cl *Cluster) ask(ctx context.Context, f func(context.Context, *goredis.Client) error) error {
	last := fmt.Errorf("redistest: no live node")
	for _, s := range cl.live() {
		c := s.Client()
		cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		err := f(cctx, c)
		cancel()
		_ = c.Close()
		if err == nil {
			return nil
		}
		last = err
	}
	return last
}

// KeySlot returns the hash slot of key (CLUSTER KEYSLOT).
func (cl *Cluster) KeySlot(ctx context.Context, key string) (int, error) {
	var slot int64
	err := cl.ask(ctx, func(ctx context.Context, c *goredis.Client) (err error) {
		slot, err = c.ClusterKeySlot(ctx, key).Result()
		return err
	})
	return int(slot), err
}

// slotOwner is the primary c names for slot in CLUSTER SLOTS ("" when
// no node owns it).
func slotOwner(ctx context.Context, c *goredis.Client, slot int) (string, error) {
	ranges, err := c.ClusterSlots(ctx).Result()
	if err != nil {
		return "", err
	}
	for _, r := range ranges {
		if r.Start <= slot && slot <= r.End && len(r.Nodes) > 0 {
			return r.Nodes[0].Addr, nil
		}
	}
	return "", nil
}

// SlotOwner returns the primary that a live node names as the owner of
// slot.
func (cl *Cluster) SlotOwner(ctx context.Context, slot int) (*Server, error) {
	var addr string
	if err := cl.ask(ctx, func(ctx context.Context, c *goredis.Client) (err error) {
		addr, err = slotOwner(ctx, c, slot)
		return err
	}); err != nil {
		return nil, err
	}
	return cl.byAddr(addr)
}

func (cl *Cluster) byAddr(addr string) (*Server, error) {
	for _, s := range cl.all() {
		if s.Addr == addr {
			return s, nil
		}
	}
	return nil, fmt.Errorf("redistest: %q is no node of this cluster", addr)
}

// PrimaryOf returns the primary that owns key's slot, and the slot.
func (cl *Cluster) PrimaryOf(ctx context.Context, key string) (*Server, int, error) {
	slot, err := cl.KeySlot(ctx, key)
	if err != nil {
		return nil, 0, err
	}
	s, err := cl.SlotOwner(ctx, slot)
	return s, slot, err
}

// KillPrimaryOf ends the primary that owns key's slot (SIGKILL by its
// PID) and returns it and the slot once it has exited.
func (cl *Cluster) KillPrimaryOf(ctx context.Context, key string) (*Server, int, error) {
	s, slot, err := cl.PrimaryOf(ctx, key)
	if err != nil {
		return nil, 0, err
	}
	s.Stop()
	return s, slot, nil
}

// SlotChange is what WaitSlotOwner saw while a slot changed owner.
type SlotChange struct {
	Owner *Server // the new owner
	// LastOld is when the last poll round began in which every live node
	// still named the old owner (or none): until then no client could
	// have learnt the new one.
	LastOld time.Time
	// Promoted is when a live node first named another owner.
	Promoted time.Time
	// Settled is when every live node reported cluster_state:ok and
	// named Owner.
	Settled time.Time
}

// WaitSlotOwner polls every live node (every 20 ms) until all of them
// report cluster_state:ok and name one owner of slot other than old
// (host:port), and says when that happened.
func (cl *Cluster) WaitSlotOwner(ctx context.Context, slot int, old string) (SlotChange, error) {
	var ch SlotChange
	var last string
	for {
		round := time.Now()
		moved, settled := false, true
		owner := ""
		for _, s := range cl.live() {
			c := s.Client()
			cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			addr, err := slotOwner(cctx, c, slot)
			info, err2 := c.ClusterInfo(cctx).Result()
			cancel()
			_ = c.Close()
			if err == nil && addr != "" && addr != old {
				moved = true
			}
			switch {
			case err != nil || err2 != nil:
				settled, last = false, fmt.Sprintf("%s: %v %v", s.Addr, err, err2)
			case !strings.Contains(info, "cluster_state:ok"):
				settled, last = false, s.Addr+": cluster_state not ok"
			case addr == "" || addr == old || owner != "" && addr != owner:
				settled, last = false, fmt.Sprintf("%s names %q for slot %d", s.Addr, addr, slot)
			}
			if owner == "" {
				owner = addr
			}
		}
		if moved && ch.Promoted.IsZero() {
			ch.Promoted = time.Now()
		}
		if !moved {
			ch.LastOld = round
		}
		if settled && moved {
			ch.Settled = time.Now()
			s, err := cl.byAddr(owner)
			ch.Owner = s
			return ch, err
		}
		select {
		case <-ctx.Done():
			return ch, fmt.Errorf("redistest: slot %d never settled on a new owner: %s: %w", slot, last, ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

// AddReplica starts one more cluster node, makes it a replica of
// primary (CLUSTER REPLICATE) and returns when its link is up and the
// cluster is ok. A primary with two replicas still has one after a
// failover, so writes that wait for a replica (WAIT 1) go on.
func (cl *Cluster) AddReplica(ctx context.Context, primary *Server) (*Server, error) {
	s, bus, err := cl.start("replica" + strconv.Itoa(len(cl.Replicas)))
	if err != nil {
		return nil, err
	}
	if cl.tb != nil {
		cleanup(cl.tb, s)
	}
	p := primary.Client()
	defer p.Close()
	id, err := p.Do(ctx, "CLUSTER", "MYID").Text()
	if err == nil {
		err = p.Do(ctx, "CLUSTER", "MEET", "127.0.0.1", s.Port, bus).Err()
	}
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("redistest: add a replica of %s: %w", primary.Addr, err)
	}
	c := s.Client()
	defer c.Close()
	replicating := false
	for {
		if !replicating {
			// Fails until the new node has heard of the primary.
			err = c.Do(ctx, "CLUSTER", "REPLICATE", id).Err()
			replicating = err == nil
		} else {
			repl, err1 := c.Info(ctx, "replication").Result()
			state, err2 := c.ClusterInfo(ctx).Result()
			if err1 == nil && err2 == nil && strings.Contains(repl, "master_link_status:up") && strings.Contains(state, "cluster_state:ok") {
				cl.Replicas = append(cl.Replicas, s)
				return s, nil
			}
			err = fmt.Errorf("link or cluster not up: %v %v", err1, err2)
		}
		select {
		case <-ctx.Done():
			s.Stop()
			return nil, fmt.Errorf("redistest: replica of %s: %v", primary.Addr, err)
		case <-time.After(pollEvery):
		}
	}
}
