package memory

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

// Options configure New.
type Options struct {
	// MaxEntries caps each kind (denylist, markers, counters) separately;
	// 0 or less means 100_000.
	MaxEntries int
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
}

// DefaultMaxEntries is the per-kind cap when Options.MaxEntries is unset.
const DefaultMaxEntries = 100_000

// MaxKeyLen bounds every key so the cap bounds memory too.
const MaxKeyLen = 512

// Store is safe for concurrent use.
type Store struct {
	now      func() time.Time
	seed     maphash.Seed
	deny     table[time.Time]
	markers  table[time.Time]
	counters table[counter]
}

type counter struct {
	n     int64
	reset time.Time
}

var (
	_ keystore.Denylist = (*Store)(nil)
	_ keystore.Markers  = (*Store)(nil)
	_ keystore.Counters = (*Store)(nil)
)

var errKey = fmt.Errorf("keystore/memory: key must be 1..%d bytes", MaxKeyLen)

// New returns an empty store.
func New(opts Options) *Store {
	max := opts.MaxEntries
	if max <= 0 {
		max = DefaultMaxEntries
	}
	now := opts.Clock
	if now == nil {
		now = time.Now
	}
	s := &Store{now: now, seed: maphash.MakeSeed()}
	s.deny.init(max, func(t time.Time) time.Time { return t })
	s.markers.init(max, func(t time.Time) time.Time { return t })
	s.counters.init(max, func(c counter) time.Time { return c.reset })
	return s
}

// Len reports how many entries each kind holds, expired ones not yet
// dropped included.
func (s *Store) Len() (denied, markers, counters int) {
	return int(s.deny.count.Load()), int(s.markers.count.Load()), int(s.counters.count.Load())
}

// Deny records id as revoked until until. A later until extends the
// entry, an earlier one never shortens it; an until already past stores
// nothing.
func (s *Store) Deny(ctx context.Context, id string, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if id == "" || len(id) > MaxKeyLen {
		return errKey
	}
	now := s.now()
	return s.deny.upsert(maphash.String(s.seed, id), id, now, func(cur time.Time, live bool) (time.Time, bool) {
		if live && !until.After(cur) {
			return cur, false
		}
		return until, until.After(now)
	})
}

// IsDenied reports whether id is denied now. It does not allocate.
func (s *Store) IsDenied(ctx context.Context, id []byte) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if len(id) == 0 || len(id) > MaxKeyLen {
		return false, nil
	}
	return s.deny.live(maphash.Bytes(s.seed, id), id, s.now()), nil
}

// SetIfAbsent sets key for ttl and reports true, or reports false when a
// live key is already there.
func (s *Store) SetIfAbsent(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if key == "" || len(key) > MaxKeyLen {
		return false, errKey
	}
	if ttl <= 0 {
		return false, errors.New("keystore/memory: marker ttl must be positive")
	}
	now := s.now()
	won := false
	err := s.markers.upsert(maphash.String(s.seed, key), key, now, func(cur time.Time, live bool) (time.Time, bool) {
		won = !live
		if live {
			return cur, false
		}
		return now.Add(ttl), true
	})
	if err != nil {
		return false, err
	}
	return won, nil
}

// Incr counts one hit on key in its current window. A window starts at
// the first hit after the previous one ended and lasts window.
func (s *Store) Incr(ctx context.Context, key string, window time.Duration) (int64, time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	if key == "" || len(key) > MaxKeyLen {
		return 0, 0, errKey
	}
	if window <= 0 {
		return 0, 0, errors.New("keystore/memory: counter window must be positive")
	}
	now := s.now()
	var got counter
	err := s.counters.upsert(maphash.String(s.seed, key), key, now, func(cur counter, live bool) (counter, bool) {
		if live {
			cur.n++
		} else {
			cur = counter{n: 1, reset: now.Add(window)}
		}
		got = cur
		return cur, true
	})
	if err != nil {
		return 0, 0, err
	}
	return got.n, got.reset.Sub(now), nil
}

const numShards = 64

// table is one kind of entry: sharded maps, each behind its own mutex,
// and one count of entries across shards for the cap.
type table[V any] struct {
	shards [numShards]shard[V]
	count  atomic.Int64
	max    int64
	expiry func(V) time.Time
	// lastSweep (unix nanoseconds of the store clock) spaces full sweeps,
	// so a flood of new keys against a full kind costs one sweep per
	// interval, not one per request.
	lastSweep atomic.Int64
}

// sweepInterval is the least time between two full sweeps of a kind.
const sweepInterval = 100 * time.Millisecond

type shard[V any] struct {
	mu sync.Mutex
	m  map[string]V
}

func (t *table[V]) init(max int, expiry func(V) time.Time) {
	t.max = int64(max)
	t.expiry = expiry
	for i := range t.shards {
		t.shards[i].m = make(map[string]V)
	}
}

// live reports whether key holds an unexpired entry, dropping an expired one.
func (t *table[V]) live(h uint64, key []byte, now time.Time) bool {
	sh := &t.shards[h%numShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	v, ok := sh.m[string(key)]
	if !ok {
		return false
	}
	if now.Before(t.expiry(v)) {
		return true
	}
	delete(sh.m, string(key))
	t.count.Add(-1)
	return false
}

// upsert calls fn with key's current value (live false when absent or
// expired) and stores what fn returns when fn says so. A new key needs
// room: when the kind is full, expired entries are swept, first in the
// key's shard and then everywhere; if it is still full, ErrFull.
func (t *table[V]) upsert(h uint64, key string, now time.Time, fn func(cur V, live bool) (V, bool)) error {
	sh := &t.shards[h%numShards]
	for attempt := 0; ; attempt++ {
		sh.mu.Lock()
		cur, ok := sh.m[key]
		live := ok && now.Before(t.expiry(cur))
		if ok && !live {
			delete(sh.m, key)
			t.count.Add(-1)
		}
		next, store := fn(cur, live)
		if !store {
			sh.mu.Unlock()
			return nil
		}
		if live {
			sh.m[key] = next
			sh.mu.Unlock()
			return nil
		}
		if t.reserve() || t.sweepLocked(sh, now) > 0 && t.reserve() {
			sh.m[strings.Clone(key)] = next
			sh.mu.Unlock()
			return nil
		}
		sh.mu.Unlock()
		if attempt > 0 {
			return fmt.Errorf("keystore/memory: %w", keystore.ErrFull)
		}
		t.sweepAll(now)
	}
}

func (t *table[V]) reserve() bool {
	if t.count.Add(1) > t.max {
		t.count.Add(-1)
		return false
	}
	return true
}

// sweepLocked drops expired entries of a shard whose lock is held.
func (t *table[V]) sweepLocked(sh *shard[V], now time.Time) int {
	n := 0
	for k, v := range sh.m {
		if !now.Before(t.expiry(v)) {
			delete(sh.m, k)
			n++
		}
	}
	t.count.Add(int64(-n))
	return n
}

// sweepAll visits every shard, one lock at a time, unless another sweep
// ran less than sweepInterval ago.
func (t *table[V]) sweepAll(now time.Time) {
	last := t.lastSweep.Load()
	if now.UnixNano()-last < int64(sweepInterval) || !t.lastSweep.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		t.sweepLocked(sh, now)
		sh.mu.Unlock()
	}
}
