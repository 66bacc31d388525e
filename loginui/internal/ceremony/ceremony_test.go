package ceremony

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/webauthntest"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/bolt"
	"github.com/gatehouse/gatehouse/keystore/memory"
)

const origin = "https://auth.example.com"

type fixture struct {
	rp    *RP
	store *bolt.Store
	now   time.Time
	user  *keystore.User
	other *keystore.User
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{now: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
	st, err := bolt.Open(filepath.Join(t.TempDir(), "pk.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.store = st
	for i, email := range []string{"alice@example.com", "bob@example.com"} {
		u := &keystore.User{ID: strings.Repeat(string(rune('a'+i)), 32), Email: email, Active: true, CreatedAt: f.now}
		if err := st.CreateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			f.user = u
		} else {
			f.other = u
		}
	}
	rp, err := New(Config{
		RPID: "example.com", Origins: []string{origin},
		StateKey: bytes.Repeat([]byte{1}, 32), HandleKey: bytes.Repeat([]byte{2}, 32),
		Passkeys: st, Markers: memory.New(memory.Options{MaxEntries: 1000}),
		Now: func() time.Time { return f.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	f.rp = rp
	return f
}

// register adds a passkey for u through a full ceremony.
func (f *fixture) register(t testing.TB, a *webauthntest.Authenticator, u *keystore.User) *keystore.Passkey {
	t.Helper()
	opts, st, err := f.rp.BeginRegistration(context.Background(), u, "sess-"+u.ID)
	if err != nil {
		t.Fatal(err)
	}
	ans, _, err := a.Create(opts, webauthntest.Options{Origin: origin})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.rp.FinishRegistration(context.Background(), u, "sess-"+u.ID, st, ans, "Laptop")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRegisterThenLogInEachWay(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := webauthntest.New()
	p := f.register(t, a, f.user)
	if p.UserID != f.user.ID || p.Name != "Laptop" || !p.UserVerified || len(p.UserHandle) != 32 ||
		bytes.Contains(p.UserHandle, []byte(f.user.ID)) {
		t.Fatalf("stored passkey %+v", p)
	}
	got, err := f.store.GetPasskey(ctx, p.CredentialID)
	if err != nil || got.UserID != f.user.ID {
		t.Fatalf("GetPasskey = %+v, %v", got, err)
	}

	// Passwordless, discoverable.
	opts, st, err := f.rp.BeginLogin("login-client")
	if err != nil {
		t.Fatal(err)
	}
	ans, err := a.Get(opts, webauthntest.Options{Origin: origin})
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.rp.FinishAssertion(ctx, KindLogin, "", "login-client", st, ans)
	if err != nil {
		t.Fatal(err)
	}
	if res.UserID != f.user.ID || !res.UserVerified || res.Passkey.SignCount != 1 || !res.Passkey.LastUsedAt.Equal(f.now) {
		t.Fatalf("login result %+v / %+v", res, res.Passkey)
	}

	// Second step and step-up of a known user.
	for _, kind := range []string{KindSecond, KindStepUp} {
		opts, st, err := f.rp.BeginAssertion(ctx, kind, f.user, "pending-1")
		if err != nil {
			t.Fatal(err)
		}
		ans, err := a.Get(opts, webauthntest.Options{Origin: origin})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.rp.FinishAssertion(ctx, kind, f.user.ID, "pending-1", st, ans); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
	}

	// Without user verification the login still works, and says so.
	a.NoUV = true
	opts, st, _ = f.rp.BeginLogin("c2")
	ans, _ = a.Get(opts, webauthntest.Options{Origin: origin})
	res, err = f.rp.FinishAssertion(ctx, KindLogin, "", "c2", st, ans)
	if err != nil || res.UserVerified {
		t.Fatalf("no-UV login: %+v, %v", res, err)
	}
}

// TestHostileCeremoniesAreRefusedAndStoreNothing: every tampered or
// misdirected answer is refused with its error and changes no record.
func TestHostileCeremoniesAreRefusedAndStoreNothing(t *testing.T) {
	ctx := context.Background()
	type step func(t *testing.T, f *fixture, a *webauthntest.Authenticator) error
	reg := func(mut func(f *fixture, opts []byte, st string) (ans []byte, user *keystore.User, bind, st2 string)) step {
		return func(t *testing.T, f *fixture, a *webauthntest.Authenticator) error {
			opts, st, err := f.rp.BeginRegistration(ctx, f.user, "sess")
			if err != nil {
				t.Fatal(err)
			}
			ans, u, bind, st2 := mut(f, opts, st)
			_, err = f.rp.FinishRegistration(ctx, u, bind, st2, ans, "x")
			return err
		}
	}
	create := func(a *webauthntest.Authenticator, opts []byte, o webauthntest.Options) []byte {
		ans, _, err := a.Create(opts, o)
		if err != nil {
			panic(err)
		}
		return ans
	}
	login := func(o webauthntest.Options, kind, user, bind string, swap func(st string) string) step {
		return func(t *testing.T, f *fixture, a *webauthntest.Authenticator) error {
			var opts []byte
			var st string
			var err error
			if kind == KindLogin {
				opts, st, err = f.rp.BeginLogin("c")
			} else {
				opts, st, err = f.rp.BeginAssertion(ctx, kind, f.user, "c")
			}
			if err != nil {
				t.Fatal(err)
			}
			if swap != nil {
				st = swap(st)
			}
			ans, err := a.Get(opts, o)
			if err != nil {
				t.Fatal(err)
			}
			return errOf(f.rp.FinishAssertion(ctx, kind, user, bind, st, ans))
		}
	}
	good := webauthntest.Options{Origin: origin}
	for _, tc := range []struct {
		name string
		run  step
		want error
	}{
		{"registration from another origin", reg(func(f *fixture, opts []byte, st string) ([]byte, *keystore.User, string, string) {
			return create(webauthntest.New(), opts, webauthntest.Options{Origin: "https://evil.example.net"}), f.user, "sess", st
		}), ErrVerify},
		{"registration for another RP ID", reg(func(f *fixture, opts []byte, st string) ([]byte, *keystore.User, string, string) {
			return create(webauthntest.New(), opts, webauthntest.Options{Origin: origin, RPID: "evil.example.net"}), f.user, "sess", st
		}), ErrVerify},
		{"registration answering another challenge", reg(func(f *fixture, opts []byte, st string) ([]byte, *keystore.User, string, string) {
			return create(webauthntest.New(), opts, webauthntest.Options{Origin: origin, Challenge: bytes.Repeat([]byte{9}, 32)}), f.user, "sess", st
		}), ErrVerify},
		{"registration finished by another user", reg(func(f *fixture, opts []byte, st string) ([]byte, *keystore.User, string, string) {
			return create(webauthntest.New(), opts, good), f.other, "sess", st
		}), ErrState},
		{"registration finished from another session", reg(func(f *fixture, opts []byte, st string) ([]byte, *keystore.User, string, string) {
			return create(webauthntest.New(), opts, good), f.user, "other-sess", st
		}), ErrState},
		{"registration state altered", reg(func(f *fixture, opts []byte, st string) ([]byte, *keystore.User, string, string) {
			b := []byte(st)
			b[10] ^= 1
			return create(webauthntest.New(), opts, good), f.user, "sess", string(b)
		}), ErrState},
		{"registration answer malformed", reg(func(f *fixture, opts []byte, st string) ([]byte, *keystore.User, string, string) {
			return []byte(`{"id":"AAAA","type":"public-key","response":{}}`), f.user, "sess", st
		}), ErrVerify},
		{"registration after expiry", func(t *testing.T, f *fixture, a *webauthntest.Authenticator) error {
			opts, st, _ := f.rp.BeginRegistration(ctx, f.user, "sess")
			f.now = f.now.Add(DefaultLifetime)
			return errOf(f.rp.FinishRegistration(ctx, f.user, "sess", st, create(webauthntest.New(), opts, good), "x"))
		}, ErrState},
		{"registration replayed", func(t *testing.T, f *fixture, a *webauthntest.Authenticator) error {
			opts, st, _ := f.rp.BeginRegistration(ctx, f.user, "sess")
			ans := create(webauthntest.New(), opts, good)
			if _, err := f.rp.FinishRegistration(ctx, f.user, "sess", st, ans, "x"); err != nil {
				t.Fatal(err)
			}
			return errOf(f.rp.FinishRegistration(ctx, f.user, "sess", st, ans, "x"))
		}, ErrReplayed},
		{"login from another origin", login(webauthntest.Options{Origin: "https://evil.example.net"}, KindLogin, "", "c", nil), ErrVerify},
		{"login for another RP ID", login(webauthntest.Options{Origin: origin, RPID: "evil.example.net"}, KindLogin, "", "c", nil), ErrVerify},
		{"login answering another challenge", login(webauthntest.Options{Origin: origin, Challenge: bytes.Repeat([]byte{9}, 32)}, KindLogin, "", "c", nil), ErrVerify},
		{"login from another client", login(good, KindLogin, "", "other", nil), ErrState},
		{"second step of another user", login(good, KindSecond, "b", "c", nil), ErrState},
		{"step-up state used as a second step", func(t *testing.T, f *fixture, a *webauthntest.Authenticator) error {
			opts, st, _ := f.rp.BeginAssertion(ctx, KindStepUp, f.user, "c")
			ans, _ := a.Get(opts, good)
			return errOf(f.rp.FinishAssertion(ctx, KindSecond, f.user.ID, "c", st, ans))
		}, ErrState},
		{"login replayed", func(t *testing.T, f *fixture, a *webauthntest.Authenticator) error {
			opts, st, _ := f.rp.BeginLogin("c")
			ans, _ := a.Get(opts, good)
			if _, err := f.rp.FinishAssertion(ctx, KindLogin, "", "c", st, ans); err != nil {
				t.Fatal(err)
			}
			return errOf(f.rp.FinishAssertion(ctx, KindLogin, "", "c", st, ans))
		}, ErrReplayed},
		{"lowered sign counter (clone)", func(t *testing.T, f *fixture, a *webauthntest.Authenticator) error {
			a.CounterStep = 5
			opts, st, _ := f.rp.BeginLogin("c")
			ans, _ := a.Get(opts, good)
			if _, err := f.rp.FinishAssertion(ctx, KindLogin, "", "c", st, ans); err != nil {
				t.Fatal(err)
			}
			a.Creds[0].SignCount = 1 // the clone's counter is behind
			a.CounterStep = 1
			opts, st, _ = f.rp.BeginLogin("c")
			ans, _ = a.Get(opts, good)
			return errOf(f.rp.FinishAssertion(ctx, KindLogin, "", "c", st, ans))
		}, ErrCloned},
		{"unknown credential", func(t *testing.T, f *fixture, a *webauthntest.Authenticator) error {
			stranger := webauthntest.New()
			// A credential made for this RP but never registered here.
			opts, _, _ := f.rp.BeginRegistration(ctx, f.user, "sess")
			if _, _, err := stranger.Create(opts, good); err != nil {
				t.Fatal(err)
			}
			opts, st, _ := f.rp.BeginLogin("c")
			ans, err := stranger.Get(opts, good)
			if err != nil {
				t.Fatal(err)
			}
			return errOf(f.rp.FinishAssertion(ctx, KindLogin, "", "c", st, ans))
		}, ErrUnknownCredential},
		{"another user's credential at a second step", func(t *testing.T, f *fixture, a *webauthntest.Authenticator) error {
			b := webauthntest.New()
			f.register(t, b, f.other)
			opts, st, _ := f.rp.BeginAssertion(ctx, KindSecond, f.user, "c")
			_ = opts
			// Bob's authenticator answers Alice's ceremony with Bob's key.
			ans, err := b.Assert(b.Creds[0], challengeOf(t, opts), good)
			if err != nil {
				t.Fatal(err)
			}
			return errOf(f.rp.FinishAssertion(ctx, KindSecond, f.user.ID, "c", st, ans))
		}, ErrUnknownCredential},
		{"assertion malformed", func(t *testing.T, f *fixture, a *webauthntest.Authenticator) error {
			_, st, _ := f.rp.BeginLogin("c")
			return errOf(f.rp.FinishAssertion(ctx, KindLogin, "", "c", st, []byte(`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"e30"}}`)))
		}, ErrVerify},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			a := webauthntest.New()
			base := f.register(t, a, f.user)
			before := passkeysOf(t, f)
			err := tc.run(t, f, a)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			after := passkeysOf(t, f)
			// Only the successful first halves of the two-step cases may
			// have changed anything; the refused step changed nothing.
			if tc.name != "registration replayed" && tc.name != "lowered sign counter (clone)" &&
				tc.name != "login replayed" && tc.name != "another user's credential at a second step" && after != before {
				t.Fatalf("store changed by a refused ceremony:\nbefore %s\nafter  %s", before, after)
			}
			if tc.name == "lowered sign counter (clone)" {
				p, _ := f.store.GetPasskey(ctx, base.CredentialID)
				if p.SignCount != 5 {
					t.Fatalf("clone's use was recorded: counter %d", p.SignCount)
				}
			}
		})
	}
}

func errOf[T any](_ T, err error) error { return err }

func challengeOf(t *testing.T, opts []byte) []byte {
	t.Helper()
	var ro struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
		} `json:"publicKey"`
	}
	if err := jsonUnmarshal(opts, &ro); err != nil {
		t.Fatal(err)
	}
	b, err := b64Decode(ro.PublicKey.Challenge)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// passkeysOf renders every stored passkey (both users) for comparison.
func passkeysOf(t *testing.T, f *fixture) string {
	t.Helper()
	var b strings.Builder
	for _, u := range []*keystore.User{f.user, f.other} {
		pks, err := f.store.ListUserPasskeys(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pks {
			b.WriteString(u.ID[:1] + ":" + string(rune('0'+p.SignCount%10)) + ":" + p.LastUsedAt.String() + ";")
		}
	}
	return b.String()
}
