package memory_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/memory"
)

var bg = context.Background()

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func denied(t *testing.T, s *memory.Store, id string) bool {
	t.Helper()
	ok, err := s.IsDenied(bg, []byte(id))
	if err != nil {
		t.Fatalf("IsDenied(%q): %v", id, err)
	}
	return ok
}

func TestDenylistExpiresWithClock(t *testing.T) {
	clock := newClock()
	s := memory.New(memory.Options{Clock: clock.Now})
	now := clock.Now()
	for id, until := range map[string]time.Time{
		"short": now.Add(time.Second),
		"long":  now.Add(time.Hour),
		"past":  now.Add(-time.Second),
		"now":   now,
	} {
		if err := s.Deny(bg, id, until); err != nil {
			t.Fatal(err)
		}
	}
	// Extending works, shortening does not.
	if err := s.Deny(bg, "short", now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		after time.Duration
		want  map[string]bool
	}{
		{0, map[string]bool{"short": true, "long": true, "past": false, "now": false, "unknown": false, "": false}},
		{999 * time.Millisecond, map[string]bool{"short": true, "long": true}},
		{time.Millisecond, map[string]bool{"short": false, "long": true}},
		{time.Hour, map[string]bool{"short": false, "long": false}},
	}
	for _, c := range cases {
		clock.Advance(c.after)
		for id, want := range c.want {
			if got := denied(t, s, id); got != want {
				t.Errorf("after +%v: IsDenied(%q) = %v, want %v", c.after, id, got, want)
			}
		}
	}
	if d, _, _ := s.Len(); d != 0 {
		t.Errorf("%d denylist entries left after everything expired and was looked up", d)
	}
}

func TestDenyExtendsEntry(t *testing.T) {
	clock := newClock()
	s := memory.New(memory.Options{Clock: clock.Now})
	now := clock.Now()
	if err := s.Deny(bg, "jti", now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.Deny(bg, "jti", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	clock.Advance(30 * time.Second)
	if !denied(t, s, "jti") {
		t.Error("a later Deny did not extend the entry")
	}
}

func TestMarkersExpireAndCanBeSetAgain(t *testing.T) {
	clock := newClock()
	s := memory.New(memory.Options{Clock: clock.Now})
	set := func(key string, want bool) {
		t.Helper()
		got, err := s.SetIfAbsent(bg, key, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("SetIfAbsent(%q) = %v, want %v", key, got, want)
		}
	}
	set("nonce-1", true)
	set("nonce-1", false)
	set("nonce-2", true)
	clock.Advance(59 * time.Second)
	set("nonce-1", false)
	clock.Advance(time.Second)
	set("nonce-1", true)
	set("nonce-1", false)
}

func TestSetIfAbsentExactlyOneWinner(t *testing.T) {
	s := memory.New(memory.Options{})
	for round := 0; round < 100; round++ {
		key := fmt.Sprintf("totp:user:%d", round)
		var wins atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ok, err := s.SetIfAbsent(bg, key, time.Minute)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("round %d: %d winners, want exactly 1", round, n)
		}
	}
}

func TestCountersResetWithWindow(t *testing.T) {
	clock := newClock()
	s := memory.New(memory.Options{Clock: clock.Now})
	incr := func(key string, wantN int64, wantReset time.Duration) {
		t.Helper()
		n, reset, err := s.Incr(bg, key, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if n != wantN || reset != wantReset {
			t.Errorf("Incr(%q) = %d, %v; want %d, %v", key, n, reset, wantN, wantReset)
		}
	}
	incr("login:ip", 1, 10*time.Second)
	clock.Advance(3 * time.Second)
	incr("login:ip", 2, 7*time.Second)
	incr("login:other", 1, 10*time.Second)
	clock.Advance(6 * time.Second)
	incr("login:ip", 3, time.Second)
	clock.Advance(time.Second)
	incr("login:ip", 1, 10*time.Second)
	incr("login:other", 2, 3*time.Second)
}

func TestCapacityFailsClosedForNewKeysOnly(t *testing.T) {
	clock := newClock()
	const max = 40
	s := memory.New(memory.Options{MaxEntries: max, Clock: clock.Now})
	now := clock.Now()
	for i := 0; i < max; i++ {
		if err := s.Deny(bg, fmt.Sprintf("jti-%d", i), now.Add(time.Minute)); err != nil {
			t.Fatalf("Deny %d: %v", i, err)
		}
		if _, err := s.SetIfAbsent(bg, fmt.Sprintf("n-%d", i), time.Minute); err != nil {
			t.Fatalf("SetIfAbsent %d: %v", i, err)
		}
		if _, _, err := s.Incr(bg, fmt.Sprintf("c-%d", i), time.Minute); err != nil {
			t.Fatalf("Incr %d: %v", i, err)
		}
	}

	// New keys are refused in every kind.
	if err := s.Deny(bg, "jti-new", now.Add(time.Minute)); !errors.Is(err, keystore.ErrFull) {
		t.Errorf("Deny when full: err = %v, want ErrFull", err)
	}
	if ok, err := s.SetIfAbsent(bg, "n-new", time.Minute); !errors.Is(err, keystore.ErrFull) || ok {
		t.Errorf("SetIfAbsent when full = %v, %v; want false, ErrFull", ok, err)
	}
	if _, _, err := s.Incr(bg, "c-new", time.Minute); !errors.Is(err, keystore.ErrFull) {
		t.Errorf("Incr when full: err = %v, want ErrFull", err)
	}
	if denied(t, s, "jti-new") {
		t.Error("a refused Deny still denies")
	}

	// Existing keys keep working.
	if !denied(t, s, "jti-0") {
		t.Error("existing denylist entry lost when full")
	}
	if err := s.Deny(bg, "jti-0", now.Add(time.Hour)); err != nil {
		t.Errorf("extending an existing entry when full: %v", err)
	}
	if ok, err := s.SetIfAbsent(bg, "n-0", time.Minute); err != nil || ok {
		t.Errorf("SetIfAbsent on existing marker when full = %v, %v; want false, nil", ok, err)
	}
	if n, _, err := s.Incr(bg, "c-0", time.Minute); err != nil || n != 2 {
		t.Errorf("Incr on existing counter when full = %d, %v; want 2, nil", n, err)
	}

	// Once entries expire there is room again.
	clock.Advance(time.Minute)
	if err := s.Deny(bg, "jti-new", clock.Now().Add(time.Minute)); err != nil {
		t.Errorf("Deny after expiry freed room: %v", err)
	}
	if ok, err := s.SetIfAbsent(bg, "n-new", time.Minute); err != nil || !ok {
		t.Errorf("SetIfAbsent after expiry = %v, %v; want true", ok, err)
	}
	if n, _, err := s.Incr(bg, "c-new", time.Minute); err != nil || n != 1 {
		t.Errorf("Incr after expiry = %d, %v; want 1", n, err)
	}
	if !denied(t, s, "jti-0") {
		t.Error("the extended entry expired with the others")
	}
	d, m, c := s.Len()
	if d > max || m > max || c > max {
		t.Errorf("Len = %d, %d, %d; cap is %d", d, m, c, max)
	}
}

func TestHostileInputsAreRefused(t *testing.T) {
	s := memory.New(memory.Options{})
	long := strings.Repeat("k", memory.MaxKeyLen+1)
	canceled, cancel := context.WithCancel(bg)
	cancel()
	future := time.Now().Add(time.Hour)
	cases := []struct {
		name string
		err  error
	}{
		{"Deny empty id", s.Deny(bg, "", future)},
		{"Deny oversize id", s.Deny(bg, long, future)},
		{"Deny canceled", s.Deny(canceled, "x", future)},
		{"SetIfAbsent empty key", second(s.SetIfAbsent(bg, "", time.Minute))},
		{"SetIfAbsent oversize key", second(s.SetIfAbsent(bg, long, time.Minute))},
		{"SetIfAbsent zero ttl", second(s.SetIfAbsent(bg, "k", 0))},
		{"SetIfAbsent negative ttl", second(s.SetIfAbsent(bg, "k", -time.Second))},
		{"SetIfAbsent canceled", second(s.SetIfAbsent(canceled, "k", time.Minute))},
		{"Incr empty key", third(s.Incr(bg, "", time.Minute))},
		{"Incr oversize key", third(s.Incr(bg, long, time.Minute))},
		{"Incr zero window", third(s.Incr(bg, "k", 0))},
		{"Incr canceled", third(s.Incr(canceled, "k", time.Minute))},
		{"IsDenied canceled", second(s.IsDenied(canceled, []byte("x")))},
	}
	for _, c := range cases {
		if c.err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	if d, m, n := s.Len(); d+m+n != 0 {
		t.Errorf("refused calls stored %d entries", d+m+n)
	}
	if ok, err := s.IsDenied(bg, []byte(long)); ok || err != nil {
		t.Errorf("IsDenied(oversize) = %v, %v", ok, err)
	}
}

func second[T any](_ T, err error) error { return err }

func third[T, U any](_ T, _ U, err error) error { return err }

// TestKeysAreCopied: a caller that reuses the memory behind a key must
// not change what is stored.
func TestKeysAreCopied(t *testing.T) {
	s := memory.New(memory.Options{})
	buf := []byte("jti-aaaa")
	// A hot path may hand over a string that shares a reused buffer.
	key := unsafe.String(&buf[0], len(buf))
	if err := s.Deny(bg, key, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	buf[4] = 'b'
	if !denied(t, s, "jti-aaaa") || denied(t, s, string(buf)) {
		t.Error("stored key changed with the caller's buffer")
	}
}

// TestConcurrentMixedUse exercises every kind from many goroutines; run
// with -race.
func TestConcurrentMixedUse(t *testing.T) {
	clock := newClock()
	s := memory.New(memory.Options{MaxEntries: 500, Clock: clock.Now})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 400; i++ {
				key := fmt.Sprintf("k-%d", (g*400+i)%700)
				if err := s.Deny(bg, key, clock.Now().Add(time.Second)); err != nil && !errors.Is(err, keystore.ErrFull) {
					t.Error(err)
				}
				if _, err := s.IsDenied(bg, []byte(key)); err != nil {
					t.Error(err)
				}
				if _, err := s.SetIfAbsent(bg, key, time.Second); err != nil && !errors.Is(err, keystore.ErrFull) {
					t.Error(err)
				}
				if _, _, err := s.Incr(bg, key, time.Second); err != nil && !errors.Is(err, keystore.ErrFull) {
					t.Error(err)
				}
				if i%100 == 0 {
					clock.Advance(300 * time.Millisecond)
				}
			}
		}(g)
	}
	wg.Wait()
	d, m, c := s.Len()
	if d > 500 || m > 500 || c > 500 || d < 0 || m < 0 || c < 0 {
		t.Errorf("Len = %d, %d, %d outside [0, 500]", d, m, c)
	}
}

func BenchmarkIsDenied(b *testing.B) {
	s := memory.New(memory.Options{})
	for i := 0; i < 10_000; i++ {
		_ = s.Deny(bg, fmt.Sprintf("jti-%d", i), time.Now().Add(time.Hour))
	}
	hit, miss := []byte("jti-4242"), []byte("jti-unknown")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i&1 == 0 {
			_, _ = s.IsDenied(bg, hit)
		} else {
			_, _ = s.IsDenied(bg, miss)
		}
	}
}

// TestFarExpiriesDoNotWrap: an expiry past 2262 (a Deny until a far date,
// a huge marker ttl or counter window) must not wrap into the past and
// drop the entry.
func TestFarExpiriesDoNotWrap(t *testing.T) {
	clock := newClock()
	s := memory.New(memory.Options{Clock: clock.Now})
	if err := s.Deny(bg, "jti-far", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if !denied(t, s, "jti-far") {
		t.Error("a revocation until the year 3000 was dropped")
	}
	if ok, err := s.SetIfAbsent(bg, "nonce-far", time.Duration(math.MaxInt64)); !ok || err != nil {
		t.Fatalf("SetIfAbsent = %v, %v", ok, err)
	}
	if ok, _ := s.SetIfAbsent(bg, "nonce-far", time.Minute); ok {
		t.Error("a marker with a huge ttl was set again")
	}
	if _, _, err := s.Incr(bg, "ctr-far", time.Duration(math.MaxInt64)); err != nil {
		t.Fatal(err)
	}
	if n, reset, _ := s.Incr(bg, "ctr-far", time.Duration(math.MaxInt64)); n != 2 || reset <= 0 {
		t.Errorf("Incr = %d, %s; want 2 and a positive reset", n, reset)
	}
}

// TestSetIfAbsentBytesIsSetIfAbsent: the bytes form and the string form
// share one set of markers and refuse the same hostile keys.
func TestSetIfAbsentBytesIsSetIfAbsent(t *testing.T) {
	s := memory.New(memory.Options{})
	if ok, err := s.SetIfAbsentBytes([]byte("lsa1:k:n1"), time.Minute); !ok || err != nil {
		t.Fatalf("first = %v, %v", ok, err)
	}
	if ok, err := s.SetIfAbsent(bg, "lsa1:k:n1", time.Minute); ok || err != nil {
		t.Errorf("string form after bytes form = %v, %v; want false (replay)", ok, err)
	}
	if ok, err := s.SetIfAbsent(bg, "lsa1:k:n2", time.Minute); !ok || err != nil {
		t.Fatalf("string first = %v, %v", ok, err)
	}
	if ok, err := s.SetIfAbsentBytes([]byte("lsa1:k:n2"), time.Minute); ok || err != nil {
		t.Errorf("bytes form after string form = %v, %v; want false (replay)", ok, err)
	}
	for _, c := range []struct {
		name string
		key  []byte
		ttl  time.Duration
	}{{"empty", nil, time.Minute}, {"oversize", bytes.Repeat([]byte("k"), memory.MaxKeyLen+1), time.Minute}, {"zero ttl", []byte("k"), 0}} {
		if ok, err := s.SetIfAbsentBytes(c.key, c.ttl); ok || err == nil {
			t.Errorf("%s: %v, %v", c.name, ok, err)
		}
	}
}

// BenchmarkMarkerMemory reports the heap held per nonce marker
// (docs/design.md, "Hot path costs": the nonce table's size).
func BenchmarkMarkerMemory(b *testing.B) {
	const n = 1 << 20
	var before, after runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := memory.New(memory.Options{MaxEntries: n})
		key := []byte("lsa1:ak_0123456789abcdef:lb18c2d3e4f5a6b7-1-m")
		for i := 0; i < n; i++ {
			k := strconv.AppendInt(key, int64(i), 10)
			if ok, err := s.SetIfAbsentBytes(k, time.Hour); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/entry")
		runtime.KeepAlive(s)
	}
}
