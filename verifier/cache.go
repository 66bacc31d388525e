package verifier

import (
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

// ttlCache is a sharded map of immutable snapshots with a short time to
// live. Lookups take a shard read lock for a map access only (never across
// I/O) and index the map with m[string(b)], which does not allocate. A
// shard that reaches its bound drops expired entries and, if still full,
// arbitrary ones: the cache is an accelerator, never the source of truth.
type ttlCache[T any] struct {
	seed     maphash.Seed
	ttl      int64 // nanoseconds
	perShard int
	shards   [cacheShards]cacheShard[T]
}

const cacheShards = 32

type cacheShard[T any] struct {
	mu sync.RWMutex
	m  map[string]cacheEntry[T]
	_  [40]byte // keep shards on separate cache lines
}

type cacheEntry[T any] struct {
	v   T
	exp int64 // unix nanoseconds
}

func newTTLCache[T any](ttlNanos int64, maxEntries int) *ttlCache[T] {
	per := maxEntries / cacheShards
	if per < 16 {
		per = 16
	}
	c := &ttlCache[T]{seed: maphash.MakeSeed(), ttl: ttlNanos, perShard: per}
	for i := range c.shards {
		c.shards[i].m = make(map[string]cacheEntry[T])
	}
	return c
}

func (c *ttlCache[T]) shard(key []byte) *cacheShard[T] {
	return &c.shards[maphash.Bytes(c.seed, key)%cacheShards]
}

// get returns the fresh value under key.
func (c *ttlCache[T]) get(key []byte, now int64) (T, bool) {
	s := c.shard(key)
	s.mu.RLock()
	e, ok := s.m[string(key)]
	s.mu.RUnlock()
	if !ok || now >= e.exp {
		var zero T
		return zero, false
	}
	return e.v, true
}

// stale returns the value under key even when expired.
func (c *ttlCache[T]) stale(key []byte) (T, bool) {
	s := c.shard(key)
	s.mu.RLock()
	e, ok := s.m[string(key)]
	s.mu.RUnlock()
	return e.v, ok
}

// put stores v under key until now+ttl.
func (c *ttlCache[T]) put(key string, v T, now int64) {
	s := c.shard([]byte(key))
	s.mu.Lock()
	if _, exists := s.m[key]; !exists && len(s.m) >= c.perShard {
		n := 0
		for k, e := range s.m {
			if now >= e.exp {
				delete(s.m, k)
			}
			if n++; n > 64 {
				break
			}
		}
		if len(s.m) >= c.perShard {
			for k := range s.m {
				delete(s.m, k)
				break
			}
		}
	}
	s.m[key] = cacheEntry[T]{v: v, exp: now + c.ttl}
	s.mu.Unlock()
}

// invalidate drops key.
func (c *ttlCache[T]) invalidate(key string) {
	s := c.shard([]byte(key))
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
}

// clear drops everything.
func (c *ttlCache[T]) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		clear(s.m)
		s.mu.Unlock()
	}
}

// userSnap is an immutable copy of a user record with what the hot path
// derives from it precomputed.
type userSnap struct {
	found       bool
	id          string
	email       string
	name        string
	roles       []string
	rolesCSV    string
	superuser   bool
	active      bool
	verified    bool
	verifiedAt  int64 // unix nanoseconds the current email was verified; 0: unknown or unverified
	totpEnabled bool
	fingerprint []byte // SessionFingerprint of the current record
}

func (u *userSnap) hasRole(r string) bool {
	for _, x := range u.roles {
		if x == r {
			return true
		}
	}
	return false
}

// keySnap is an immutable copy of an API key record.
type keySnap struct {
	found           bool
	keyID           string
	userID          string
	env             string
	digest          []byte
	scopes          []string
	signingRequired bool
	signingSecret   string // Fernet envelope
	createdAt       int64  // unix nanoseconds
	expiresAt       int64  // unix nanoseconds, 0: never
	revokedAt       int64  // unix nanoseconds, 0: not revoked
	// touched is the unix-nanosecond time last_used_at was last queued for
	// a write. It is shared by successive snapshots of the same key.
	touched *atomic.Int64
}

// sessionSnap is an immutable copy of a session record.
type sessionSnap struct {
	found       bool
	userID      string
	kind        string
	expiresAt   int64
	stepUpUntil int64
	// factors is the login's keystore.ParseAuthMethod, parsed once per
	// snapshot so a rule's auth_methods check allocates nothing.
	factors keystore.AuthFactors
}

// secretSnap is a decrypted signing secret with the envelope it came from,
// so a re-keyed or rotated envelope is decrypted again.
type secretSnap struct {
	envelope string
	key      *signing.LSA1Key // the decrypted secret, keyed for HMAC once
}

func snapUser(u *keystore.User, fingerprint []byte) *userSnap {
	s := &userSnap{
		found:       true,
		id:          u.ID,
		email:       u.Email,
		name:        u.DisplayName,
		superuser:   u.Superuser,
		active:      u.Active,
		verified:    u.Verified,
		totpEnabled: u.TOTPEnabled,
		fingerprint: fingerprint,
	}
	if u.Verified && !u.EmailVerifiedAt.IsZero() {
		s.verifiedAt = u.EmailVerifiedAt.UnixNano()
	}
	s.roles = make([]string, 0, len(u.Roles))
	n := 0
	for _, r := range u.Roles {
		if r != "" {
			s.roles = append(s.roles, r)
			n += len(r) + 1
		}
	}
	// Remote-Groups carries only names that survive a comma-separated
	// header unchanged; the rest still count for rule matching.
	b := make([]byte, 0, n)
	for _, r := range s.roles {
		if !headerSafe(r) || containsByte(r, ',') || containsByte(r, ' ') {
			continue
		}
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = append(b, r...)
	}
	s.rolesCSV = string(b)
	if !headerSafe(s.email) {
		s.email = ""
	}
	if !headerSafe(s.name) {
		s.name = ""
	}
	return s
}

func snapKey(k *keystore.APIKey, touched *atomic.Int64) *keySnap {
	s := &keySnap{
		found:           true,
		keyID:           k.KeyID,
		userID:          k.UserID,
		env:             k.Env,
		digest:          append([]byte(nil), k.Digest...),
		signingRequired: k.SigningRequired,
		signingSecret:   k.SigningSecret,
		touched:         touched,
	}
	for _, sc := range k.Scopes {
		if sc != "" && headerSafe(sc) && !containsByte(sc, ',') {
			s.scopes = append(s.scopes, sc)
		}
	}
	if !k.CreatedAt.IsZero() {
		s.createdAt = k.CreatedAt.UnixNano()
	}
	if !k.ExpiresAt.IsZero() {
		s.expiresAt = k.ExpiresAt.UnixNano()
	}
	if !k.RevokedAt.IsZero() {
		s.revokedAt = k.RevokedAt.UnixNano()
	}
	if s.touched == nil {
		s.touched = new(atomic.Int64)
		if !k.LastUsedAt.IsZero() {
			s.touched.Store(k.LastUsedAt.UnixNano())
		}
	}
	return s
}

// headerSafe reports whether s can go into a response header unchanged:
// printable ASCII or UTF-8 without control bytes.
func headerSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}
