package redis_test

import (
	"strconv"
	"testing"
	"time"
)

// The benchmarks run against the package's redis-server on a unix
// socket, one request at a time: the figures are round trips plus the
// client's work, not server throughput.

func BenchmarkGetUserByEmail(b *testing.B) {
	s := newStore(b)
	u := testUser(b, "Bench.User@example.test")
	if err := s.CreateUser(bg(), u); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.GetUserByEmail(bg(), "bench.user@example.test"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetSession(b *testing.B) {
	s := newStore(b)
	u := testUser(b, "bench.session@example.test")
	if err := s.CreateUser(bg(), u); err != nil {
		b.Fatal(err)
	}
	sess := testSession(b, u.ID, time.Now().Add(time.Hour))
	if err := s.CreateSession(bg(), sess); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.GetSession(bg(), sess.Digest); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSetIfAbsent(b *testing.B) {
	s := newStore(b)
	keys := make([]string, b.N)
	for i := range keys {
		keys[i] = "nonce:" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ok, err := s.SetIfAbsent(bg(), keys[i], time.Minute)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkIsDenied(b *testing.B) {
	s := newStore(b)
	if err := s.Deny(bg(), "jti-denied", time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	id := []byte("jti-denied")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if denied, err := s.IsDenied(bg(), id); err != nil || !denied {
			b.Fatal(denied, err)
		}
	}
}
