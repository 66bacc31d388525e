package loginui

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

	"github.com/gatehouse/gatehouse/keystore"
)

// limiterKey derives the counter key of (slot, parts): an HMAC digest, so
// the counter store never holds a raw email or address.
func (p *Portal) limiterKey(slot string, parts ...string) string {
	m := hmac.New(sha256.New, p.limitKey)
	var l [4]byte
	for _, s := range append([]string{slot}, parts...) {
		binary.BigEndian.PutUint32(l[:], uint32(len(s)))
		m.Write(l[:])
		m.Write([]byte(s))
	}
	return "rl:" + slot + ":" + hex.EncodeToString(m.Sum(nil)[:16])
}

// rate counts one event for each key of slot, in order, and stops at the
// first key that is over its limit: later keys are neither counted nor
// created. It returns nil when the request may proceed, a 429 opErr (with
// RetryAfter) when a key is over its limit or has no room, and a 503 opErr
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
// counts as a failed login and never locks an account (see countFailure).
func (p *Portal) rate(r *http.Request, slot string, keys ...[]string) *opErr {
	lim := p.o.RateLimits[slot]
	if lim.Max <= 0 {
		return nil
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	for _, parts := range keys {
		n, reset, err := p.counters.Incr(ctx, p.limiterKey(slot, parts...), lim.Window)
		switch {
		case errors.Is(err, keystore.ErrFull):
			return p.limited(slot, lim.Window)
		case err != nil:
			return opStore
		case n > int64(lim.Max):
			return p.limited(slot, reset)
		}
	}
	return nil
}

// limited is the 429 answer of slot, retry after reset.
func (p *Portal) limited(slot string, reset time.Duration) *opErr {
	secs := int(math.Ceil(reset.Seconds()))
	if secs < 1 {
		secs = 1
	}
	p.log.Info().Str("audit", "rate_limited").Str("slot", slot).Msg("audit")
	if p.o.OnRateLimited != nil {
		p.o.OnRateLimited(slot)
	}
	return &opErr{Status: http.StatusTooManyRequests, Code: CodeRateLimited, Detail: "too many requests; retry later", RetryAfter: secs}
}

// allow is rate for JSON routes: it writes the error and reports whether
// the request may proceed.
func (p *Portal) allow(w http.ResponseWriter, r *http.Request, slot string, keys ...[]string) bool {
	if e := p.rate(r, slot, keys...); e != nil {
		e.WriteJSON(w)
		return false
	}
	return true
}

// localCounters is the in-process fixed-window limiter used when no shared
// counter store is configured. It holds at most maxKeys keys; when full it
// drops expired windows and, if still full, refuses new keys with
// keystore.ErrFull (callers fail closed).
type localCounters struct {
	mu      sync.Mutex
	maxKeys int
	now     func() time.Time
	m       map[string]*localWindow
}

type localWindow struct {
	count int64
	ends  time.Time
}

var _ keystore.Counters = (*localCounters)(nil)

func newLocalCounters(maxKeys int, now func() time.Time) *localCounters {
	return &localCounters{maxKeys: maxKeys, now: now, m: make(map[string]*localWindow)}
}

// Incr implements keystore.Counters.
func (c *localCounters) Incr(_ context.Context, key string, window time.Duration) (int64, time.Duration, error) {
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
