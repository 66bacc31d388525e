package verifier

import (
	"crypto/subtle"
	"hash/maphash"
	"strings"
	"sync"

	"github.com/gatehouse/gatehouse/keystore"
)

// tokenCache remembers bearer tokens whose signature and claims were
// verified, so a repeated token skips only the signature check and the
// parse (docs/design.md "Verified-token cache"). It is keyed by a keyed
// hash (maphash, per-process seed) of the whole compact token, and every
// hit compares the full token bytes in constant time, so a hash collision
// can never hand one token's claims to another. It never decides anything:
// the caller runs the same time, denylist, user and fingerprint checks on a
// hit as on a miss.
//
// Bounded and lock-light: at most maxEntries entries over up to 32 shards;
// a hit takes one shard read lock around a map lookup and a slot copy,
// allocates nothing and compares outside the lock. A full shard replaces an
// expired entry near its clock hand, else the entry under the hand. Entries
// live until min(insert+ttl, the time the caller gives, e.g. the token's
// exp). No lock is held across I/O: the cache is only touched before and
// after the store calls.
type tokenCache[T any] struct {
	seed     maphash.Seed
	hash     func(seed maphash.Seed, b []byte) uint64 // maphash.Bytes; tests force collisions
	ttl      int64                                    // nanoseconds
	n        uint64                                   // shards in use
	perShard int
	shards   [cacheShards]tokenShard[T]
}

type tokenShard[T any] struct {
	mu    sync.RWMutex
	keys  map[uint64]int32 // token hash → index in slots
	slots []tokenSlot[T]
	hand  int
	_     [40]byte // keep shards on separate cache lines
}

// tokenSlot is what a lookup copies out under the read lock; the entry it
// points to is immutable once published.
type tokenSlot[T any] struct {
	h   uint64 // hash of the token
	jti uint64 // hash of the jti, for revocations; 0: none
	sid uint64 // hash of the refresh-chain id; 0: none
	exp int64  // unix nanoseconds
	e   *tokenEntry[T]
}

type tokenEntry[T any] struct {
	token []byte // the whole compact token
	v     T      // owns its memory; never aliases a request or a scratch
}

// newTokenCache returns a cache of at most maxEntries entries, or nil
// (which every method accepts as "off") when maxEntries or ttl is not
// positive.
func newTokenCache[T any](ttlNanos int64, maxEntries int) *tokenCache[T] {
	if maxEntries <= 0 || ttlNanos <= 0 {
		return nil
	}
	n := maxEntries
	if n > cacheShards {
		n = cacheShards
	}
	c := &tokenCache[T]{seed: maphash.MakeSeed(), hash: maphash.Bytes, ttl: ttlNanos, n: uint64(n), perShard: maxEntries / n}
	for i := 0; i < n; i++ {
		c.shards[i].keys = make(map[uint64]int32)
	}
	return c
}

func (c *tokenCache[T]) shardOf(h uint64) *tokenShard[T] {
	return &c.shards[(h>>32)%c.n]
}

// get copies the value cached for token into out and reports whether there
// was a live one. It allocates nothing.
func (c *tokenCache[T]) get(token []byte, now int64, out *T) bool {
	if c == nil {
		return false
	}
	h := c.hash(c.seed, token)
	sh := c.shardOf(h)
	sh.mu.RLock()
	i, ok := sh.keys[h]
	var sl tokenSlot[T]
	if ok {
		sl = sh.slots[i]
	}
	sh.mu.RUnlock()
	if !ok || now >= sl.exp || len(sl.e.token) != len(token) ||
		subtle.ConstantTimeCompare(sl.e.token, token) != 1 {
		return false
	}
	*out = sl.e.v
	return true
}

// put caches v for token until min(now+ttl, until). v must own its memory
// (see AccessClaims' clone); token is copied. jti and sid name the token
// for revoke; either may be empty.
func (c *tokenCache[T]) put(token []byte, v T, jti, sid []byte, until, now int64) {
	if c == nil {
		return
	}
	exp := now + c.ttl
	if until < exp {
		exp = until
	}
	if exp <= now {
		return
	}
	sl := tokenSlot[T]{
		h:   c.hash(c.seed, token),
		jti: c.idHash(jti),
		sid: c.idHash(sid),
		exp: exp,
		e:   &tokenEntry[T]{token: append([]byte(nil), token...), v: v},
	}
	sh := c.shardOf(sl.h)
	sh.mu.Lock()
	switch i, ok := sh.keys[sl.h]; {
	case ok: // the same token again, or a collision: the newer one wins
		sh.slots[i] = sl
	case len(sh.slots) < c.perShard:
		sh.keys[sl.h] = int32(len(sh.slots))
		sh.slots = append(sh.slots, sl)
	default:
		victim := sh.hand
		for k := 0; k < 8; k++ {
			if j := (sh.hand + k) % len(sh.slots); sh.slots[j].exp <= now {
				victim = j
				break
			}
		}
		delete(sh.keys, sh.slots[victim].h)
		sh.slots[victim] = sl
		sh.keys[sl.h] = int32(victim)
		sh.hand = (victim + 1) % len(sh.slots)
	}
	sh.mu.Unlock()
}

// idHash is the hash revoke matches on; a false match only drops an entry
// early, which is always safe.
func (c *tokenCache[T]) idHash(id []byte) uint64 {
	if len(id) == 0 {
		return 0
	}
	return c.hash(c.seed, id) | 1
}

// revoke drops every entry of the denylist id: a jti, or a refresh chain
// (keystore.ChainDenyPrefix + sid). Other ids name no cached token.
func (c *tokenCache[T]) revoke(id string) {
	if c == nil || id == "" {
		return
	}
	chain := strings.HasPrefix(id, keystore.ChainDenyPrefix)
	if chain {
		id = id[len(keystore.ChainDenyPrefix):]
	}
	want := c.idHash([]byte(id))
	for i := uint64(0); i < c.n; i++ {
		sh := &c.shards[i]
		sh.mu.Lock()
		for j := 0; j < len(sh.slots); {
			sl := &sh.slots[j]
			if (chain && sl.sid == want) || (!chain && sl.jti == want) {
				sh.removeAt(j)
				continue
			}
			j++
		}
		sh.mu.Unlock()
	}
}

// removeAt drops slot j by moving the last slot into its place. The caller
// holds the write lock.
func (sh *tokenShard[T]) removeAt(j int) {
	last := len(sh.slots) - 1
	delete(sh.keys, sh.slots[j].h)
	if j != last {
		sh.slots[j] = sh.slots[last]
		sh.keys[sh.slots[j].h] = int32(j)
	}
	sh.slots[last] = tokenSlot[T]{}
	sh.slots = sh.slots[:last]
	if sh.hand >= len(sh.slots) {
		sh.hand = 0
	}
}

// clear drops everything.
func (c *tokenCache[T]) clear() {
	if c == nil {
		return
	}
	for i := uint64(0); i < c.n; i++ {
		sh := &c.shards[i]
		sh.mu.Lock()
		clear(sh.keys)
		clear(sh.slots)
		sh.slots = sh.slots[:0]
		sh.hand = 0
		sh.mu.Unlock()
	}
}

// len counts the entries, live or expired.
func (c *tokenCache[T]) len() int {
	if c == nil {
		return 0
	}
	n := 0
	for i := uint64(0); i < c.n; i++ {
		sh := &c.shards[i]
		sh.mu.RLock()
		n += len(sh.slots)
		sh.mu.RUnlock()
	}
	return n
}
