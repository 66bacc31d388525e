package migrate_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/redistest"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/bolt"
	"github.com/gatehouse/gatehouse/keystore/migrate"
	"github.com/gatehouse/gatehouse/keystore/redis"
)

func bg() context.Context { return context.Background() }

// side is st as a deployment with shared.backend redis on the same Redis
// (markers beside the records), or a bbolt store with shared memory.
func side(st keystore.Store) migrate.Side {
	if m, ok := st.(keystore.Markers); ok {
		return migrate.Side{Store: st, Markers: m}
	}
	return migrate.Side{Store: st}
}

func randHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func openBolt(t testing.TB) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "gatehouse.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// openRedis opens a store under a fresh prefix of srv (a standalone
// server) or of cl (a Cluster) — exactly one is set.
func openRedis(t testing.TB, srv *redistest.Server, cl *redistest.Cluster, prefix string) *redis.Store {
	t.Helper()
	if prefix == "" {
		prefix = "t" + randHex(t, 6) + ":"
	}
	opts := redis.Options{Prefix: prefix, ReadTimeout: 5 * time.Second}
	if cl != nil {
		opts.Cluster = &redis.Cluster{Addrs: []string{cl.Nodes[0].Addr}}
	} else {
		opts.URL = srv.URL
	}
	s, err := redis.Open(bg(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

var epoch = time.Date(2031, 5, 6, 7, 8, 9, 123456789, time.UTC)

// fixture is what populate wrote that the tests look at again.
type fixture struct {
	users        []*keystore.User
	revokedJTI   string
	revokedChain string
	revokedKey   string
	live         int // records Run must copy: users, live sessions, keys, links
}

// populate fills st with users of every shape: TOTP material, roles,
// flags, sub-second times; each with a session, a refresh record of a
// chain, an expired session, API keys (one revoked, one with a signing
// envelope) and an OAuth link; and denylist entries for a JWT id, a
// refresh chain and a spent refresh token.
func populate(t testing.TB, st keystore.Store, n int) fixture {
	t.Helper()
	now := time.Now().UTC()
	var f fixture
	tag := randHex(t, 3)
	for i := 0; i < n; i++ {
		u := &keystore.User{
			ID: randHex(t, 16), Email: fmt.Sprintf("Person%d-%s@Example.test", i, tag), DisplayName: fmt.Sprintf("Person %d", i),
			PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA", Roles: []string{"dev", fmt.Sprintf("team-%d", i%3)},
			Superuser: i == 0, Active: i%5 != 4, Verified: true, EmailVerifiedAt: epoch.Add(time.Duration(i) * time.Millisecond),
			TOTPEnabled: i%2 == 0, TOTPSecret: "gAAAAA-totp-envelope-" + randHex(t, 8), TOTPPending: map[bool]string{true: "gAAAAA-pending"}[i%3 == 0],
			CreatedAt: epoch, UpdatedAt: epoch.Add(time.Second + 7),
		}
		must(t, "CreateUser", st.CreateUser(bg(), u))
		f.users = append(f.users, u)
		chain := randHex(t, 8)
		for j, s := range []*keystore.Session{
			{Kind: keystore.KindSession, AuthMethod: "password+totp", ExpiresAt: now.Add(24 * time.Hour), StepUpUntil: now.Add(time.Minute)},
			{Kind: keystore.KindRefresh, AuthMethod: "oauth:github", ChainID: chain, ExpiresAt: now.Add(30 * 24 * time.Hour)},
			{Kind: keystore.KindSession, AuthMethod: "password", ExpiresAt: now.Add(-10 * time.Second)}, // expired (Redis keeps it a minute longer): not copied
		} {
			s.Digest, _ = hex.DecodeString(randHex(t, 32))
			s.UserID, s.CreatedAt, s.LastSeenAt, s.UserAgent = u.ID, epoch, epoch.Add(time.Duration(j)), "agent/1"
			must(t, "CreateSession", st.CreateSession(bg(), s))
		}
		for j := 0; j < 2; j++ {
			k := &keystore.APIKey{KeyID: randHex(t, 9), UserID: u.ID, Name: fmt.Sprintf("key %d", j), Env: "live",
				Scopes: []string{"read"}, CreatedAt: epoch.Add(time.Duration(j) * time.Second), ExpiresAt: now.Add(time.Hour)}
			k.Digest, _ = hex.DecodeString(randHex(t, 32))
			if j == 1 {
				k.SigningRequired, k.SigningSecret = true, "gAAAAA-signing-"+randHex(t, 4)
			}
			must(t, "CreateAPIKey", st.CreateAPIKey(bg(), k))
			if i == 0 && j == 0 {
				must(t, "RevokeAPIKey", st.RevokeAPIKey(bg(), k.KeyID, epoch.Add(time.Hour)))
				f.revokedKey = k.KeyID
			}
		}
		must(t, "CreateOAuthLink", st.CreateOAuthLink(bg(), &keystore.OAuthLink{Provider: "github", Subject: "gh-" + randHex(t, 4),
			UserID: u.ID, Email: u.Email, AccessToken: "gAAAAA-access", CreatedAt: epoch}))
		cred, _ := hex.DecodeString(randHex(t, 20))
		must(t, "CreatePasskey", st.CreatePasskey(bg(), &keystore.Passkey{CredentialID: cred, UserID: u.ID, UserHandle: []byte(u.ID),
			PublicKey: []byte{0xa5, 1, 2, 3}, AttestationType: "none", AAGUID: make([]byte, 16), SignCount: 41,
			Transports: []string{"internal"}, BackupEligible: true, UserVerified: true, Name: "laptop", CreatedAt: epoch, LastUsedAt: epoch.Add(time.Minute)}))
		f.live += 1 + 2 + 2 + 1 + 1
	}
	f.revokedJTI, f.revokedChain = "jti-"+randHex(t, 8), keystore.ChainDenyPrefix+randHex(t, 8)
	must(t, "Deny", st.Deny(bg(), f.revokedJTI, now.Add(15*time.Minute+123456)))
	must(t, "Deny", st.Deny(bg(), f.revokedChain, now.Add(30*24*time.Hour)))
	must(t, "Deny", st.Deny(bg(), "spent:"+randHex(t, 32), now.Add(time.Hour)))
	return f
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// sameContents fails t unless dst holds every live record of src with
// the same stored encoding and its indexes answer (email, provider +
// subject, per-user lists), and every denylist entry at least as long.
func sameContents(t *testing.T, src, dst keystore.Store) {
	t.Helper()
	users, err := src.ListUsers(bg(), 0, 0)
	must(t, "ListUsers", err)
	now := time.Now()
	for _, u := range users {
		got, err := dst.GetUserByEmail(bg(), strings.ToUpper(u.Email))
		if err != nil || !equalUser(got, u) {
			t.Fatalf("user %s: by email %+v, %v; want %+v", u.ID, got, err, u)
		}
		want, err := src.ListUserSessions(bg(), u.ID)
		must(t, "ListUserSessions", err)
		var live []*keystore.Session
		for _, s := range want {
			if s.ExpiresAt.After(now) {
				live = append(live, s)
			}
		}
		have, err := dst.ListUserSessions(bg(), u.ID)
		must(t, "ListUserSessions", err)
		if len(have) != len(live) {
			t.Fatalf("user %s: %d sessions, want %d live", u.ID, len(have), len(live))
		}
		for _, s := range live {
			g, err := dst.GetSession(bg(), s.Digest)
			if err != nil || encSession(g) != encSession(s) {
				t.Fatalf("session of %s: %+v, %v; want %+v", u.ID, g, err, s)
			}
		}
		keys, err := src.ListUserAPIKeys(bg(), u.ID)
		must(t, "ListUserAPIKeys", err)
		haveKeys, err := dst.ListUserAPIKeys(bg(), u.ID)
		must(t, "ListUserAPIKeys", err)
		if len(haveKeys) != len(keys) {
			t.Fatalf("user %s: %d api keys, want %d", u.ID, len(haveKeys), len(keys))
		}
		for i, k := range keys {
			if fmt.Sprintf("%+v", *haveKeys[i]) != fmt.Sprintf("%+v", *k) {
				t.Fatalf("api key of %s:\n%+v\nwant\n%+v", u.ID, *haveKeys[i], *k)
			}
		}
		passkeys, err := src.ListUserPasskeys(bg(), u.ID)
		must(t, "ListUserPasskeys", err)
		havePasskeys, err := dst.ListUserPasskeys(bg(), u.ID)
		must(t, "ListUserPasskeys", err)
		if len(havePasskeys) != len(passkeys) {
			t.Fatalf("user %s: %d passkeys, want %d", u.ID, len(havePasskeys), len(passkeys))
		}
		for _, p := range passkeys {
			g, err := dst.GetPasskey(bg(), p.CredentialID)
			if err != nil || fmt.Sprintf("%+v", *g) != fmt.Sprintf("%+v", *p) {
				t.Fatalf("passkey of %s: %+v, %v; want %+v", u.ID, g, err, p)
			}
		}
		links, err := src.ListUserOAuthLinks(bg(), u.ID)
		must(t, "ListUserOAuthLinks", err)
		for _, l := range links {
			g, err := dst.GetOAuthLink(bg(), l.Provider, l.Subject)
			if err != nil || fmt.Sprintf("%+v", *g) != fmt.Sprintf("%+v", *l) {
				t.Fatalf("link of %s: %+v, %v; want %+v", u.ID, g, err, l)
			}
		}
	}
	if n, _ := dst.CountUsers(bg()); n != len(users) {
		t.Fatalf("destination has %d users, want %d", n, len(users))
	}
	want := denied(t, src)
	have := denied(t, dst)
	if len(have) != len(want) {
		t.Fatalf("destination denies %d ids, want %d", len(have), len(want))
	}
	for id, until := range want {
		if h, ok := have[id]; !ok || h.Before(until) || h.After(until.Add(time.Millisecond)) {
			t.Fatalf("denylist %q until %v (present %v), want %v", id, h, ok, until)
		}
	}
}

func denied(t *testing.T, st keystore.Store) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	must(t, "EachDenied", st.(keystore.Exporter).EachDenied(bg(), func(id string, until time.Time) error {
		if !strings.HasPrefix(id, "migrate-probe:") {
			out[id] = until
		}
		return nil
	}))
	return out
}

func equalUser(a, b *keystore.User) bool {
	return a != nil && fmt.Sprintf("%+v", *a) == fmt.Sprintf("%+v", *b)
}

func encSession(s *keystore.Session) string {
	if s == nil {
		return ""
	}
	return fmt.Sprintf("%x|%s|%s|%s|%s|%d|%d|%d|%s|%d", s.Digest, s.UserID, s.Kind, s.AuthMethod, s.ChainID,
		s.CreatedAt.UnixNano(), s.ExpiresAt.UnixNano(), s.LastSeenAt.UnixNano(), s.UserAgent, s.StepUpUntil.UnixNano())
}

type pair struct {
	name     string
	src, dst func(t *testing.T) keystore.Store
}

// pairs are the migrations the tests run: bbolt to standalone Redis,
// Redis to Redis (another prefix, as on another deployment), Redis to
// bbolt, and bbolt to a 3-primary Cluster when cluster is set.
func pairs(t *testing.T, cluster bool) []pair {
	redistest.Need(t)
	srv := redistest.StartServer(t)
	var cl *redistest.Cluster
	if cluster {
		cl = redistest.StartCluster(t, 3)
	}
	b := func(t *testing.T) keystore.Store { return openBolt(t) }
	r := func(t *testing.T) keystore.Store { return openRedis(t, srv, nil, "") }
	ps := []pair{
		{"bbolt to Redis", b, r},
		{"Redis to Redis", r, r},
		{"Redis to bbolt", r, b},
	}
	if cl != nil {
		ps = append(ps,
			pair{"bbolt to Cluster", b, func(t *testing.T) keystore.Store { return openRedis(t, nil, cl, "") }},
			pair{"Cluster to Redis", func(t *testing.T) keystore.Store { return openRedis(t, nil, cl, "") }, r})
	}
	return ps
}

// TestMigrateCopiesEveryRecordExactly: after a migration every user,
// live session and refresh record, API key, OAuth link and denylist
// entry of the source is in the destination with the same encoding, the
// indexes answer, and the counts verify; expired sessions stay behind.
func TestMigrateCopiesEveryRecordExactly(t *testing.T) {
	for _, p := range pairs(t, true) {
		t.Run(p.name, func(t *testing.T) {
			src, dst := p.src(t), p.dst(t)
			f := populate(t, src, 12)
			var progress bytes.Buffer
			rep, err := migrate.Run(bg(), side(src), side(dst), migrate.Options{Progress: &progress})
			if err != nil {
				var sum bytes.Buffer
				if rep != nil {
					rep.WriteSummary(&sum)
				}
				t.Fatalf("Run: %v\n%s", err, sum.String())
			}
			sameContents(t, src, dst)
			var copied int64
			for _, k := range []migrate.Kind{migrate.Users, migrate.Sessions, migrate.APIKeys, migrate.OAuthLinks, migrate.Passkeys} {
				copied += rep.Tally[k].Copied
			}
			if copied != int64(f.live) || rep.Tally[migrate.Sessions].Expired != 12 || rep.Tally[migrate.Denylist].Copied != 3 {
				t.Errorf("tally %+v, want %d records copied, 12 expired sessions, 3 denials", rep.Tally, f.live)
			}
			if !rep.Verified || rep.Source[migrate.Users] != 12 || rep.Dest[migrate.Sessions] != 24 || len(rep.Mismatched()) > 0 {
				t.Errorf("verification source %v destination %v", rep.Source, rep.Dest)
			}
			if !strings.Contains(progress.String(), "users 12/12") {
				t.Errorf("progress %q does not count users", progress.String())
			}
			// Uniqueness holds in the destination: the email and the
			// provider+subject are claimed, not just written.
			u := *f.users[3]
			u.ID = randHex(t, 16)
			if err := dst.CreateUser(bg(), &u); !errors.Is(err, keystore.ErrDuplicate) {
				t.Errorf("a second user with a migrated email: %v, want ErrDuplicate", err)
			}
		})
	}
}

// TestMigrateKeepsRevocations: a revoked JWT id, a revoked refresh chain
// and a revoked API key stay revoked in the destination; a migration
// that dropped them would revive the credentials.
func TestMigrateKeepsRevocations(t *testing.T) {
	for _, p := range pairs(t, false) {
		t.Run(p.name, func(t *testing.T) {
			src, dst := p.src(t), p.dst(t)
			f := populate(t, src, 2)
			if _, err := migrate.Run(bg(), side(src), side(dst), migrate.Options{}); err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{f.revokedJTI, f.revokedChain} {
				if ok, err := dst.IsDenied(bg(), []byte(id)); err != nil || !ok {
					t.Errorf("IsDenied(%q) in the destination = %v, %v; want true", id, ok, err)
				}
			}
			k, err := dst.GetAPIKey(bg(), f.revokedKey)
			if err != nil || !k.RevokedAt.Equal(epoch.Add(time.Hour)) {
				t.Errorf("revoked API key in the destination: %+v, %v", k, err)
			}
		})
	}
}

var errInjected = errors.New("injected crash")

// crashAfter is a destination that fails every write after the first n,
// as a run killed part-way would leave it; with interrupt set it cancels
// the run's context instead, as Ctrl-C does.
type crashAfter struct {
	keystore.Store
	left      atomic.Int64
	interrupt context.CancelFunc
}

func (c *crashAfter) step() error {
	if c.left.Add(-1) < 0 {
		if c.interrupt != nil {
			c.interrupt()
			return context.Canceled
		}
		return errInjected
	}
	return nil
}

func (c *crashAfter) CreateUser(ctx context.Context, u *keystore.User) error {
	if err := c.step(); err != nil {
		return err
	}
	return c.Store.CreateUser(ctx, u)
}

func (c *crashAfter) CreateSession(ctx context.Context, s *keystore.Session) error {
	if err := c.step(); err != nil {
		return err
	}
	return c.Store.CreateSession(ctx, s)
}

func (c *crashAfter) CreateAPIKey(ctx context.Context, k *keystore.APIKey) error {
	if err := c.step(); err != nil {
		return err
	}
	return c.Store.CreateAPIKey(ctx, k)
}

func (c *crashAfter) CreateOAuthLink(ctx context.Context, l *keystore.OAuthLink) error {
	if err := c.step(); err != nil {
		return err
	}
	return c.Store.CreateOAuthLink(ctx, l)
}

func (c *crashAfter) Deny(ctx context.Context, id string, until time.Time) error {
	if err := c.step(); err != nil {
		return err
	}
	return c.Store.Deny(ctx, id, until)
}

func (c *crashAfter) EachDenied(ctx context.Context, fn func(string, time.Time) error) error {
	return c.Store.(keystore.Exporter).EachDenied(ctx, fn)
}

// TestMigrateResumesAfterInterruption: a run that dies after K writes
// leaves a partial destination; running again completes it without
// conflicts, skipping what is there, and the counts verify.
func TestMigrateResumesAfterInterruption(t *testing.T) {
	ps := pairs(t, false)
	for _, k := range []int64{1, 2, 5, 17, 60} {
		for _, p := range ps[:2] {
			for _, how := range []string{"crash", "Ctrl-C"} {
				t.Run(fmt.Sprintf("%s, %s after %d writes", p.name, how, k), func(t *testing.T) {
					src, dst := p.src(t), p.dst(t)
					f := populate(t, src, 10)
					ctx, cancel := context.WithCancel(bg())
					defer cancel()
					crash := &crashAfter{Store: dst}
					want := errInjected
					if how == "Ctrl-C" {
						crash.interrupt, want = cancel, context.Canceled
					}
					crash.left.Store(k)
					rep, err := migrate.Run(ctx, side(src), migrate.Side{Store: crash}, migrate.Options{Workers: 3})
					if !errors.Is(err, want) {
						t.Fatalf("interrupted run: %v, want %v", err, want)
					}
					if rep != nil && rep.Verified {
						t.Errorf("an interrupted run claims verification")
					}
					rep, err = migrate.Run(bg(), side(src), side(dst), migrate.Options{Workers: 3})
					if err != nil {
						t.Fatalf("resumed run: %v", err)
					}
					sameContents(t, src, dst)
					var copied, skipped int64
					for _, kind := range []migrate.Kind{migrate.Users, migrate.Sessions, migrate.APIKeys, migrate.OAuthLinks, migrate.Passkeys} {
						copied += rep.Tally[kind].Copied
						skipped += rep.Tally[kind].Skipped
					}
					if copied+skipped != int64(f.live) || rep.ConflictCount() != 0 {
						t.Errorf("resumed run copied %d, skipped %d, %d conflicts; want %d records in all", copied, skipped, rep.ConflictCount(), f.live)
					}
					// A third run finds everything in place.
					rep, err = migrate.Run(bg(), side(src), side(dst), migrate.Options{})
					if err != nil || rep.Tally[migrate.Users].Copied != 0 || rep.Tally[migrate.Users].Skipped != 10 {
						t.Errorf("third run: %v, tally %+v", err, rep.Tally)
					}
				})
			}
		}
	}
}

// TestMigrateFailsOnConflicts: a destination record with the source's
// key but other contents, or holding the source's unique email, stops
// the run with ErrConflicts (named by id, the destination's record
// untouched), unless AllowConflicts.
func TestMigrateFailsOnConflicts(t *testing.T) {
	ps := pairs(t, false)
	cases := []struct {
		name  string
		plant func(t *testing.T, f fixture, dst keystore.Store)
		kind  migrate.Kind
		// mismatch: the conflict leaves the destination a record short.
		mismatch bool
	}{
		{"same user id, other name", func(t *testing.T, f fixture, dst keystore.Store) {
			u := *f.users[1]
			u.DisplayName = "Someone else"
			must(t, "CreateUser", dst.CreateUser(bg(), &u))
		}, migrate.Users, false},
		{"email taken by another user", func(t *testing.T, f fixture, dst keystore.Store) {
			u := *f.users[1]
			u.ID = randHex(t, 16)
			must(t, "CreateUser", dst.CreateUser(bg(), &u))
		}, migrate.Users, true},
		{"same session digest, other user agent", func(t *testing.T, f fixture, dst keystore.Store) {
			u := *f.users[0]
			must(t, "CreateUser", dst.CreateUser(bg(), &u))
			ss, err := srcOf(t).ListUserSessions(bg(), u.ID)
			must(t, "ListUserSessions", err)
			s := *ss[0]
			if !s.ExpiresAt.After(time.Now()) {
				s = *ss[1]
			}
			s.UserAgent = "other/2"
			must(t, "CreateSession", dst.CreateSession(bg(), &s))
		}, migrate.Sessions, false},
		{"same api key id, not revoked", func(t *testing.T, f fixture, dst keystore.Store) {
			u := *f.users[0]
			must(t, "CreateUser", dst.CreateUser(bg(), &u))
			k, err := srcOf(t).GetAPIKey(bg(), f.revokedKey)
			must(t, "GetAPIKey", err)
			k.RevokedAt = time.Time{}
			must(t, "CreateAPIKey", dst.CreateAPIKey(bg(), k))
		}, migrate.APIKeys, false},
	}
	for _, c := range cases {
		for _, p := range ps[:2] {
			t.Run(c.name+", "+p.name, func(t *testing.T) {
				src, dst := p.src(t), p.dst(t)
				curSrc = src
				f := populate(t, src, 3)
				c.plant(t, f, dst)
				rep, err := migrate.Run(bg(), side(src), side(dst), migrate.Options{})
				if !errors.Is(err, migrate.ErrConflicts) {
					t.Fatalf("Run: %v, want ErrConflicts", err)
				}
				if rep.Tally[c.kind].Conflicts != 1 || len(rep.Conflicts) < 1 || rep.Conflicts[0].Kind != c.kind {
					t.Fatalf("conflicts %+v, tally %+v; want one %s", rep.Conflicts, rep.Tally, c.kind)
				}
				var sum bytes.Buffer
				rep.WriteSummary(&sum)
				if strings.Contains(strings.ToLower(sum.String()), "example.test") {
					t.Errorf("the summary names an email:\n%s", sum.String())
				}
				if c.kind == migrate.Users && !c.mismatch {
					if u, _ := dst.GetUser(bg(), f.users[1].ID); u == nil || u.DisplayName != "Someone else" {
						t.Errorf("the destination's conflicting user was changed: %+v", u)
					}
				}
				rep, err = migrate.Run(bg(), side(src), side(dst), migrate.Options{AllowConflicts: true})
				switch {
				case c.mismatch && !errors.Is(err, migrate.ErrMismatch):
					t.Errorf("allowed conflict that loses a user: %v, want ErrMismatch", err)
				case !c.mismatch && err != nil:
					t.Errorf("allowed conflict: %v", err)
				}
				if rep == nil || rep.ConflictCount() == 0 {
					t.Errorf("allowed conflicts are no longer reported")
				}
			})
		}
	}
}

// curSrc lets a case's plant function read the source it was given
// (cases run one at a time).
var curSrc keystore.Store

func srcOf(*testing.T) keystore.Store { return curSrc }

// TestMigrateRefusesTheSameStore: a destination that is the source —
// the same handle, the same Redis under the same prefix, the same bbolt
// file by another path — is refused before anything is written; the same
// Redis under another prefix is another store.
func TestMigrateRefusesTheSameStore(t *testing.T) {
	redistest.Need(t)
	srv := redistest.StartServer(t)
	prefix := "t" + randHex(t, 6) + ":"
	a := openRedis(t, srv, nil, prefix)
	b := openRedis(t, srv, nil, prefix)
	other := openRedis(t, srv, nil, "")
	bf := openBolt(t)
	cases := []struct {
		name     string
		src, dst keystore.Store
		same     bool
	}{
		{"one handle", a, a, true},
		{"same server and prefix", a, b, true},
		{"same server, other prefix", a, other, false},
		{"bbolt and Redis", bf, a, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			populate(t, c.src, 1)
			before, _ := c.dst.CountUsers(bg())
			_, err := migrate.Run(bg(), side(c.src), side(c.dst), migrate.Options{})
			if c.same != errors.Is(err, migrate.ErrSameStore) {
				t.Fatalf("Run: %v, want same-store refusal %v", err, c.same)
			}
			if after, _ := c.dst.CountUsers(bg()); c.same && after != before {
				t.Errorf("a refused run wrote users: %d -> %d", before, after)
			}
		})
	}
	t.Run("bbolt file by two paths", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "gatehouse.db")
		s, err := bolt.Open(p, bolt.Options{NoSync: true})
		must(t, "Open", err)
		_ = s.Close()
		if !migrate.SameFile(p, filepath.Join(dir, ".", "sub", "..", "gatehouse.db")) {
			t.Errorf("SameFile missed one file by two paths")
		}
		if migrate.SameFile(p, filepath.Join(dir, "other.db")) {
			t.Errorf("SameFile took two files for one")
		}
	})
}

// TestMigrateCopiesRevocationsFromWhereTheyLive: with shared.backend
// redis the denylist and the single-use markers live in the shared Redis,
// not beside the records; they are copied from the source's shared store
// to the destination's (a used setup or reset token stays used), and not
// at all when both sides share one.
func TestMigrateCopiesRevocationsFromWhereTheyLive(t *testing.T) {
	redistest.Need(t)
	srv := redistest.StartServer(t)
	srcShared := openRedis(t, srv, nil, "")
	dstAll := openRedis(t, srv, nil, "")
	records := openBolt(t)
	populate(t, records, 2)
	now := time.Now()
	must(t, "Deny", srcShared.Deny(bg(), "jti-in-shared", now.Add(time.Hour)))
	won, err := srcShared.SetIfAbsent(bg(), "setup:used-token", time.Hour)
	if err != nil || !won {
		t.Fatalf("SetIfAbsent: %v, %v", won, err)
	}
	src := migrate.Side{Store: records, Denylist: srcShared, Markers: srcShared}
	cases := []struct {
		name   string
		dst    migrate.Side
		shared bool
	}{
		{"to its own Redis", migrate.Side{Store: dstAll, Markers: dstAll}, false},
		{"keeping the shared Redis", migrate.Side{Store: openRedis(t, srv, nil, ""), Denylist: srcShared, Markers: srcShared}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := migrate.Run(bg(), src, c.dst, migrate.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.SharedDenylist != c.shared {
				t.Errorf("SharedDenylist = %v, want %v", rep.SharedDenylist, c.shared)
			}
			deny := c.dst.Denylist
			if deny == nil {
				deny = c.dst.Store
			}
			if ok, err := deny.IsDenied(bg(), []byte("jti-in-shared")); err != nil || !ok {
				t.Errorf("revocation kept in the shared Redis: denied %v, %v after the move", ok, err)
			}
			if won, err := c.dst.Markers.SetIfAbsent(bg(), "setup:used-token", time.Hour); err != nil || won {
				t.Errorf("a used setup token is fresh again after the move: %v, %v", won, err)
			}
			if c.shared {
				if rep.Tally[migrate.Denylist].Copied != 0 || rep.Source[migrate.Denylist] != -1 {
					t.Errorf("a shared denylist was copied onto itself: %+v %v", rep.Tally[migrate.Denylist], rep.Source)
				}
				return
			}
			if rep.Tally[migrate.Denylist].Copied != 1 || rep.Tally[migrate.Markers].Copied != 1 || rep.Dest[migrate.Markers] != 1 {
				t.Errorf("tally %+v, destination counts %v; want the 1 shared denial (not the records store's) and 1 marker", rep.Tally, rep.Dest)
			}
		})
	}
}
