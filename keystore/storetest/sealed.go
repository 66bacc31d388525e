package storetest

import (
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/keystore"
)

type sealedEntry struct {
	ref      keystore.SealedRef
	envelope string
}

func walk(t *testing.T, s keystore.Store, ring string) map[string]sealedEntry {
	t.Helper()
	out := map[string]sealedEntry{}
	err := s.EachSealed(ctx(), ring, func(ref keystore.SealedRef, envelope string) error {
		if ref.Ring != ring {
			t.Errorf("ref.Ring = %q during walk of %q", ref.Ring, ring)
		}
		if envelope == "" {
			t.Errorf("empty envelope reported for %s/%s", ref.Ring, ref.Field)
		}
		if _, dup := out[envelope]; dup {
			t.Errorf("envelope reported twice in ring %s", ring)
		}
		out[envelope] = sealedEntry{ref, envelope}
		return nil
	})
	noErr(t, "EachSealed "+ring, err)
	return out
}

func runSealed(t *testing.T, newStore NewStore) {
	// seed stores envelopes in every sealed column of every ring and
	// returns them by ring; empty columns must not be reported.
	seed := func(t *testing.T, s keystore.Store) map[string][]string {
		want := map[string][]string{}
		for i, pair := range [][2]string{{"totp-a", "pend-a"}, {"totp-b", ""}, {"", "pend-c"}, {"", ""}} {
			u := newUser(t, "sealed"+string(rune('a'+i))+"@example.test")
			u.TOTPSecret, u.TOTPPending = pair[0], pair[1]
			noErr(t, "CreateUser", s.CreateUser(ctx(), u))
			for _, env := range pair {
				if env != "" {
					want[keystore.RingTOTPSecrets] = append(want[keystore.RingTOTPSecrets], env)
				}
			}
			k := newAPIKey(t, u.ID, base)
			if i%2 == 0 {
				k.SigningRequired, k.SigningSecret = true, "sign-"+u.ID
				want[keystore.RingAPIKeySigning] = append(want[keystore.RingAPIKeySigning], k.SigningSecret)
			}
			noErr(t, "CreateAPIKey", s.CreateAPIKey(ctx(), k))
			l := newOAuthLink(t, "github", u.ID)
			if i < 3 {
				l.AccessToken = "access-" + u.ID
				want[keystore.RingOAuthTokens] = append(want[keystore.RingOAuthTokens], l.AccessToken)
			}
			if i == 0 {
				l.RefreshToken = "refresh-" + u.ID
				want[keystore.RingOAuthTokens] = append(want[keystore.RingOAuthTokens], l.RefreshToken)
			}
			noErr(t, "CreateOAuthLink", s.CreateOAuthLink(ctx(), l))
		}
		return want
	}

	t.Run("WalkReportsEveryNonEmptyEnvelopeOfTheRing", func(t *testing.T) {
		s := newStore(t)
		want := seed(t, s)
		for _, ring := range []string{keystore.RingTOTPSecrets, keystore.RingOAuthTokens, keystore.RingAPIKeySigning} {
			got := walk(t, s, ring)
			if len(got) != len(want[ring]) {
				t.Errorf("ring %s: walked %d envelopes, want %d", ring, len(got), len(want[ring]))
			}
			for _, env := range want[ring] {
				if _, ok := got[env]; !ok {
					t.Errorf("ring %s: an envelope was not reported", ring)
				}
			}
		}
	})

	t.Run("SwapReplacesOnlyMatchingValue", func(t *testing.T) {
		s := newStore(t)
		seed(t, s)
		for _, ring := range []string{keystore.RingTOTPSecrets, keystore.RingOAuthTokens, keystore.RingAPIKeySigning} {
			t.Run(ring, func(t *testing.T) {
				before := walk(t, s, ring)
				for env, e := range before {
					wantErr(t, "SwapSealed with stale old", s.SwapSealed(ctx(), e.ref, env+"-stale", "x"), keystore.ErrConflict)
					noErr(t, "SwapSealed", s.SwapSealed(ctx(), e.ref, env, "new-"+env))
					wantErr(t, "SwapSealed replayed", s.SwapSealed(ctx(), e.ref, env, "again"), keystore.ErrConflict)
				}
				after := walk(t, s, ring)
				if len(after) != len(before) {
					t.Fatalf("after swap %d envelopes, want %d", len(after), len(before))
				}
				for env, e := range before {
					got, ok := after["new-"+env]
					if !ok || got.ref != e.ref {
						t.Errorf("swapped envelope missing or moved to another ref")
					}
				}
			})
		}
		// The swap went to the right records: spot-check through the typed API.
		for _, e := range walk(t, s, keystore.RingTOTPSecrets) {
			u, err := s.GetUser(ctx(), userIDOf(t, s, e))
			noErr(t, "GetUser", err)
			if u.TOTPSecret != e.envelope && u.TOTPPending != e.envelope {
				t.Errorf("user %s does not hold the swapped envelope", u.ID)
			}
		}
	})

	t.Run("SwapOnMissingRecordOrUnknownRingFails", func(t *testing.T) {
		s := newStore(t)
		seed(t, s)
		var ref keystore.SealedRef
		for _, e := range walk(t, s, keystore.RingTOTPSecrets) {
			ref = e.ref
			break
		}
		missing := ref
		missing.Record = "0123456789abcdef0123456789abcdef"
		if err := s.SwapSealed(ctx(), missing, "x", "y"); !errors.Is(err, keystore.ErrNotFound) && !errors.Is(err, keystore.ErrConflict) {
			t.Errorf("swap on missing record: err = %v, want ErrNotFound or ErrConflict", err)
		}
		badRing := ref
		badRing.Ring = "no_such_ring"
		if err := s.SwapSealed(ctx(), badRing, "x", "y"); err == nil {
			t.Errorf("swap in unknown ring succeeded")
		}
		if err := s.EachSealed(ctx(), "no_such_ring", func(keystore.SealedRef, string) error { return nil }); err == nil {
			t.Errorf("walk of unknown ring succeeded")
		}
	})

	t.Run("WalkStopsOnCallbackError", func(t *testing.T) {
		s := newStore(t)
		seed(t, s)
		stop := errors.New("stop")
		calls := 0
		err := s.EachSealed(ctx(), keystore.RingTOTPSecrets, func(keystore.SealedRef, string) error {
			calls++
			return stop
		})
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("EachSealed = %v after %d calls, want the callback's error after 1", err, calls)
		}
	})
}

// userIDOf finds the user holding e by scanning users; refs are opaque.
func userIDOf(t *testing.T, s keystore.Store, e sealedEntry) string {
	t.Helper()
	users, err := s.ListUsers(ctx(), 0, 0)
	noErr(t, "ListUsers", err)
	for _, u := range users {
		if u.TOTPSecret == e.envelope || u.TOTPPending == e.envelope {
			return u.ID
		}
	}
	t.Fatalf("no user holds a walked envelope")
	return ""
}
