package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/redis"
	"github.com/gatehouse/gatehouse/keystore/storetest"
)

func bg() context.Context { return context.Background() }

// TestContract runs the shared keystore suite. Expiry follows the Redis
// server's clock, so advance sleeps.
func TestContract(t *testing.T) {
	needRedis(t)
	storetest.Run(t, func(t *testing.T) keystore.Store { return newStore(t) }, time.Sleep)
}

func randHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func testUser(t testing.TB, email string) *keystore.User {
	return &keystore.User{ID: randHex(t, 16), Email: email, Roles: []string{"dev"}, Active: true,
		CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
}

func testSession(t testing.TB, userID string, expires time.Time) *keystore.Session {
	d := make([]byte, 32)
	if _, err := rand.Read(d); err != nil {
		t.Fatal(err)
	}
	return &keystore.Session{Digest: d, UserID: userID, Kind: "session", AuthMethod: "password",
		CreatedAt: time.Now().UTC(), ExpiresAt: expires, LastSeenAt: time.Now().UTC()}
}

func TestMarkersExactlyOneWinner(t *testing.T) {
	// Two stores on the same prefix stand for two replicas.
	needRedis(t)
	prefix := freshPrefix(t)
	replicas := []*redis.Store{openAt(t, shared.URL, prefix, redis.Options{}), openAt(t, shared.URL, prefix, redis.Options{})}
	for round := 0; round < 20; round++ {
		key := fmt.Sprintf("nonce-%d", round)
		var wins atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, 16)
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				<-start
				ok, err := replicas[g%2].SetIfAbsent(bg(), key, time.Minute)
				if err != nil {
					errs <- err
					return
				}
				if ok {
					wins.Add(1)
				}
			}(g)
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: SetIfAbsent: %v", round, err)
		}
		if n := wins.Load(); n != 1 {
			t.Fatalf("round %d: %d winners, want exactly 1", round, n)
		}
	}
}

func TestMarkerExpiresAndCanBeSetAgain(t *testing.T) {
	s := newStore(t)
	ok, err := s.SetIfAbsent(bg(), "totp:u1:123", 500*time.Millisecond)
	if err != nil || !ok {
		t.Fatalf("first SetIfAbsent = %v, %v; want true", ok, err)
	}
	ok, err = s.SetIfAbsent(bg(), "totp:u1:123", time.Hour)
	if err != nil || ok {
		t.Fatalf("replayed SetIfAbsent = %v, %v; want false", ok, err)
	}
	time.Sleep(700 * time.Millisecond)
	ok, err = s.SetIfAbsent(bg(), "totp:u1:123", time.Minute)
	if err != nil || !ok {
		t.Fatalf("SetIfAbsent after expiry = %v, %v; want true", ok, err)
	}
}

func TestCountersCountAndWindowResets(t *testing.T) {
	s := newStore(t)
	const window = time.Second
	for want := int64(1); want <= 5; want++ {
		n, reset, err := s.Incr(bg(), "login:1.2.3.4", window)
		if err != nil {
			t.Fatalf("Incr: %v", err)
		}
		if n != want {
			t.Fatalf("count = %d, want %d", n, want)
		}
		if reset <= 0 || reset > window {
			t.Fatalf("reset = %v, want in (0, %v]", reset, window)
		}
	}
	// Another key counts on its own.
	if n, _, err := s.Incr(bg(), "login:5.6.7.8", window); err != nil || n != 1 {
		t.Fatalf("other key: count %d, %v; want 1", n, err)
	}
	time.Sleep(window + 200*time.Millisecond)
	n, reset, err := s.Incr(bg(), "login:1.2.3.4", window)
	if err != nil || n != 1 {
		t.Fatalf("after the window: count %d, %v; want 1", n, err)
	}
	if reset < window-300*time.Millisecond {
		t.Errorf("new window resets in %v, want about %v", reset, window)
	}
}

func TestCountersParallelHitsAllCount(t *testing.T) {
	s := newStore(t)
	var wg sync.WaitGroup
	seen := make([]atomic.Bool, 161)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				n, _, err := s.Incr(bg(), "api", time.Minute)
				if err != nil || n < 1 || n > 160 {
					t.Errorf("Incr = %d, %v", n, err)
					return
				}
				if seen[n].Swap(true) {
					t.Errorf("count %d handed out twice", n)
				}
			}
		}()
	}
	wg.Wait()
}

// TestRevocationReachesOtherReplicaWithinASecond pins docs/design.md "State": a Deny on
// one replica reaches every other replica's subscriber within 1 s.
func TestRevocationReachesOtherReplicaWithinASecond(t *testing.T) {
	needRedis(t)
	prefix := freshPrefix(t)
	a := openAt(t, shared.URL, prefix, redis.Options{})
	b := openAt(t, shared.URL, prefix, redis.Options{})
	other := openAt(t, shared.URL, freshPrefix(t), redis.Options{})

	got := make(chan string, 8)
	subscribed := make(chan struct{}, 8)
	ctx, cancel := context.WithCancel(bg())
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := b.WatchRevocations(ctx, redis.RevocationWatch{
			Revoked:    func(id string) { got <- id },
			Subscribed: func() { subscribed <- struct{}{} },
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("WatchRevocations ended with %v, want context.Canceled", err)
		}
	}()
	select {
	case <-subscribed:
	case <-time.After(5 * time.Second):
		t.Fatal("subscription not confirmed")
	}

	// A past expiry stores and publishes nothing; another prefix's
	// revocations are not ours.
	if err := a.Deny(bg(), "jti-past", time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := other.Deny(bg(), "jti-elsewhere", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := a.Deny(bg(), "jti-1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-got:
		if id != "jti-1" {
			t.Fatalf("received %q, want jti-1", id)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("revocation took %v, want under 1 s", d)
		}
	case <-time.After(time.Second):
		t.Fatal("revocation not received within 1 s")
	}
	if denied, err := b.IsDenied(bg(), []byte("jti-1")); err != nil || !denied {
		t.Errorf("IsDenied on the other replica = %v, %v", denied, err)
	}
	cancel()
	wg.Wait()
	select {
	case id := <-got:
		t.Errorf("unexpected revocation %q", id)
	default:
	}
}

func TestRevocationSubscriptionSurvivesServerRestart(t *testing.T) {
	srv := privateServer(t)
	prefix := freshPrefix(t)
	opts := redis.Options{DialTimeout: 300 * time.Millisecond, ReadTimeout: 300 * time.Millisecond}
	pub := openAt(t, srv.URL, prefix, opts)
	sub := openAt(t, srv.URL, prefix, opts)

	got := make(chan string, 8)
	subscribed := make(chan struct{}, 8)
	done := make(chan error, 1)
	go func() {
		done <- sub.WatchRevocations(bg(), redis.RevocationWatch{
			Revoked:    func(id string) { got <- id },
			Subscribed: func() { subscribed <- struct{}{} },
		})
	}()
	waitSub := func(what string) {
		t.Helper()
		select {
		case <-subscribed:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: subscription not confirmed", what)
		}
	}
	waitSub("start")

	srv.Stop()
	restarted, err := startServer(srv.Dir, srv.Port)
	if err != nil {
		t.Fatalf("restart redis-server: %v", err)
	}
	t.Cleanup(restarted.Stop)
	waitSub("after restart")

	deadline := time.Now().Add(5 * time.Second)
	for {
		err := pub.Deny(bg(), "jti-after-restart", time.Now().Add(time.Hour))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Deny after restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case id := <-got:
		if id != "jti-after-restart" {
			t.Fatalf("received %q", id)
		}
	case <-time.After(time.Second):
		t.Fatal("revocation after reconnect not received within 1 s")
	}
	// Close ends the watch with ErrClosed.
	_ = sub.Close()
	select {
	case err := <-done:
		if !errors.Is(err, keystore.ErrClosed) {
			t.Errorf("watch ended with %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watch did not end after Close")
	}
}

// TestOutageFailsClosedNeverFalseSuccess kills redis-server under a live
// store: every call must fail within the timeouts, and none may answer
// "not denied", "absent" or "done".
func TestOutageFailsClosedNeverFalseSuccess(t *testing.T) {
	srv := privateServer(t)
	s := openAt(t, srv.URL, freshPrefix(t), redis.Options{DialTimeout: 300 * time.Millisecond, ReadTimeout: 300 * time.Millisecond})
	u := testUser(t, "outage@example.test")
	if err := s.CreateUser(bg(), u); err != nil {
		t.Fatal(err)
	}
	sess := testSession(t, u.ID, time.Now().Add(time.Hour))
	if err := s.CreateSession(bg(), sess); err != nil {
		t.Fatal(err)
	}
	if err := s.Deny(bg(), "jti-live", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	srv.Stop()

	calls := []struct {
		name string
		call func(context.Context) error
	}{
		{"Ping", s.Ping},
		{"IsDenied", func(ctx context.Context) error {
			denied, err := s.IsDenied(ctx, []byte("jti-live"))
			if err == nil {
				return fmt.Errorf("answered %v with no error", denied)
			}
			return err
		}},
		{"IsDenied unknown", func(ctx context.Context) error {
			denied, err := s.IsDenied(ctx, []byte("jti-unknown"))
			if err == nil {
				return fmt.Errorf("answered %v with no error", denied)
			}
			return err
		}},
		{"SetIfAbsent", func(ctx context.Context) error {
			ok, err := s.SetIfAbsent(ctx, "nonce", time.Minute)
			if err == nil {
				return fmt.Errorf("answered %v with no error", ok)
			}
			if ok {
				return errors.New("reported a win with an error")
			}
			return err
		}},
		{"Incr", func(ctx context.Context) error {
			n, _, err := s.Incr(ctx, "rate", time.Minute)
			if err == nil {
				return fmt.Errorf("answered %d with no error", n)
			}
			return err
		}},
		{"Deny", func(ctx context.Context) error { return s.Deny(ctx, "jti-new", time.Now().Add(time.Hour)) }},
		{"GetUser", func(ctx context.Context) error { _, err := s.GetUser(ctx, u.ID); return err }},
		{"GetUserByEmail", func(ctx context.Context) error { _, err := s.GetUserByEmail(ctx, u.Email); return err }},
		{"GetSession", func(ctx context.Context) error { _, err := s.GetSession(ctx, sess.Digest); return err }},
		{"CreateUser", func(ctx context.Context) error { return s.CreateUser(ctx, testUser(t, "late@example.test")) }},
		{"DeleteUser", func(ctx context.Context) error { return s.DeleteUser(ctx, u.ID) }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(bg(), 5*time.Second)
			defer cancel()
			start := time.Now()
			err := c.call(ctx)
			if err == nil {
				t.Fatalf("succeeded against a dead server")
			}
			if isNotFound(err) {
				t.Errorf("outage reported as not found: %v", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v to fail, want within the timeouts", d)
			}
		})
	}
}

func isNotFound(err error) bool { return errors.Is(err, keystore.ErrNotFound) }

func TestOpenFailsFastOnUnreachableServer(t *testing.T) {
	needRedis(t)
	srv := privateServer(t)
	srv.Stop()
	ctx, cancel := context.WithTimeout(bg(), 3*time.Second)
	defer cancel()
	start := time.Now()
	s, err := redis.Open(ctx, redis.Options{URL: srv.URL, DialTimeout: 300 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded against a dead server")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Open took %v to fail", d)
	}
}

func TestOpenRefusesBadOptionsWithoutEchoingTheURL(t *testing.T) {
	needRedis(t)
	const pw = "hunter2-secret"
	cases := []struct {
		name string
		opts redis.Options
	}{
		{"no URL", redis.Options{}},
		{"unknown scheme", redis.Options{URL: "http://:" + pw + "@127.0.0.1:6379"}},
		{"bad port", redis.Options{URL: "redis://:" + pw + "@127.0.0.1:port/0"}},
		{"bad db", redis.Options{URL: "redis://:" + pw + "@127.0.0.1:6379/x"}},
		{"control byte", redis.Options{URL: "redis://:" + pw + "@127.0.0.1:6379/0\x7f"}},
		{"prefix with brace", redis.Options{URL: shared.URL, Prefix: "gh{x}:"}},
		{"prefix with space", redis.Options{URL: shared.URL, Prefix: "gh x:"}},
		{"prefix too long", redis.Options{URL: shared.URL, Prefix: strings.Repeat("p", 65)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := redis.Open(bg(), c.opts)
			if err == nil {
				s.Close()
				t.Fatal("Open accepted it")
			}
			if strings.Contains(err.Error(), pw) {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

func TestHostileInputsAreRefused(t *testing.T) {
	s := newStore(t)
	raw := rawClient(t)
	huge := strings.Repeat("k", redis.MaxKeyLen+1)
	hugeID := strings.Repeat("i", 1025)

	if err := s.Deny(bg(), huge, time.Now().Add(time.Hour)); err == nil {
		t.Error("Deny accepted an oversize id")
	}
	if err := s.Deny(bg(), "", time.Now().Add(time.Hour)); err == nil {
		t.Error("Deny accepted an empty id")
	}
	if denied, err := s.IsDenied(bg(), []byte(huge)); denied || err != nil {
		t.Errorf("IsDenied(oversize) = %v, %v", denied, err)
	}
	if ok, err := s.SetIfAbsent(bg(), huge, time.Minute); ok || err == nil {
		t.Errorf("SetIfAbsent(oversize) = %v, %v; want refusal", ok, err)
	}
	for _, ttl := range []time.Duration{0, -time.Second} {
		if ok, err := s.SetIfAbsent(bg(), "k", ttl); ok || err == nil {
			t.Errorf("SetIfAbsent ttl %v = %v, %v; want refusal", ttl, ok, err)
		}
		if _, _, err := s.Incr(bg(), "k", ttl); err == nil {
			t.Errorf("Incr window %v accepted", ttl)
		}
	}
	if _, _, err := s.Incr(bg(), huge, time.Minute); err == nil {
		t.Error("Incr accepted an oversize key")
	}
	if err := s.CreateUser(bg(), &keystore.User{ID: hugeID, Email: "x@example.test"}); err == nil {
		t.Error("CreateUser accepted an oversize id")
	}
	if err := s.CreateUser(bg(), &keystore.User{ID: randHex(t, 16), Email: strings.Repeat("e", 1025)}); err == nil {
		t.Error("CreateUser accepted an oversize email")
	}
	if err := s.CreateUser(bg(), &keystore.User{ID: randHex(t, 16), Email: "   "}); err == nil {
		t.Error("CreateUser accepted a blank email")
	}
	if _, err := s.GetUser(bg(), hugeID); !isNotFound(err) {
		t.Errorf("GetUser(oversize) = %v, want not found", err)
	}
	if _, err := s.GetSession(bg(), make([]byte, 65)); !isNotFound(err) {
		t.Errorf("GetSession(65-byte digest) = %v, want not found", err)
	}
	u := testUser(t, "hostile@example.test")
	if err := s.CreateUser(bg(), u); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(bg(), &keystore.Session{Digest: make([]byte, 65), UserID: u.ID}); err == nil {
		t.Error("CreateSession accepted a 65-byte digest")
	}
	if err := s.CreateOAuthLink(bg(), &keystore.OAuthLink{Provider: "git\x00hub", Subject: "x", UserID: u.ID}); err == nil {
		t.Error("CreateOAuthLink accepted a provider with NUL")
	}
	// Extreme times and offsets are clamped, not overflowed.
	for _, until := range []time.Time{time.Date(9999, 1, 1, 0, 0, 0, 1, time.UTC), time.Unix(1<<62, 0)} {
		if err := s.Deny(bg(), "jti-forever", until); err != nil {
			t.Errorf("Deny until %v: %v", until, err)
		}
		if denied, err := s.IsDenied(bg(), []byte("jti-forever")); err != nil || !denied {
			t.Errorf("IsDenied after Deny until %v = %v, %v", until, denied, err)
		}
	}
	for _, off := range []int{1 << 40, 1<<62 + 5} {
		if list, err := s.ListUsers(bg(), off, 10); err != nil || len(list) != 0 {
			t.Errorf("ListUsers(offset %d) = %d, %v; want none", off, len(list), err)
		}
	}
	far := testSession(t, u.ID, time.Unix(1<<62, 0))
	if err := s.CreateSession(bg(), far); err != nil {
		t.Errorf("CreateSession far future: %v", err)
	}
	if n, err := s.PurgeExpiredSessions(bg(), time.Unix(1<<61, 0)); err != nil || n != 0 {
		t.Errorf("PurgeExpiredSessions far future = %d, %v", n, err)
	}
	// Nothing oversize reached the server.
	keys, err := raw.Keys(bg(), s.Prefix()+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if len(k) > 1100 {
			t.Errorf("a key of %d bytes was stored", len(k))
		}
	}
}

func TestErrorsNeverShowEmailsOrStoredValues(t *testing.T) {
	s := newStore(t)
	const email = "Secret.Person@example.test"
	u := testUser(t, email)
	u.TOTPSecret = "fernet:v1:k1:totp-envelope"
	if err := s.CreateUser(bg(), u); err != nil {
		t.Fatal(err)
	}
	dup := testUser(t, email)
	moved := testUser(t, "other@example.test")
	if err := s.CreateUser(bg(), moved); err != nil {
		t.Fatal(err)
	}
	ref := keystore.SealedRef{Ring: keystore.RingTOTPSecrets, Record: u.ID, Field: "TOTPSecret"}
	errs := []error{
		s.CreateUser(bg(), dup),
		func() error {
			_, err := s.UpdateUser(bg(), moved.ID, func(u *keystore.User) error { u.Email = email; return nil })
			return err
		}(),
		s.SwapSealed(bg(), ref, "wrong-old", "fernet:v1:k2:new"),
		func() error { _, err := s.GetUserByEmail(bg(), "missing.person@example.test"); return err }(),
	}
	for i, err := range errs {
		if err == nil {
			t.Errorf("[%d] no error", i)
			continue
		}
		msg := strings.ToLower(err.Error())
		for _, secret := range []string{"secret.person", "missing.person", "totp-envelope", "wrong-old", "k2:new"} {
			if strings.Contains(msg, secret) {
				t.Errorf("[%d] error %q shows a stored or supplied value", i, err)
			}
		}
	}
}

// TestCorruptRecordsFailClosed plants values the store did not write: a
// garbage user, a valid user record under another user's key, a session
// under the wrong digest. Each read must be an error, not a user.
func TestCorruptRecordsFailClosed(t *testing.T) {
	s := newStore(t)
	raw := rawClient(t)
	a, b := testUser(t, "a@example.test"), testUser(t, "b@example.test")
	for _, u := range []*keystore.User{a, b} {
		if err := s.CreateUser(bg(), u); err != nil {
			t.Fatal(err)
		}
	}
	base := s.Prefix() + "{state}:"
	bRec, err := raw.Get(bg(), base+"user:"+b.ID).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Set(bg(), base+"user:"+a.ID, bRec, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetUser(bg(), a.ID); err == nil || isNotFound(err) {
		t.Errorf("GetUser of a record planted under another id = %v, %v; want a corrupt-record error", got, err)
	}
	if got, err := s.GetUserByEmail(bg(), a.Email); err == nil || isNotFound(err) {
		t.Errorf("GetUserByEmail reaching a planted record = %v, %v; want a corrupt-record error", got, err)
	}
	ref := keystore.SealedRef{Ring: keystore.RingTOTPSecrets, Record: a.ID, Field: "TOTPSecret"}
	if err := s.SwapSealed(bg(), ref, "", "x"); err == nil {
		t.Error("SwapSealed wrote through a record planted under another id")
	}

	if err := raw.Set(bg(), base+"user:"+b.ID, "\x00garbage", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if u, err := s.GetUser(bg(), b.ID); err == nil || isNotFound(err) {
		t.Errorf("GetUser of garbage = %v, %v; want a corrupt-record error", u, err)
	}
	if u, err := s.GetUserByEmail(bg(), b.Email); err == nil || isNotFound(err) {
		t.Errorf("GetUserByEmail of garbage = %v, %v; want a corrupt-record error", u, err)
	}
	if _, err := s.ListUsers(bg(), 0, 0); err == nil {
		t.Error("ListUsers over a garbage record succeeded")
	}

	sess := testSession(t, b.ID, time.Now().Add(time.Hour))
	if err := s.CreateUser(bg(), testUser(t, "c@example.test")); err != nil {
		t.Fatal(err)
	}
	c := testUser(t, "d@example.test")
	if err := s.CreateUser(bg(), c); err != nil {
		t.Fatal(err)
	}
	sess.UserID = c.ID
	if err := s.CreateSession(bg(), sess); err != nil {
		t.Fatal(err)
	}
	other := make([]byte, 32)
	other[0] = 1
	v, err := raw.Get(bg(), base+"sess:"+hex.EncodeToString(sess.Digest)).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Set(bg(), base+"sess:"+hex.EncodeToString(other), v, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetSession(bg(), other); err == nil || isNotFound(err) {
		t.Errorf("GetSession of a record planted under another digest = %v, %v; want an error", got, err)
	}
}

func TestPrefixesIsolateDeployments(t *testing.T) {
	a, b := newStore(t), newStore(t)
	u := testUser(t, "same@example.test")
	if err := a.CreateUser(bg(), u); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateUser(bg(), testUser(t, "same@example.test")); err != nil {
		t.Errorf("the other prefix saw the email: %v", err)
	}
	if _, err := b.GetUser(bg(), u.ID); !isNotFound(err) {
		t.Errorf("GetUser across prefixes = %v, want not found", err)
	}
	if err := a.Deny(bg(), "jti", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if denied, err := b.IsDenied(bg(), []byte("jti")); err != nil || denied {
		t.Errorf("IsDenied across prefixes = %v, %v", denied, err)
	}
}

// TestDurableKeysShareOneClusterSlot checks the key layout Cluster mode
// relies on: every durable key carries the {state} hash tag, ephemeral
// keys carry none.
func TestDurableKeysShareOneClusterSlot(t *testing.T) {
	s := newStore(t)
	raw := rawClient(t)
	u := testUser(t, "slot@example.test")
	u.TOTPSecret = "env"
	if err := s.CreateUser(bg(), u); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(bg(), testSession(t, u.ID, time.Now().Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAPIKey(bg(), &keystore.APIKey{KeyID: "kid1", UserID: u.ID, Digest: []byte{1}}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateOAuthLink(bg(), &keystore.OAuthLink{Provider: "github", Subject: "42", UserID: u.ID}); err != nil {
		t.Fatal(err)
	}
	if err := s.Deny(bg(), "jti", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetIfAbsent(bg(), "m", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Incr(bg(), "c", time.Minute); err != nil {
		t.Fatal(err)
	}
	keys, err := raw.Keys(bg(), s.Prefix()+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	durable := 0
	for _, k := range keys {
		rest := strings.TrimPrefix(k, s.Prefix())
		switch {
		case strings.HasPrefix(rest, "{state}:"):
			durable++
		case strings.HasPrefix(rest, "deny:"), strings.HasPrefix(rest, "mark:"), strings.HasPrefix(rest, "ctr:"):
			if strings.ContainsAny(rest, "{}") {
				t.Errorf("ephemeral key %q carries a hash tag", k)
			}
		default:
			t.Errorf("unexpected key %q", k)
		}
	}
	// user, email, users, session, usess, sessexp, key, ukeys, keys, link, ulinks, links
	if durable != 12 {
		t.Errorf("%d durable keys, want 12: %q", durable, keys)
	}
}

func TestSessionRecordExpiresInRedisAfterExpiresAt(t *testing.T) {
	s := newStore(t)
	raw := rawClient(t)
	u := testUser(t, "ttl@example.test")
	if err := s.CreateUser(bg(), u); err != nil {
		t.Fatal(err)
	}
	expires := time.Now().Add(10 * time.Minute)
	sess := testSession(t, u.ID, expires)
	if err := s.CreateSession(bg(), sess); err != nil {
		t.Fatal(err)
	}
	forever := testSession(t, u.ID, time.Time{})
	if err := s.CreateSession(bg(), forever); err != nil {
		t.Fatal(err)
	}
	key := s.Prefix() + "{state}:sess:" + hex.EncodeToString(sess.Digest)
	ttl, err := raw.PTTL(bg(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if lo, hi := 10*time.Minute, 11*time.Minute+time.Second; ttl < lo || ttl > hi {
		t.Errorf("session TTL %v, want between %v and %v", ttl, lo, hi)
	}
	// Touch keeps the expiry.
	if err := s.TouchSession(bg(), sess.Digest, time.Now()); err != nil {
		t.Fatal(err)
	}
	if ttl2, err := raw.PTTL(bg(), key).Result(); err != nil || ttl2 <= 0 || ttl2 > ttl {
		t.Errorf("TTL after touch %v, %v; want kept", ttl2, err)
	}
	fkey := s.Prefix() + "{state}:sess:" + hex.EncodeToString(forever.Digest)
	if ttl, err := raw.PTTL(bg(), fkey).Result(); err != nil || ttl != -1 {
		t.Errorf("session without ExpiresAt has TTL %v, %v; want none", ttl, err)
	}

	// When Redis drops a record on its own, the indexes heal: the list
	// skips it and a purge clears its expiry entry.
	if err := raw.Del(bg(), key).Err(); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListUserSessions(bg(), u.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListUserSessions after Redis dropped one = %d, %v; want 1", len(list), err)
	}
	if n, err := s.PurgeExpiredSessions(bg(), expires.Add(time.Second)); err != nil || n != 0 {
		t.Errorf("PurgeExpiredSessions = %d, %v; want 0 (the record was already gone)", n, err)
	}
	if n, err := raw.ZCard(bg(), s.Prefix()+"{state}:sessexp").Result(); err != nil || n != 0 {
		t.Errorf("expiry index holds %d entries after purge, %v", n, err)
	}
}

func TestPurgeCrossesManyBatches(t *testing.T) {
	s := newStore(t)
	u := testUser(t, "many@example.test")
	if err := s.CreateUser(bg(), u); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(time.Hour)
	const expired, live = 1100, 5
	for i := 0; i < expired+live; i++ {
		exp := now.Add(-time.Duration(i+1) * time.Second)
		if i >= expired {
			exp = now.Add(time.Hour)
		}
		if err := s.CreateSession(bg(), testSession(t, u.ID, exp)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PurgeExpiredSessions(bg(), now)
	if err != nil || n != expired {
		t.Fatalf("PurgeExpiredSessions = %d, %v; want %d", n, err, expired)
	}
	list, err := s.ListUserSessions(bg(), u.ID)
	if err != nil || len(list) != live {
		t.Errorf("%d sessions left, %v; want %d", len(list), err, live)
	}
}

func TestListUsersPagesPastOnePage(t *testing.T) {
	s := newStore(t)
	const n = 600
	for i := 0; i < n; i++ {
		if err := s.CreateUser(bg(), testUser(t, fmt.Sprintf("u%04d@example.test", i))); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.ListUsers(bg(), 0, 0)
	if err != nil || len(all) != n {
		t.Fatalf("ListUsers = %d, %v; want %d", len(all), err, n)
	}
	for i, u := range all {
		if want := fmt.Sprintf("u%04d@example.test", i); u.Email != want {
			t.Fatalf("[%d] = %s, want %s", i, u.Email, want)
		}
	}
	page, err := s.ListUsers(bg(), 250, 300)
	if err != nil || len(page) != 300 || page[0].Email != "u0250@example.test" || page[299].Email != "u0549@example.test" {
		t.Fatalf("ListUsers(250, 300) = %d users, %v", len(page), err)
	}
	walked := 0
	err = s.EachSealed(bg(), keystore.RingTOTPSecrets, func(keystore.SealedRef, string) error { walked++; return nil })
	if err != nil || walked != 0 {
		t.Errorf("EachSealed over users without envelopes = %d, %v", walked, err)
	}
}

func TestConcurrentUpdatesAreNotLost(t *testing.T) {
	// Touch and step-up race on one session; both fields must land.
	s := newStore(t)
	u := testUser(t, "cas@example.test")
	if err := s.CreateUser(bg(), u); err != nil {
		t.Fatal(err)
	}
	sess := testSession(t, u.ID, time.Now().Add(time.Hour))
	if err := s.CreateSession(bg(), sess); err != nil {
		t.Fatal(err)
	}
	seen, step := time.Now().Add(time.Minute).UTC(), time.Now().Add(2*time.Minute).UTC()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := s.TouchSession(bg(), sess.Digest, seen); err != nil {
				t.Errorf("TouchSession: %v", err)
			}
		}()
		go func() {
			defer wg.Done()
			if err := s.SetSessionStepUp(bg(), sess.Digest, step); err != nil {
				t.Errorf("SetSessionStepUp: %v", err)
			}
		}()
	}
	wg.Wait()
	got, err := s.GetSession(bg(), sess.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if !got.LastSeenAt.Equal(seen) || !got.StepUpUntil.Equal(step) {
		t.Errorf("a concurrent update was lost: LastSeenAt %v, StepUpUntil %v", got.LastSeenAt, got.StepUpUntil)
	}
}

func TestNewFromClient(t *testing.T) {
	srv := privateServer(t)
	opts, err := goredis.ParseURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	opts.MaxRetries = -1
	s, err := redis.NewFromClient(goredis.NewUniversalClient(&goredis.UniversalOptions{
		Addrs: []string{srv.Addr}, MaxRetries: -1,
	}), freshPrefix(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(bg()); err != nil {
		t.Fatal(err)
	}
	u := testUser(t, "universal@example.test")
	if err := s.CreateUser(bg(), u); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetUserByEmail(bg(), "UNIVERSAL@example.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := redis.NewFromClient(nil, ""); err == nil {
		t.Error("NewFromClient(nil) succeeded")
	}
	if _, err := redis.NewFromClient(goredis.NewClient(opts), "bad{tag}"); err == nil {
		t.Error("NewFromClient accepted a prefix with braces")
	}
}

func TestClosedStoreRefusesEphemeralCalls(t *testing.T) {
	s := newStore(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if ok, err := s.SetIfAbsent(bg(), "k", time.Minute); ok || !errors.Is(err, keystore.ErrClosed) {
		t.Errorf("SetIfAbsent after Close = %v, %v", ok, err)
	}
	if _, _, err := s.Incr(bg(), "k", time.Minute); !errors.Is(err, keystore.ErrClosed) {
		t.Errorf("Incr after Close = %v", err)
	}
	if err := s.Deny(bg(), "k", time.Now().Add(time.Hour)); !errors.Is(err, keystore.ErrClosed) {
		t.Errorf("Deny after Close = %v", err)
	}
	if err := s.SubscribeRevocations(bg(), func(string) {}); !errors.Is(err, keystore.ErrClosed) {
		t.Errorf("SubscribeRevocations after Close = %v", err)
	}
}
