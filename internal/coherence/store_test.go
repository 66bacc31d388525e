package coherence_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/coherence"
	"github.com/gatehouse/gatehouse/keystore"
)

// fakeStore answers every write the wrapper forwards with err (and, for
// DeleteUserSessions, deleted); methods not overridden panic through the
// nil embedded interface, so a wrapper that calls an unexpected method
// fails the test.
type fakeStore struct {
	keystore.Store
	err     error
	deleted int
	calls   []string
}

func (f *fakeStore) UpdateUser(_ context.Context, _ string, _ func(*keystore.User) error) (*keystore.User, error) {
	f.calls = append(f.calls, "UpdateUser")
	return &keystore.User{}, f.err
}

func (f *fakeStore) DeleteUser(context.Context, string) error {
	f.calls = append(f.calls, "DeleteUser")
	return f.err
}

func (f *fakeStore) DeleteSession(context.Context, []byte) error {
	f.calls = append(f.calls, "DeleteSession")
	return f.err
}

func (f *fakeStore) DeleteUserSessions(context.Context, string, []byte) (int, error) {
	f.calls = append(f.calls, "DeleteUserSessions")
	return f.deleted, f.err
}

func (f *fakeStore) SetSessionStepUp(context.Context, []byte, time.Time) error {
	f.calls = append(f.calls, "SetSessionStepUp")
	return f.err
}

func (f *fakeStore) UpdateAPIKey(context.Context, string, func(*keystore.APIKey) error) (*keystore.APIKey, error) {
	f.calls = append(f.calls, "UpdateAPIKey")
	return &keystore.APIKey{}, f.err
}

func (f *fakeStore) RevokeAPIKey(context.Context, string, time.Time) error {
	f.calls = append(f.calls, "RevokeAPIKey")
	return f.err
}

func (f *fakeStore) DeleteAPIKey(context.Context, string) error {
	f.calls = append(f.calls, "DeleteAPIKey")
	return f.err
}

func (f *fakeStore) Deny(context.Context, string, time.Time) error {
	f.calls = append(f.calls, "Deny")
	return f.err
}

func (f *fakeStore) TouchSession(context.Context, []byte, time.Time) error {
	f.calls = append(f.calls, "TouchSession")
	return f.err
}

func (f *fakeStore) TouchAPIKey(context.Context, string, time.Time) error {
	f.calls = append(f.calls, "TouchAPIKey")
	return f.err
}

func (f *fakeStore) CreatePasskey(context.Context, *keystore.Passkey) error {
	f.calls = append(f.calls, "CreatePasskey")
	return f.err
}

func (f *fakeStore) CreateSession(context.Context, *keystore.Session) error {
	f.calls = append(f.calls, "CreateSession")
	return f.err
}

// fakeInvalidator records each Invalidate* call as "Method(arg)".
type fakeInvalidator struct{ got []string }

func (f *fakeInvalidator) InvalidateUser(id string)   { f.got = append(f.got, "User("+id+")") }
func (f *fakeInvalidator) InvalidateAPIKey(id string) { f.got = append(f.got, "APIKey("+id+")") }
func (f *fakeInvalidator) InvalidateSession(d []byte) {
	f.got = append(f.got, "Session("+string(d)+")")
}
func (f *fakeInvalidator) InvalidateTokenID(id string) { f.got = append(f.got, "TokenID("+id+")") }
func (f *fakeInvalidator) InvalidateAll()              { f.got = append(f.got, "All()") }
func (f *fakeInvalidator) reset()                      { f.got = nil }
func (f *fakeInvalidator) equal(want []string) bool    { return slices.Equal(f.got, want) }
func noFn[T any](*T) error                             { return nil }
func ctx() context.Context                             { return context.Background() }
func at() time.Time                                    { return time.Unix(1700000000, 0) }
func digest() []byte                                   { return []byte("d1") }

// writes is the cache-coherence policy as a table: each store write made
// through coherence.Store and the cache entries it must drop on success.
var writes = []struct {
	method  string
	deleted int // DeleteUserSessions' answer
	call    func(s keystore.Store) error
	drops   []string
}{
	{"UpdateUser", 0, func(s keystore.Store) error { _, err := s.UpdateUser(ctx(), "u1", noFn); return err }, []string{"User(u1)"}},
	{"DeleteUser", 0, func(s keystore.Store) error { return s.DeleteUser(ctx(), "u1") }, []string{"All()"}},
	{"DeleteSession", 0, func(s keystore.Store) error { return s.DeleteSession(ctx(), digest()) }, []string{"Session(d1)"}},
	{"DeleteUserSessions", 2, func(s keystore.Store) error { _, err := s.DeleteUserSessions(ctx(), "u1", nil); return err }, []string{"All()"}},
	{"SetSessionStepUp", 0, func(s keystore.Store) error { return s.SetSessionStepUp(ctx(), digest(), at()) }, []string{"Session(d1)"}},
	{"UpdateAPIKey", 0, func(s keystore.Store) error { _, err := s.UpdateAPIKey(ctx(), "k1", noFn); return err }, []string{"APIKey(k1)"}},
	{"RevokeAPIKey", 0, func(s keystore.Store) error { return s.RevokeAPIKey(ctx(), "k1", at()) }, []string{"APIKey(k1)"}},
	{"DeleteAPIKey", 0, func(s keystore.Store) error { return s.DeleteAPIKey(ctx(), "k1") }, []string{"APIKey(k1)"}},
	{"Deny", 0, func(s keystore.Store) error { return s.Deny(ctx(), "jti-1", at()) }, []string{"TokenID(jti-1)"}},
	{"CreatePasskey", 0, func(s keystore.Store) error { return s.CreatePasskey(ctx(), &keystore.Passkey{UserID: "u1"}) }, []string{"User(u1)"}},
	// Writes that change no cached answer pass straight through.
	{"TouchSession", 0, func(s keystore.Store) error { return s.TouchSession(ctx(), digest(), at()) }, nil},
	{"TouchAPIKey", 0, func(s keystore.Store) error { return s.TouchAPIKey(ctx(), "k1", at()) }, nil},
	{"CreateSession", 0, func(s keystore.Store) error { return s.CreateSession(ctx(), &keystore.Session{}) }, nil},
	// Deleting no session leaves the caches alone.
	{"DeleteUserSessions", 0, func(s keystore.Store) error { _, err := s.DeleteUserSessions(ctx(), "u1", nil); return err }, nil},
}

func TestEachWriteDropsItsCacheEntryOnlyOnSuccess(t *testing.T) {
	for _, w := range writes {
		for _, fail := range []bool{false, true} {
			name := w.method
			if fail {
				name += "/store error"
			}
			t.Run(name, func(t *testing.T) {
				st := &fakeStore{deleted: w.deleted}
				if fail {
					st.err = errors.New("store down")
				}
				inv := &fakeInvalidator{}
				err := w.call(coherence.Store{Store: st, Drop: inv})
				if !errors.Is(err, st.err) || (st.err == nil) != (err == nil) {
					t.Fatalf("error %v, want the store's %v unchanged", err, st.err)
				}
				if calls := st.calls; !slices.Equal(calls, []string{w.method}) {
					t.Fatalf("store calls %v, want [%s] once", calls, w.method)
				}
				want := w.drops
				if fail {
					want = nil
				}
				if !inv.equal(want) {
					t.Fatalf("invalidations %v, want %v", inv.got, want)
				}
			})
		}
	}
}

// TestEveryStoreWriteHasACoherenceDecision: a method added to
// keystore.Store must be classified here (and, if it changes an answer
// the verifier caches, wrapped in coherence.Store), so a new write cannot
// silently leave stale cache entries.
func TestEveryStoreWriteHasACoherenceDecision(t *testing.T) {
	decided := map[string]string{
		// Wrapped (see the writes table).
		"UpdateUser": "wrapped", "DeleteUser": "wrapped", "DeleteSession": "wrapped",
		"DeleteUserSessions": "wrapped", "SetSessionStepUp": "wrapped", "UpdateAPIKey": "wrapped",
		"RevokeAPIKey": "wrapped", "DeleteAPIKey": "wrapped", "Deny": "wrapped", "CreatePasskey": "wrapped",
		// Writes that change no cached answer.
		"CreateUser":           "a new user is not cached yet",
		"CreateSession":        "a new session is not cached yet",
		"CreateAPIKey":         "a new key is not cached yet",
		"TouchSession":         "last-seen time; the verifier does not decide on it",
		"TouchAPIKey":          "last-used time; the verifier does not decide on it",
		"PurgeExpiredSessions": "expired sessions are refused anyway",
		"CreateOAuthLink":      "the verifier does not read OAuth links",
		"DeleteOAuthLink":      "the verifier does not read OAuth links",
		"SwapSealed":           "same plaintext; the verifier re-opens a changed envelope",
		"UsePasskey":           "counters and last use; the verifier reads only whether a user has a passkey",
		"DeletePasskey":        "a removal only makes step_up less strict: a stale answer asks for a step-up a cache TTL longer (fail closed)",
		// Reads and lifecycle.
		"GetUser": "read", "GetUserByEmail": "read", "ListUsers": "read", "CountUsers": "read",
		"GetSession": "read", "ListUserSessions": "read", "GetAPIKey": "read", "ListUserAPIKeys": "read",
		"GetOAuthLink": "read", "ListUserOAuthLinks": "read", "GetPasskey": "read", "ListUserPasskeys": "read", "EachSealed": "read", "IsDenied": "read",
		"Ping": "read", "Close": "lifecycle",
	}
	typ := reflect.TypeFor[keystore.Store]()
	for i := range typ.NumMethod() {
		m := typ.Method(i).Name
		if _, ok := decided[m]; !ok {
			t.Errorf("keystore.Store.%s has no cache-coherence decision: wrap it in coherence.Store or say here why it changes no cached answer", m)
		}
	}
	for _, w := range writes {
		if decided[w.method] != "wrapped" && w.drops != nil {
			t.Errorf("%s drops cache entries but is not listed as wrapped", w.method)
		}
	}
}

type fakeDenylist struct {
	err   error
	calls int
}

func (f *fakeDenylist) Deny(context.Context, string, time.Time) error  { f.calls++; return f.err }
func (f *fakeDenylist) IsDenied(context.Context, []byte) (bool, error) { return false, nil }

func TestSeparateDenylistDropsTheTokenIDOnlyOnSuccess(t *testing.T) {
	for _, fail := range []bool{false, true} {
		d := &fakeDenylist{}
		if fail {
			d.err = errors.New("redis down")
		}
		inv := &fakeInvalidator{}
		err := coherence.Denylist{Denylist: d, Drop: inv}.Deny(ctx(), "jti-2", at())
		want := []string{"TokenID(jti-2)"}
		if fail {
			want = nil
		}
		if !errors.Is(err, d.err) || d.calls != 1 || !inv.equal(want) {
			t.Fatalf("fail=%t: err %v, calls %d, invalidations %v", fail, err, d.calls, inv.got)
		}
	}
}

// TestDenylistForUsesTheStoreWhenItIsTheDenylist: with shared.backend
// memory the durable store is the denylist, and a Deny must go through
// the store's wrapper (once); a separate denylist gets its own wrapper.
func TestDenylistForUsesTheStoreWhenItIsTheDenylist(t *testing.T) {
	st := &fakeStore{}
	inv := &fakeInvalidator{}
	ns := coherence.Store{Store: st, Drop: inv}
	got := coherence.DenylistFor(st, ns)
	if _, ok := got.(coherence.Store); !ok {
		t.Fatalf("DenylistFor(the store) = %T, want coherence.Store", got)
	}
	if err := got.Deny(ctx(), "jti-3", at()); err != nil || !slices.Equal(st.calls, []string{"Deny"}) || !inv.equal([]string{"TokenID(jti-3)"}) {
		t.Fatalf("Deny through the store: err %v, calls %v, invalidations %v", err, st.calls, inv.got)
	}
	sep := &fakeDenylist{}
	got = coherence.DenylistFor(sep, ns)
	if _, ok := got.(coherence.Denylist); !ok {
		t.Fatalf("DenylistFor(separate) = %T, want coherence.Denylist", got)
	}
	inv.reset()
	if err := got.Deny(ctx(), "jti-4", at()); err != nil || sep.calls != 1 || !inv.equal([]string{"TokenID(jti-4)"}) {
		t.Fatalf("Deny through the separate denylist: err %v, calls %d, invalidations %v", err, sep.calls, inv.got)
	}
}
