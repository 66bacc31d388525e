package redis

import (
	"context"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse/gatehouse/keystore"
)

var (
	_ keystore.Exporter       = (*Store)(nil)
	_ keystore.MarkerExporter = (*Store)(nil)
)

// exportScanCount is the COUNT hint of each SCAN step of an export.
const exportScanCount = 512

// noExpiry stands for an entry without a Redis expiry (none is written
// that way; one set by hand is kept denied): the latest time Deny takes.
var noExpiry = time.UnixMilli(1 << 53).UTC()

// EachDenied calls fn for every live denylist entry (<prefix>deny:<id>)
// with its expiry (PEXPIRETIME). The denylist has no index, so it is
// found with SCAN on the server, the primary, or every Cluster primary in
// turn; fn runs between SCAN steps, one call at a time, never inside a
// script. An entry that expires during the walk may be reported or not.
func (s *Store) EachDenied(ctx context.Context, fn func(id string, until time.Time) error) error {
	return s.eachExpiring(ctx, "export denylist", s.k.deny, fn)
}

// EachMarker calls fn for every live marker (<prefix>mark:<key>) with its
// expiry, as EachDenied.
func (s *Store) EachMarker(ctx context.Context, fn func(key string, until time.Time) error) error {
	return s.eachExpiring(ctx, "export markers", s.k.mark, fn)
}

// eachExpiring walks the keys that start with family (a prefix of
// ephemeral keys) on every node that owns slots.
func (s *Store) eachExpiring(ctx context.Context, op, family string, fn func(name string, until time.Time) error) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	match := globEscape(family) + "*"
	// A Cluster walks its primaries concurrently: w serialises fn and
	// keeps fn from running again once it failed.
	w := &exportWalk{fn: fn}
	walk := func(ctx context.Context, c goredis.Cmdable) error {
		var cursor uint64
		for {
			names, next, err := c.Scan(ctx, cursor, match, exportScanCount).Result()
			if err != nil {
				return err
			}
			if len(names) > 0 {
				cmds := make([]*goredis.Cmd, len(names))
				if _, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
					for i, n := range names {
						cmds[i] = p.Do(ctx, "PEXPIRETIME", n)
					}
					return nil
				}); err != nil {
					return err
				}
				if err := w.report(s.now(), family, names, cmds); err != nil {
					return err
				}
			}
			if next == 0 {
				return nil
			}
			cursor = next
		}
	}
	if s.cluster != nil {
		return s.fail(op, s.cluster.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error { return walk(ctx, c) }))
	}
	return s.fail(op, walk(ctx, s.c))
}

// exportWalk is the callback of one export and its first error.
type exportWalk struct {
	mu     sync.Mutex
	fn     func(string, time.Time) error
	failed error
}

// report hands one SCAN step's entries that are still live at now to w.fn.
func (w *exportWalk) report(now time.Time, family string, names []string, cmds []*goredis.Cmd) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed != nil {
		return w.failed
	}
	for i, n := range names {
		ms, err := cmds[i].Int64()
		if err != nil {
			return err
		}
		var until time.Time
		switch {
		case ms == -2: // expired or deleted since SCAN saw it
			continue
		case ms == -1 || ms > 1<<53:
			until = noExpiry
		default:
			until = time.UnixMilli(ms).UTC()
		}
		name := strings.TrimPrefix(n, family)
		if !until.After(now) || name == "" || len(name) > MaxKeyLen {
			continue
		}
		if err := w.fn(name, until); err != nil {
			w.failed = err
			return err
		}
	}
	return nil
}

// globEscape quotes the SCAN MATCH metacharacters of a literal prefix.
func globEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
