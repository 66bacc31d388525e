package memory

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
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
	seeds    [2]maphash.Seed
	deny     table[int64] // expiry, unix nanoseconds of the store clock
	markers  table[int64]
	counters table[counter]
}

type counter struct {
	n     int64
	reset int64 // unix nanoseconds of the store clock
}

// hkey is what a table holds for a key: two 64-bit keyed hashes (seeds
// picked at start), not the key itself. An entry is then 24 bytes with no
// pointer for the garbage collector to follow, whatever the key's length
// (docs/design.md, "Hot path costs"). Two keys collide with probability
// about 2^-128 per pair; a collision can only make a new key look present
// (a nonce refused as replayed, a token id as revoked, a counter shared),
// never make a present key look absent.
type hkey [2]uint64

func (s *Store) hashString(key string) hkey {
	return hkey{maphash.String(s.seeds[0], key), maphash.String(s.seeds[1], key)}
}

func (s *Store) hashBytes(key []byte) hkey {
	return hkey{maphash.Bytes(s.seeds[0], key), maphash.Bytes(s.seeds[1], key)}
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
	s := &Store{now: now, seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
	s.deny.init(max, func(t int64) int64 { return t })
	s.markers.init(max, func(t int64) int64 { return t })
	s.counters.init(max, func(c counter) int64 { return c.reset })
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
	now := s.now().UnixNano()
	u := unixNano(until)
	return s.deny.upsert(s.hashString(id), now, func(cur int64, live bool) (int64, bool) {
		if live && u <= cur {
			return cur, false
		}
		return u, u > now
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
	return s.deny.live(s.hashBytes(id), s.now().UnixNano()), nil
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
	return s.setIfAbsent(s.hashString(key), ttl)
}

// SetIfAbsentBytes is SetIfAbsent with the key as bytes, for callers that
// build keys per request (signature nonces): it allocates nothing and,
// being in-process map work only, takes no context.
func (s *Store) SetIfAbsentBytes(key []byte, ttl time.Duration) (bool, error) {
	if len(key) == 0 || len(key) > MaxKeyLen {
		return false, errKey
	}
	return s.setIfAbsent(s.hashBytes(key), ttl)
}

var errTTL = errors.New("keystore/memory: marker ttl must be positive")

func (s *Store) setIfAbsent(h hkey, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, errTTL
	}
	now := s.now().UnixNano()
	return s.markers.setIfAbsent(h, now, addSat(now, ttl))
}

// unixNano is t.UnixNano saturated to the int64 range (t.UnixNano wraps
// for dates outside 1678..2262, and a wrapped expiry could land in the
// past: a revocation dropped, a nonce accepted twice).
func unixNano(t time.Time) int64 {
	switch {
	case t.After(maxTime):
		return math.MaxInt64
	case t.Before(minTime):
		return math.MinInt64
	}
	return t.UnixNano()
}

var (
	maxTime = time.Unix(0, math.MaxInt64)
	minTime = time.Unix(0, math.MinInt64)
)

// addSat is now+d, saturated at math.MaxInt64 (d is positive).
func addSat(now int64, d time.Duration) int64 {
	if now > math.MaxInt64-int64(d) {
		return math.MaxInt64
	}
	return now + int64(d)
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
	now := s.now().UnixNano()
	var got counter
	err := s.counters.upsert(s.hashString(key), now, func(cur counter, live bool) (counter, bool) {
		if live {
			cur.n++
		} else {
			cur = counter{n: 1, reset: addSat(now, window)}
		}
		got = cur
		return cur, true
	})
	if err != nil {
		return 0, 0, err
	}
	return got.n, time.Duration(got.reset - now), nil
}

const numShards = 64

// table is one kind of entry: sharded maps, each behind its own mutex,
// and one count of entries across shards for the cap.
type table[V any] struct {
	shards [numShards]shard[V]
	count  atomic.Int64
	max    int64
	expiry func(V) int64
	// lastSweep (unix nanoseconds of the store clock) spaces full sweeps,
	// so a flood of new keys against a full kind costs one sweep per
	// interval, not one per request.
	lastSweep atomic.Int64
}

// sweepInterval is the least time between two full sweeps of a kind.
const sweepInterval = 100 * time.Millisecond

type shard[V any] struct {
	mu sync.Mutex
	m  map[hkey]V
}

func (t *table[V]) init(max int, expiry func(V) int64) {
	t.max = int64(max)
	t.expiry = expiry
	for i := range t.shards {
		t.shards[i].m = make(map[hkey]V)
	}
}

func (t *table[V]) shard(h hkey) *shard[V] { return &t.shards[h[0]%numShards] }

// live reports whether h holds an unexpired entry, dropping an expired one.
func (t *table[V]) live(h hkey, now int64) bool {
	sh := t.shard(h)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	v, ok := sh.m[h]
	if !ok {
		return false
	}
	if now < t.expiry(v) {
		return true
	}
	delete(sh.m, h)
	t.count.Add(-1)
	return false
}

// setIfAbsent stores v under h unless a live entry is there, and reports
// whether it stored. It is upsert for markers, without a callback (this is
// the per-signed-request path).
func (t *table[V]) setIfAbsent(h hkey, now int64, v V) (bool, error) {
	won := false
	err := t.upsert(h, now, func(cur V, live bool) (V, bool) {
		if live {
			return cur, false
		}
		won = true
		return v, true
	})
	if err != nil {
		return false, err
	}
	return won, nil
}

// upsert calls fn with key's current value (live false when absent or
// expired) and stores what fn returns when fn says so. A new key needs
// room: when the kind is full, expired entries are swept, first in the
// key's shard and then everywhere; if it is still full, ErrFull.
func (t *table[V]) upsert(h hkey, now int64, fn func(cur V, live bool) (V, bool)) error {
	sh := t.shard(h)
	for attempt := 0; ; attempt++ {
		sh.mu.Lock()
		cur, ok := sh.m[h]
		live := ok && now < t.expiry(cur)
		if ok && !live {
			delete(sh.m, h)
			t.count.Add(-1)
		}
		next, store := fn(cur, live)
		if !store {
			sh.mu.Unlock()
			return nil
		}
		if live {
			sh.m[h] = next
			sh.mu.Unlock()
			return nil
		}
		if t.reserve() || t.sweepLocked(sh, now) > 0 && t.reserve() {
			sh.m[h] = next
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
func (t *table[V]) sweepLocked(sh *shard[V], now int64) int {
	n := 0
	for k, v := range sh.m {
		if now >= t.expiry(v) {
			delete(sh.m, k)
			n++
		}
	}
	t.count.Add(int64(-n))
	return n
}

// sweepAll visits every shard, one lock at a time, unless another sweep
// ran less than sweepInterval ago.
func (t *table[V]) sweepAll(now int64) {
	last := t.lastSweep.Load()
	if now-last < int64(sweepInterval) || !t.lastSweep.CompareAndSwap(last, now) {
		return
	}
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		t.sweepLocked(sh, now)
		sh.mu.Unlock()
	}
}
