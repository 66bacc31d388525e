package loginui_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/memory"
	"github.com/gatehouse/gatehouse/loginui"
)

// limiterBackends are the two bounded, in-process counter tables a portal
// can run on: the shared memory store and the portal's own fallback.
func limiterBackends(maxKeys int) []struct {
	name string
	mod  func(o *loginui.Options, clock func() time.Time)
} {
	return []struct {
		name string
		mod  func(o *loginui.Options, clock func() time.Time)
	}{
		{"keystore/memory", func(o *loginui.Options, clock func() time.Time) {
			o.Counters = memory.New(memory.Options{MaxEntries: maxKeys, Clock: clock})
		}},
		{"local limiter", func(o *loginui.Options, _ func() time.Time) {
			o.Counters = nil
			o.LocalLimiterMaxKeys = maxKeys
		}},
	}
}

// TestOneClientCannotFillTheRateLimitTable: one IP sending 10,000
// requests with a fresh identifier each (forgot-password, verify-token
// resend and login) creates at most a bounded number of counter keys, so
// a table that holds far fewer than 10,000 keys still has room and
// another IP's login is not refused. Before the fix every request created
// its identifier key even after the IP was over its limit, the table
// filled up and everyone got 429.
func TestOneClientCannotFillTheRateLimitTable(t *testing.T) {
	const (
		maxKeys  = 500
		requests = 10_000
		workers  = 8
	)
	for _, be := range limiterBackends(maxKeys) {
		t.Run(be.name, func(t *testing.T) {
			h := newHarness(t, func(o *loginui.Options) {
				o.RateLimits = nil // the defaults
				o.MinResponseTime = time.Nanosecond
				o.Lockout = loginui.RateLimit{Max: 5, Window: time.Hour}
				be.mod(o, o.Now)
			})
			h.addUser("victim@example.test", false)
			attacker := []string{"X-Forwarded-For", "198.51.100.7"}
			routes := []struct {
				path string
				body func(i int) any
			}{
				{"/api/auth/forgot-password", func(i int) any { return map[string]string{"email": fmt.Sprintf("f%d@example.test", i)} }},
				{"/api/auth/request-verify-token", func(i int) any { return map[string]string{"email": fmt.Sprintf("v%d@example.test", i)} }},
				{"/api/auth/login", func(i int) any {
					return map[string]string{"identifier": fmt.Sprintf("l%d@example.test", i), "password": "wrong password " + strconv.Itoa(i)}
				}},
			}
			var next atomic.Int64
			var limited atomic.Int64
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := h.client()
					for {
						i := int(next.Add(1)) - 1
						if i >= requests {
							return
						}
						rt := routes[i%len(routes)]
						if r := c.do("POST", rt.path, rt.body(i), attacker...); r.status == 429 {
							limited.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			if limited.Load() < requests-100 {
				t.Fatalf("only %d of %d flood requests were rate limited", limited.Load(), requests)
			}
			r := h.client().do("POST", "/api/auth/login", map[string]string{"identifier": "victim@example.test", "password": testPassword},
				"X-Forwarded-For", "203.0.113.20")
			if r.status != 200 {
				t.Fatalf("another IP's login after the flood: %d %s", r.status, r.body)
			}
		})
	}
}

// TestFullCounterTableNeverLocksAccount: when the counter table is full
// (filled by many clients), a failed login cannot be counted; it must not
// lock the account either. Before the fix a full table counted as the
// lockout limit, so one wrong password locked the account.
func TestFullCounterTableNeverLocksAccount(t *testing.T) {
	const maxKeys = 1000
	mem := memory.New(memory.Options{MaxEntries: maxKeys})
	h := newHarness(t, func(o *loginui.Options) {
		o.Counters = mem
		o.Lockout = loginui.RateLimit{Max: 3, Window: time.Hour}
	})
	h.addUser("victim@example.test", false)
	from := []string{"X-Forwarded-For", "203.0.113.20"}
	login := func(pw string) resp {
		return h.client().do("POST", "/api/auth/login", map[string]string{"identifier": "victim@example.test", "password": pw}, from...)
	}
	if r := login(testPassword); r.status != 200 {
		t.Fatalf("first login: %d %s", r.status, r.body)
	}
	// Everyone else's traffic fills the table.
	for i := 0; ; i++ {
		if _, _, err := mem.Incr(context.Background(), "filler:"+strconv.Itoa(i), time.Hour); err != nil {
			if i < maxKeys/2 {
				t.Fatalf("table full after %d keys: %v", i, err)
			}
			break
		}
	}
	if _, _, err := mem.Incr(context.Background(), "probe", time.Hour); !errors.Is(err, keystore.ErrFull) {
		t.Fatalf("table not full: %v", err)
	}
	if r := login("a wrong password"); r.status != 400 {
		t.Fatalf("wrong password with a full table: %d %s", r.status, r.body)
	}
	if r := login(testPassword); r.status != 200 {
		t.Fatalf("the account is locked after one failure against a full table: %d %s", r.status, r.body)
	}
}
