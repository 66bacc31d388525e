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

// rate counts one event for each key of slot. It returns nil when the
// request may proceed, a 429 opErr (with RetryAfter) when any key is over
// its limit or the in-process limiter is full, and a 503 opErr when the
// counter store fails (fail closed).
func (p *Portal) rate(r *http.Request, slot string, keys ...[]string) *opErr {
	lim := p.o.RateLimits[slot]
	if lim.Max <= 0 {
		return nil
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	var worst time.Duration
	over := false
	for _, parts := range keys {
		n, reset, err := p.counters.Incr(ctx, p.limiterKey(slot, parts...), lim.Window)
		switch {
		case errors.Is(err, keystore.ErrFull):
			over, reset = true, lim.Window
		case err != nil:
			return opStore
		case n > int64(lim.Max):
			over = true
		default:
			continue
		}
		if reset > worst {
			worst = reset
		}
	}
	if !over {
		return nil
	}
	secs := int(math.Ceil(worst.Seconds()))
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
		e.write(w)
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
