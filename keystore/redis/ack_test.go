package redis_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse/gatehouse/internal/redistest"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/redis"
)

// replicated is a standalone primary with one replica (--replicaof),
// for the MinReplicasAck tests; both stop when the test ends.
type replicated struct {
	primary, replica *server
}

func startReplicated(t *testing.T) replicated {
	t.Helper()
	needRedis(t)
	p, r := redistest.StartReplicated(t)
	return replicated{p, r}
}

// ackOptions are the primary's options with min_replicas_ack n and a
// short acknowledgement timeout.
func (d replicated) ackOptions(n int) redis.Options {
	return redis.Options{URL: d.primary.URL, MinReplicasAck: n, ReplicaAckTimeout: 300 * time.Millisecond, ReadTimeout: 2 * time.Second}
}

// durableWrite is one write that must survive a failover, run against a
// store holding a user (u) with a session (sess) and an API key (key).
type durableWrite struct {
	name string
	run  func(ctx context.Context, s *redis.Store, f *fixture) error
}

type fixture struct {
	u    *keystore.User
	sess *keystore.Session
	key  *keystore.APIKey
	t    *testing.T
}

var durableWrites = []durableWrite{
	{"CreateUser", func(ctx context.Context, s *redis.Store, f *fixture) error {
		return s.CreateUser(ctx, testUser(f.t, randHex(f.t, 6)+"@example.com"))
	}},
	{"UpdateUser", func(ctx context.Context, s *redis.Store, f *fixture) error {
		_, err := s.UpdateUser(ctx, f.u.ID, func(u *keystore.User) error { u.DisplayName = "x"; return nil })
		return err
	}},
	{"CreateSession", func(ctx context.Context, s *redis.Store, f *fixture) error {
		return s.CreateSession(ctx, testSession(f.t, f.u.ID, time.Now().Add(time.Hour)))
	}},
	{"SetSessionStepUp", func(ctx context.Context, s *redis.Store, f *fixture) error {
		return s.SetSessionStepUp(ctx, f.sess.Digest, time.Now().Add(time.Minute))
	}},
	{"DeleteUserSessions", func(ctx context.Context, s *redis.Store, f *fixture) error {
		_, err := s.DeleteUserSessions(ctx, f.u.ID, nil)
		return err
	}},
	{"CreateAPIKey", func(ctx context.Context, s *redis.Store, f *fixture) error {
		return s.CreateAPIKey(ctx, testKey(f.t, f.u.ID))
	}},
	{"RevokeAPIKey", func(ctx context.Context, s *redis.Store, f *fixture) error {
		return s.RevokeAPIKey(ctx, f.key.KeyID, time.Now())
	}},
	{"CreateOAuthLink", func(ctx context.Context, s *redis.Store, f *fixture) error {
		return s.CreateOAuthLink(ctx, &keystore.OAuthLink{Provider: "gh", Subject: randHex(f.t, 4), UserID: f.u.ID, CreatedAt: time.Now()})
	}},
	{"Deny", func(ctx context.Context, s *redis.Store, f *fixture) error {
		return s.Deny(ctx, randHex(f.t, 8), time.Now().Add(time.Hour))
	}},
	{"SetIfAbsent", func(ctx context.Context, s *redis.Store, f *fixture) error {
		_, err := s.SetIfAbsent(ctx, randHex(f.t, 8), time.Hour)
		return err
	}},
	{"DeleteUser", func(ctx context.Context, s *redis.Store, f *fixture) error {
		return s.DeleteUser(ctx, f.u.ID)
	}},
}

func testKey(t testing.TB, userID string) *keystore.APIKey {
	return &keystore.APIKey{KeyID: randHex(t, 8), UserID: userID, Name: "k", Env: "test",
		Digest: make([]byte, 32), Scopes: []string{"read"}, CreatedAt: time.Now().UTC()}
}

// newFixture writes a user, a session and an API key through s.
func newFixture(t *testing.T, s *redis.Store) *fixture {
	t.Helper()
	f := &fixture{u: testUser(t, randHex(t, 6)+"@example.com"), t: t}
	f.sess = testSession(t, f.u.ID, time.Now().Add(time.Hour))
	f.key = testKey(t, f.u.ID)
	for _, err := range []error{s.CreateUser(bg(), f.u), s.CreateSession(bg(), f.sess), s.CreateAPIKey(bg(), f.key)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// TestAcknowledgedWritesAreOnTheReplicaWhenTheCallReturns: with
// MinReplicasAck 1 and the replica up every durable write succeeds, and
// what it wrote can be read from the replica at once.
func TestAcknowledgedWritesAreOnTheReplicaWhenTheCallReturns(t *testing.T) {
	d := startReplicated(t)
	prefix := freshPrefix(t)
	s := openPrefixed(t, d.ackOptions(1), prefix)
	onReplica := openPrefixed(t, redis.Options{URL: d.replica.URL}, prefix)
	for _, w := range durableWrites {
		t.Run(w.name, func(t *testing.T) {
			f := newFixture(t, s)
			for _, check := range []error{
				func() error { _, err := onReplica.GetUser(bg(), f.u.ID); return err }(),
				func() error { _, err := onReplica.GetSession(bg(), f.sess.Digest); return err }(),
				func() error { _, err := onReplica.GetAPIKey(bg(), f.key.KeyID); return err }(),
			} {
				if check != nil {
					t.Fatalf("acknowledged record missing on the replica: %v", check)
				}
			}
			ctx, cancel := context.WithTimeout(bg(), 10*time.Second)
			defer cancel()
			f.t = t
			if err := w.run(ctx, s, f); err != nil {
				t.Fatalf("%s with the replica up: %v", w.name, err)
			}
		})
	}
	// A revocation is on the replica when Deny returns.
	id := randHex(t, 8)
	if err := s.Deny(bg(), id, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if denied, err := onReplica.IsDenied(bg(), []byte(id)); err != nil || !denied {
		t.Fatalf("replica IsDenied after an acknowledged Deny = %v, %v", denied, err)
	}
}

// TestWriteNotReplicatedInTimeIsAnErrorNeverASuccess: with the replica
// hung (SIGSTOP) every durable write answers ErrNotReplicated — not
// success, not a store verdict such as ErrDuplicate — within the
// acknowledgement timeout (bounded here by the context); touches and
// counters, which never wait, still succeed.
func TestWriteNotReplicatedInTimeIsAnErrorNeverASuccess(t *testing.T) {
	d, s, fixtures := hungReplica(t, 1)
	for i, w := range durableWrites {
		t.Run(w.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(bg(), 5*time.Second)
			defer cancel()
			f := fixtures[i]
			f.t = t
			err := w.run(ctx, s, f)
			if !errors.Is(err, redis.ErrNotReplicated) {
				t.Fatalf("%s with the replica hung = %v, want ErrNotReplicated", w.name, err)
			}
			for _, verdict := range []error{keystore.ErrDuplicate, keystore.ErrNotFound, keystore.ErrConflict, context.DeadlineExceeded} {
				if errors.Is(err, verdict) {
					t.Fatalf("%s: %v also reads as %v", w.name, err, verdict)
				}
			}
		})
	}
	f := newFixtureUnacked(t, d, s)
	if err := s.TouchSession(bg(), f.sess.Digest, time.Now()); err != nil {
		t.Fatalf("TouchSession waits for replicas: %v", err)
	}
	if err := s.TouchAPIKey(bg(), f.key.KeyID, time.Now()); err != nil {
		t.Fatalf("TouchAPIKey waits for replicas: %v", err)
	}
	if _, _, err := s.Incr(bg(), randHex(t, 8), time.Minute); err != nil {
		t.Fatalf("Incr waits for replicas: %v", err)
	}
}

// hungReplica opens a store with MinReplicasAck n on a primary with one
// replica, writes a fixture for each of durableWrites and then hangs the
// replica (SIGSTOP) until the test ends.
func hungReplica(t *testing.T, n int) (replicated, *redis.Store, []*fixture) {
	t.Helper()
	d := startReplicated(t)
	s := openPrefixed(t, d.ackOptions(n), freshPrefix(t))
	fixtures := make([]*fixture, len(durableWrites))
	for i := range durableWrites {
		fixtures[i] = newFixture(t, s)
	}
	if err := d.replica.Pause(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.replica.Resume() })
	return d, s, fixtures
}

// newFixtureUnacked writes the fixture through a second store on the
// same primary without acknowledgement (the replica is hung).
func newFixtureUnacked(t *testing.T, d replicated, s *redis.Store) *fixture {
	t.Helper()
	return newFixture(t, openPrefixed(t, redis.Options{URL: d.primary.URL}, s.Prefix()))
}

// TestMinReplicasAckZeroNeverWaits: without acknowledgement a hung
// replica changes nothing.
func TestMinReplicasAckZeroNeverWaits(t *testing.T) {
	_, s, fixtures := hungReplica(t, 0)
	for i, w := range durableWrites {
		f := fixtures[i]
		f.t = t
		if err := w.run(bg(), s, f); err != nil {
			t.Fatalf("%s with ack 0 and the replica hung: %v", w.name, err)
		}
	}
}

// TestAckWithoutAnyReplicaIsAnErrorOnEveryTopology: asking for a replica
// that the deployment does not have fails every durable write, and on a
// Cluster the error is the missing acknowledgement (the write reached
// the primary that owns its slot), not a routing error.
func TestAckWithoutAnyReplicaIsAnErrorOnEveryTopology(t *testing.T) {
	for _, tp := range []topology{topologies[0], topologies[1]} {
		t.Run(tp.name, func(t *testing.T) {
			opts := tp.opts(t)
			opts.MinReplicasAck, opts.ReplicaAckTimeout = 1, 50*time.Millisecond
			s := openTopology(t, opts, freshPrefix(t))
			err := s.CreateUser(bg(), testUser(t, "a@example.com"))
			if !errors.Is(err, redis.ErrNotReplicated) {
				t.Fatalf("CreateUser = %v, want ErrNotReplicated", err)
			}
			if err := s.Deny(bg(), randHex(t, 8), time.Now().Add(time.Hour)); !errors.Is(err, redis.ErrNotReplicated) {
				t.Fatalf("Deny = %v, want ErrNotReplicated", err)
			}
		})
	}
}

// TestReplicaAckOptionsAreBounded: Open refuses a count or a timeout out
// of range, and a timeout that the read timeout would cut short.
func TestReplicaAckOptionsAreBounded(t *testing.T) {
	cases := []struct {
		name    string
		n       int
		timeout time.Duration
		read    time.Duration
	}{
		{"negative count", -1, 0, 0},
		{"count too large", redis.MaxMinReplicasAck + 1, 0, 0},
		{"negative timeout", 1, -time.Second, 0},
		{"timeout too long", 1, redis.MaxReplicaAckTimeout + 1, time.Minute},
		{"timeout not shorter than the read timeout", 1, 2 * time.Second, 2 * time.Second},
		{"default timeout beyond a short read timeout", 1, 0, 500 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := redis.Open(bg(), redis.Options{URL: "redis://127.0.0.1:1/0", MinReplicasAck: c.n, ReplicaAckTimeout: c.timeout, ReadTimeout: c.read})
			if err == nil || !strings.Contains(err.Error(), "Replica") {
				t.Fatalf("Open = %v, want a refusal naming the option", err)
			}
		})
	}
}

// TestCheckRefusesMoreAcksThanReplicas: check-config reports a
// min_replicas_ack that the primary's connected replicas cannot meet,
// since every durable write would then fail.
func TestCheckRefusesMoreAcksThanReplicas(t *testing.T) {
	d := startReplicated(t)
	for _, c := range []struct {
		n    int
		fits bool
	}{{0, true}, {1, true}, {2, false}} {
		s := openPrefixed(t, d.ackOptions(c.n), freshPrefix(t))
		err := s.Check(bg())
		if c.fits && err != nil || !c.fits && !errors.Is(err, redis.ErrMisconfigured) {
			t.Errorf("min_replicas_ack %d with one replica: Check = %v", c.n, err)
		}
	}
}

// TestAcknowledgedWritesOnAClusterWaitOnTheOwningPrimary: on a Cluster
// with one replica per primary, WAIT runs on the connection of the
// primary that owns each written key, so durable writes (one slot) and
// ephemeral ones (spread over every primary) succeed with
// MinReplicasAck 1 and are on that primary's replica when the call
// returns; with a replica hung, writes to its primary's slots answer
// ErrNotReplicated while the others still succeed.
func TestAcknowledgedWritesOnAClusterWaitOnTheOwningPrimary(t *testing.T) {
	needRedis(t)
	cl := redistest.StartClusterReplicas(t, 3)
	opts := clusterOptions(cl)
	opts.MinReplicasAck, opts.ReplicaAckTimeout = 1, 300*time.Millisecond
	s := openTopology(t, opts, freshPrefix(t))
	f := newFixture(t, s)
	for _, w := range durableWrites {
		ctx, cancel := context.WithTimeout(bg(), 10*time.Second)
		if err := w.run(ctx, s, f); err != nil {
			t.Errorf("%s on a Cluster with replicas: %v", w.name, err)
		}
		cancel()
	}
	// Denylist entries spread over the primaries: each is on the replica
	// of its owner as soon as Deny returns.
	replicaOf := map[string]*server{}
	for i, p := range cl.Nodes {
		replicaOf[p.Addr] = cl.Replicas[i]
	}
	owners := map[string]bool{}
	hung := cl.Replicas[0]
	var hungIDs, otherIDs []string
	for range 24 {
		id := randHex(t, 8)
		if err := s.Deny(bg(), id, time.Now().Add(time.Hour)); err != nil {
			t.Fatalf("Deny: %v", err)
		}
		owner := masterOf(t, cl, s.Prefix()+"deny:"+id)
		owners[owner] = true
		rc := replicaOf[owner].Client()
		// A Cluster replica serves reads after READONLY on the same
		// connection; a pipeline keeps to one.
		p := rc.Pipeline()
		p.ReadOnly(bg())
		exists := p.Exists(bg(), s.Prefix()+"deny:"+id)
		_, _ = p.Exec(bg())
		n, err := exists.Result()
		_ = rc.Close()
		if err != nil || n != 1 {
			t.Fatalf("denylist entry not on its owner's replica when Deny returned: %d, %v", n, err)
		}
		if replicaOf[owner] == hung {
			hungIDs = append(hungIDs, id)
		} else {
			otherIDs = append(otherIDs, id)
		}
	}
	if len(owners) < 2 || len(hungIDs) == 0 || len(otherIDs) == 0 {
		t.Fatalf("24 denylist keys landed on %d primaries", len(owners))
	}
	if err := hung.Pause(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = hung.Resume() }()
	if err := s.Deny(bg(), hungIDs[0], time.Now().Add(2*time.Hour)); !errors.Is(err, redis.ErrNotReplicated) {
		t.Errorf("Deny on the primary whose replica hangs = %v, want ErrNotReplicated", err)
	}
	if err := s.Deny(bg(), otherIDs[0], time.Now().Add(2*time.Hour)); err != nil {
		t.Errorf("Deny on a primary whose replica is up = %v", err)
	}
}

// masterOf returns the address of the primary that owns key.
func masterOf(t *testing.T, cl *redistest.Cluster, key string) string {
	t.Helper()
	c := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: cl.Addrs})
	defer c.Close()
	n, err := c.MasterForKey(bg(), key)
	if err != nil {
		t.Fatal(err)
	}
	return n.Options().Addr
}

// TestFailoverLosesLaggingWritesOnlyWhenTheyWereNotAwaited: with both
// replicas of a Sentinel primary cut off (hung, links closed), writes acknowledged
// without MinReplicasAck are lost when the primary dies and a replica
// is promoted, while with MinReplicasAck 1 the same writes were never
// acknowledged (ErrNotReplicated): no acknowledged write is lost.
func TestFailoverLosesLaggingWritesOnlyWhenTheyWereNotAwaited(t *testing.T) {
	needRedis(t)
	d := redistest.StartSentinelReplicas(t, 2)
	prefix := freshPrefix(t)
	opts := sentinelOptions(d)
	noAck := openTopology(t, opts, prefix)
	opts.MinReplicasAck, opts.ReplicaAckTimeout = 1, 50*time.Millisecond
	withAck := openTopology(t, opts, prefix)

	// Hang both replicas and cut their links, so that what the primary
	// applies from now on reaches neither (a hung replica alone would
	// still find the stream in its socket buffer when it resumes).
	for _, r := range d.Replicas {
		if err := r.Pause(); err != nil {
			t.Fatal(err)
		}
	}
	pc := d.Primary.Client()
	if err := pc.ClientKillByFilter(bg(), "TYPE", "replica").Err(); err != nil {
		t.Fatal(err)
	}
	_ = pc.Close()
	var acked []string
	for range 20 {
		u := testUser(t, randHex(t, 6)+"@example.com")
		if err := noAck.CreateUser(bg(), u); err != nil {
			t.Fatalf("CreateUser without ack: %v", err)
		}
		acked = append(acked, u.ID)
	}
	ackedWithWait := 0
	for range 5 {
		err := withAck.CreateUser(bg(), testUser(t, randHex(t, 6)+"@example.com"))
		switch {
		case err == nil:
			ackedWithWait++
		case !errors.Is(err, redis.ErrNotReplicated):
			t.Fatalf("CreateUser with ack and hung replicas: %v", err)
		}
	}
	d.KillPrimary()
	for _, r := range d.Replicas {
		if err := r.Resume(); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(bg(), 60*time.Second)
	defer cancel()
	if _, _, err := d.WaitPromotion(ctx, d.Primary.Addr); err != nil {
		t.Fatal(err)
	}
	for noAck.Ping(ctx) != nil {
		if ctx.Err() != nil {
			t.Fatal("the store never reached the promoted primary")
		}
		time.Sleep(50 * time.Millisecond)
	}
	lost := 0
	for _, id := range acked {
		_, err := noAck.GetUser(ctx, id)
		switch {
		case isNotFound(err):
			lost++
		case err != nil:
			t.Fatalf("GetUser after the failover: %v", err)
		}
	}
	t.Logf("min_replicas_ack 0: %d of %d acknowledged writes lost; min_replicas_ack 1: %d of 5 acknowledged (so none to lose)", lost, len(acked), ackedWithWait)
	if ackedWithWait != 0 {
		t.Errorf("%d writes acknowledged with min_replicas_ack 1 while every replica hung", ackedWithWait)
	}
	if lost != len(acked) {
		t.Errorf("%d of %d writes that no replica had survived the failover: the replicas were not lagging", len(acked)-lost, len(acked))
	}
}
