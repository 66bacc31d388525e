package bolt

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/gatehouse/gatehouse/keystore"
)

// The benchmarks read a file holding GATEHOUSE_BENCH_N users and as many
// sessions (default 10,000). The populated file is cached in the temp
// directory, keyed by N and the record formats, so later runs skip the
// population; delete gatehouse-bench-* there to rebuild.

const benchBatch = 10_000

func benchN(b *testing.B) int {
	n := 10_000
	if v := os.Getenv("GATEHOUSE_BENCH_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("GATEHOUSE_BENCH_N=%q: want a positive integer", v)
		}
	}
	return n
}

func benchEmail(i int) string { return fmt.Sprintf("User%d@Bench.example", i) }

func benchDigest(i int) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	d := sha256.Sum256(b[:])
	return d[:]
}

type benchFile struct {
	path    string
	created time.Duration
	size    int64
}

var (
	benchOnce sync.Once
	benchLog  sync.Once
	benchDB   benchFile
	benchErr  error
)

// benchStore opens the cached file (building it first if needed).
func benchStore(b *testing.B) (*Store, int) {
	n := benchN(b)
	benchOnce.Do(func() { benchDB, benchErr = populate(n) })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	benchLog.Do(func() {
		b.Logf("N=%d file=%s size=%.1f MB created in %s", n, benchDB.path, float64(benchDB.size)/(1<<20), benchDB.created.Round(time.Millisecond))
	})
	b.ReportMetric(float64(benchDB.size)/(1<<20), "file-MB")
	b.ReportMetric(benchDB.created.Seconds(), "create-s")
	s, err := Open(benchDB.path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s, n
}

func populate(n int) (benchFile, error) {
	path := filepath.Join(os.TempDir(), fmt.Sprintf("gatehouse-bench-%d-s%d-u%d-s%d.db", n, schemaVersion, userFormat2, sessionFormat1))
	marker := path + ".ok"
	if m, err := os.ReadFile(marker); err == nil {
		if d, err := time.ParseDuration(strings.TrimSpace(string(m))); err == nil {
			if fi, err := os.Stat(path); err == nil {
				return benchFile{path: path, created: d, size: fi.Size()}, nil
			}
		}
	}
	_ = os.Remove(path)
	_ = os.Remove(marker)

	start := time.Now()
	s, err := Open(path, Options{NoSync: true})
	if err != nil {
		return benchFile{}, err
	}
	created := time.Unix(1_900_000_000, 0)
	for lo := 0; lo < n; lo += benchBatch {
		hi := min(lo+benchBatch, n)
		err := s.db.Update(func(tx *bbolt.Tx) error {
			for i := lo; i < hi; i++ {
				u := &keystore.User{
					ID: fmt.Sprintf("%032x", i), Email: benchEmail(i), DisplayName: "Bench User",
					PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
					Roles:        []string{"dev"}, Active: true, Verified: true, CreatedAt: created, UpdatedAt: created,
				}
				if err := insertUser(tx, u.ID, keystore.FoldEmail(u.Email), encodeUser(u)); err != nil {
					return err
				}
				sess := &keystore.Session{
					Digest: benchDigest(i), UserID: u.ID, Kind: "session", AuthMethod: "password",
					CreatedAt: created, ExpiresAt: created.Add(24 * time.Hour), LastSeenAt: created,
					UserAgent: "Mozilla/5.0 (X11; Linux x86_64) bench",
				}
				if err := insertSession(tx, u.ID, sess.Digest, encodeSession(sess)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			_ = s.Close()
			return benchFile{}, err
		}
	}
	if err := s.db.Sync(); err != nil {
		_ = s.Close()
		return benchFile{}, err
	}
	if err := s.Close(); err != nil {
		return benchFile{}, err
	}
	elapsed := time.Since(start)
	fi, err := os.Stat(path)
	if err != nil {
		return benchFile{}, err
	}
	if err := os.WriteFile(marker, []byte(elapsed.String()), 0o600); err != nil {
		return benchFile{}, err
	}
	return benchFile{path: path, created: elapsed, size: fi.Size()}, nil
}

// benchIndexes is a fixed random sample of record numbers to look up.
func benchIndexes(n int) []int {
	r := rand.New(rand.NewPCG(1, 2))
	idx := make([]int, 4096)
	for i := range idx {
		idx[i] = r.IntN(n)
	}
	return idx
}

func BenchmarkGetUserByEmail(b *testing.B) {
	s, n := benchStore(b)
	idx := benchIndexes(n)
	emails := make([]string, len(idx))
	for i, j := range idx {
		emails[i] = strings.ToLower(benchEmail(j))
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		u, err := s.GetUserByEmail(ctx, emails[i%len(emails)])
		if err != nil || u.ID == "" {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetSession(b *testing.B) {
	s, n := benchStore(b)
	idx := benchIndexes(n)
	digests := make([][]byte, len(idx))
	for i, j := range idx {
		digests[i] = benchDigest(j)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sess, err := s.GetSession(ctx, digests[i%len(digests)])
		if err != nil || sess.UserID == "" {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetSessionParallel(b *testing.B) {
	s, n := benchStore(b)
	idx := benchIndexes(n)
	digests := make([][]byte, len(idx))
	for i, j := range idx {
		digests[i] = benchDigest(j)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.GetSession(ctx, digests[i%len(digests)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}
