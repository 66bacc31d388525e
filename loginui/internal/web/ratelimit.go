package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse/internal/errcode"
	"github.com/gatehouse/gatehouse/keystore"
)

// RateLimit allows Max events per fixed Window. Max <= 0 disables the slot.
type RateLimit struct {
	Max    int
	Window time.Duration
}

// Limiter counts requests per slot and key in a keystore.Counters.
type Limiter struct {
	Secret   []byte               // keys the HMAC of counter keys
	Counters keystore.Counters    // where the counts live
	Limits   map[string]RateLimit // slot -> limit; a missing slot is unlimited
	Timeout  time.Duration        // bounds one request's counter-store calls
	// OnLimited is called with the slot of every refusal over a limit
	// (audit log, metrics). It must not block.
	OnLimited func(slot string)
}

// Key derives the counter key of (slot, parts): an HMAC digest, so the
// counter store never holds a raw email or address.
func (l *Limiter) Key(slot string, parts ...string) string {
	m := hmac.New(sha256.New, l.Secret)
	var n [4]byte
	for _, s := range append([]string{slot}, parts...) {
		binary.BigEndian.PutUint32(n[:], uint32(len(s)))
		m.Write(n[:])
		m.Write([]byte(s))
	}
	return "rl:" + slot + ":" + hex.EncodeToString(m.Sum(nil)[:16])
}

// Allow counts one event for each key of slot, in order, and stops at the
// first key that is over its limit: later keys are neither counted nor
// created. It returns nil when the request may proceed, a 429 Error (with
// RetryAfter) when a key is over its limit or has no room, and Unavailable
// when the counter store fails (fail closed).
//
// Callers pass the client's own key first (the IP for anonymous routes,
// the user for authenticated ones) and identifier keys (an email, a login
// name) after it. An IP therefore creates at most one new identifier key
// per request it is allowed, so at most Max of them per window and slot:
// one client cannot fill the bounded counter table. When the table is
// full anyway (keystore.ErrFull, only from the in-process stores), the
// request is refused like one over its limit: a key we cannot create is a
// limit we cannot enforce. The refusal is for this request only; it never
// counts as a failed login and never locks an account (the core's
// lockout counter is separate).
func (l *Limiter) Allow(r *http.Request, slot string, keys ...[]string) *Error {
	lim := l.Limits[slot]
	if lim.Max <= 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), l.Timeout)
	defer cancel()
	for _, parts := range keys {
		n, reset, err := l.Counters.Incr(ctx, l.Key(slot, parts...), lim.Window)
		switch {
		case errors.Is(err, keystore.ErrFull):
			return l.limited(slot, lim.Window)
		case err != nil:
			return Unavailable
		case n > int64(lim.Max):
			return l.limited(slot, reset)
		}
	}
	return nil
}

// limited is the 429 answer of slot, retry after reset.
func (l *Limiter) limited(slot string, reset time.Duration) *Error {
	secs := int(math.Ceil(reset.Seconds()))
	if secs < 1 {
		secs = 1
	}
	if l.OnLimited != nil {
		l.OnLimited(slot)
	}
	return &Error{Status: http.StatusTooManyRequests, Code: errcode.RateLimited, Detail: "too many requests; retry later", RetryAfter: secs}
}

// LocalCounters is the in-process fixed-window limiter used when no shared
// counter store is configured. It holds at most maxKeys keys; when full it
// drops expired windows and, if still full, refuses new keys with
// keystore.ErrFull (callers fail closed).
type LocalCounters struct {
	mu      sync.Mutex
	maxKeys int
	now     func() time.Time
	m       map[string]*localWindow
}

type localWindow struct {
	count int64
	ends  time.Time
}

var _ keystore.Counters = (*LocalCounters)(nil)

// NewLocalCounters returns an empty table of at most maxKeys keys.
func NewLocalCounters(maxKeys int, now func() time.Time) *LocalCounters {
	return &LocalCounters{maxKeys: maxKeys, now: now, m: make(map[string]*localWindow)}
}

// Incr implements keystore.Counters.
func (c *LocalCounters) Incr(_ context.Context, key string, window time.Duration) (int64, time.Duration, error) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.m[key]
	if ok && !now.Before(w.ends) {
		delete(c.m, key)
		ok = false
	}
	if !ok {
		if len(c.m) >= c.maxKeys {
			for k, v := range c.m {
				if !now.Before(v.ends) {
					delete(c.m, k)
				}
			}
			if len(c.m) >= c.maxKeys {
				return 0, 0, keystore.ErrFull
			}
		}
		w = &localWindow{ends: now.Add(window)}
		c.m[key] = w
	}
	w.count++
	return w.count, w.ends.Sub(now), nil
}
