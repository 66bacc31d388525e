package migrate_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/redistest"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/migrate"
)

// BenchmarkMigrateBoltToRedis copies 10,000 users, each with a session
// and an API key, from bbolt into a fresh prefix of a standalone Redis
// (and of a 3-primary Cluster) per iteration; records/s counts users,
// sessions and keys over the whole run (verification included),
// copied-records/s over the copy alone.
//
//	go test -run '^$' -bench MigrateBoltToRedis -benchtime 3x ./keystore/migrate/
func BenchmarkMigrateBoltToRedis(b *testing.B) {
	redistest.Need(b)
	srv := redistest.StartServer(b)
	cl := redistest.StartCluster(b, 3)
	src := openBolt(b)
	const users = 10_000
	now := time.Now().UTC()
	for i := 0; i < users; i++ {
		u := &keystore.User{ID: randHex(b, 16), Email: fmt.Sprintf("user%d@example.test", i), Roles: []string{"dev"},
			Active: true, PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA", CreatedAt: now, UpdatedAt: now}
		must(b, "CreateUser", src.CreateUser(bg(), u))
		s := &keystore.Session{Digest: []byte(randHex(b, 16)), UserID: u.ID, Kind: keystore.KindSession, AuthMethod: "password",
			CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now, UserAgent: "agent/1"}
		must(b, "CreateSession", src.CreateSession(bg(), s))
		k := &keystore.APIKey{KeyID: randHex(b, 9), UserID: u.ID, Name: "ci", Env: "live", Digest: []byte(randHex(b, 16)),
			Scopes: []string{"read"}, CreatedAt: now}
		must(b, "CreateAPIKey", src.CreateAPIKey(bg(), k))
	}
	runs := []struct {
		dest    string
		workers int
	}{{"redis", 1}, {"redis", 8}, {"redis", 32}, {"cluster", 8}}
	for _, r := range runs {
		b.Run(fmt.Sprintf("to=%s/workers=%d", r.dest, r.workers), func(b *testing.B) {
			var copyTime time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dst := openRedis(b, srv, nil, "")
				if r.dest == "cluster" {
					dst = openRedis(b, nil, cl, "")
				}
				b.StartTimer()
				rep, err := migrate.Run(bg(), side(src), side(dst), migrate.Options{Workers: r.workers})
				if err != nil {
					b.Fatal(err)
				}
				copyTime += rep.CopyTime
				if rep.Dest[migrate.Users] != users {
					b.Fatalf("destination has %d users", rep.Dest[migrate.Users])
				}
			}
			b.ReportMetric(float64(3*users*b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(3*users*b.N)/copyTime.Seconds(), "copied-records/s")
		})
	}
}
