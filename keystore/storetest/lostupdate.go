package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

// runLostUpdates pins that record updates are field-level: writers that
// change different fields of one record at the same time all keep their
// change, and a deactivation, revocation or deletion is never undone by
// a concurrent self-service write.
func runLostUpdates(t *testing.T, newStore NewStore) {
	t.Run("ConcurrentUserFieldChangesAllSurvive", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "fields@example.test")
		const rounds = 20
		last := fmt.Sprint(rounds - 1)
		// Each writer owns one field and sets it rounds times; the last
		// value it wrote must be the one stored at the end.
		writers := []struct {
			name  string
			set   func(x *keystore.User, i int)
			check func(x *keystore.User) bool
		}{
			{"DisplayName", func(x *keystore.User, i int) { x.DisplayName = fmt.Sprint("name ", i) },
				func(x *keystore.User) bool { return x.DisplayName == "name "+last }},
			{"Roles", func(x *keystore.User, i int) { x.Roles = []string{"role" + fmt.Sprint(i)} },
				func(x *keystore.User) bool { return sameStrings(x.Roles, []string{"role" + last}) }},
			{"PasswordHash", func(x *keystore.User, i int) { x.PasswordHash = fmt.Sprint("$argon2id$v=19$hash", i) },
				func(x *keystore.User) bool { return x.PasswordHash == "$argon2id$v=19$hash"+last }},
			{"TOTPSecret", func(x *keystore.User, i int) { x.TOTPSecret = fmt.Sprint("fernet:secret", i) },
				func(x *keystore.User) bool { return x.TOTPSecret == "fernet:secret"+last }},
			{"TOTPPending", func(x *keystore.User, i int) { x.TOTPPending = fmt.Sprint("fernet:pending", i) },
				func(x *keystore.User) bool { return x.TOTPPending == "fernet:pending"+last }},
			// Flags end on the opposite of their starting value.
			{"TOTPEnabled", func(x *keystore.User, i int) { x.TOTPEnabled = i%2 == 1 },
				func(x *keystore.User) bool { return x.TOTPEnabled }},
			{"Superuser", func(x *keystore.User, i int) { x.Superuser = i%2 == 1 },
				func(x *keystore.User) bool { return x.Superuser }},
			{"Verified", func(x *keystore.User, i int) { x.Verified = i%2 == 0 },
				func(x *keystore.User) bool { return !x.Verified }},
			{"UpdatedAt", func(x *keystore.User, i int) { x.UpdatedAt = base.Add(time.Duration(i) * time.Hour) },
				func(x *keystore.User) bool { return x.UpdatedAt.Equal(base.Add((rounds - 1) * time.Hour)) }},
		}
		if u.TOTPEnabled || u.Superuser || !u.Verified {
			t.Fatal("fixture user must start with TOTP off, no superuser, verified")
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, len(writers)*rounds)
		for _, w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for i := 0; i < rounds; i++ {
					if _, err := s.UpdateUser(ctx(), u.ID, func(x *keystore.User) error { w.set(x, i); return nil }); err != nil {
						errs <- fmt.Errorf("%s: %w", w.name, err)
						return
					}
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("UpdateUser: %v", err)
		}
		got, err := s.GetUser(ctx(), u.ID)
		noErr(t, "GetUser", err)
		for _, w := range writers {
			if !w.check(got) {
				t.Errorf("%s: a concurrent update of another field undid this one", w.name)
			}
		}
		if got.Email != u.Email || !got.Active {
			t.Errorf("fields nobody changed moved: email or active")
		}
	})

	t.Run("ConcurrentAPIKeyFieldChangesAllSurvive", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "keyfields@example.test")
		k := mustCreateAPIKey(t, s, u.ID, base)
		const rounds = 20
		last := fmt.Sprint(rounds - 1)
		lastTime := base.Add((rounds - 1) * time.Minute)
		update := func(fn func(x *keystore.APIKey)) error {
			_, err := s.UpdateAPIKey(ctx(), k.KeyID, func(x *keystore.APIKey) error { fn(x); return nil })
			return err
		}
		writers := []struct {
			name  string
			set   func(i int) error
			check func(x *keystore.APIKey) bool
		}{
			{"Name", func(i int) error { return update(func(x *keystore.APIKey) { x.Name = fmt.Sprint("name", i) }) },
				func(x *keystore.APIKey) bool { return x.Name == "name"+last }},
			{"Scopes", func(i int) error {
				return update(func(x *keystore.APIKey) { x.Scopes = []string{fmt.Sprint("scope", i)} })
			},
				func(x *keystore.APIKey) bool { return sameStrings(x.Scopes, []string{"scope" + last}) }},
			{"Signing", func(i int) error {
				return update(func(x *keystore.APIKey) { x.SigningRequired, x.SigningSecret = true, fmt.Sprint("fernet:sig", i) })
			}, func(x *keystore.APIKey) bool { return x.SigningRequired && x.SigningSecret == "fernet:sig"+last }},
			{"ExpiresAt", func(i int) error {
				return update(func(x *keystore.APIKey) { x.ExpiresAt = base.Add(time.Duration(i) * time.Minute) })
			}, func(x *keystore.APIKey) bool { return x.ExpiresAt.Equal(lastTime) }},
			{"TouchAPIKey", func(i int) error { return s.TouchAPIKey(ctx(), k.KeyID, base.Add(time.Duration(i)*time.Minute)) },
				func(x *keystore.APIKey) bool { return x.LastUsedAt.Equal(lastTime) }},
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, len(writers)*rounds)
		for _, w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for i := 0; i < rounds; i++ {
					if err := w.set(i); err != nil {
						errs <- fmt.Errorf("%s: %w", w.name, err)
						return
					}
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("update: %v", err)
		}
		got, err := s.GetAPIKey(ctx(), k.KeyID)
		noErr(t, "GetAPIKey", err)
		for _, w := range writers {
			if !w.check(got) {
				t.Errorf("%s: a concurrent update of another field undid this one", w.name)
			}
		}
		if !got.RevokedAt.IsZero() || got.Env != k.Env || string(got.Digest) != string(k.Digest) {
			t.Errorf("fields nobody changed moved")
		}
	})

	// hammer runs fn in two goroutines until stop is closed, and returns
	// a function that stops them and reports how many calls returned
	// each kind of error other than the allowed one.
	hammer := func(t *testing.T, fn func(i int) error, allowed error) (stop func() int) {
		done := make(chan struct{})
		var wg sync.WaitGroup
		var calls, bad atomic.Int64
		for g := 0; g < 2; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-done:
						return
					default:
					}
					calls.Add(1)
					if err := fn(i); err != nil && !errors.Is(err, allowed) {
						if bad.Add(1) == 1 {
							t.Errorf("racing update: %v", err)
						}
					}
				}
			}()
		}
		return func() int {
			close(done)
			wg.Wait()
			return int(calls.Load())
		}
	}
	// waitCalls lets the hammer get going before the decision lands, so
	// the decision really races in-flight updates.
	waitCalls := func(t *testing.T, n *atomic.Int64) {
		deadline := time.Now().Add(5 * time.Second)
		for n.Load() < 4 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}

	t.Run("DeactivationRacingProfileUpdatesAlwaysWins", func(t *testing.T) {
		s := newStore(t)
		for round := 0; round < 5; round++ {
			u := mustCreateUser(t, s, fmt.Sprintf("deact%d@example.test", round))
			var n atomic.Int64
			stop := hammer(t, func(i int) error {
				n.Add(1)
				_, err := s.UpdateUser(ctx(), u.ID, func(x *keystore.User) error { x.DisplayName = fmt.Sprint("me ", i); return nil })
				return err
			}, nil)
			waitCalls(t, &n)
			_, err := s.UpdateUser(ctx(), u.ID, func(x *keystore.User) error { x.Active = false; return nil })
			// Keep updating after the decision: later writes must not undo it.
			time.Sleep(5 * time.Millisecond)
			stop()
			noErr(t, "deactivate", err)
			got, err := s.GetUser(ctx(), u.ID)
			noErr(t, "GetUser", err)
			if got.Active {
				t.Fatalf("round %d: user active again after a deactivation raced profile updates", round)
			}
		}
	})

	t.Run("RevocationRacingKeyRenamesAlwaysWins", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "revrace@example.test")
		for round := 0; round < 5; round++ {
			k := mustCreateAPIKey(t, s, u.ID, base)
			var n atomic.Int64
			stop := hammer(t, func(i int) error {
				n.Add(1)
				_, err := s.UpdateAPIKey(ctx(), k.KeyID, func(x *keystore.APIKey) error { x.Name = fmt.Sprint("n", i); return nil })
				return err
			}, nil)
			waitCalls(t, &n)
			at := base.Add(time.Duration(round+1) * time.Minute)
			err := s.RevokeAPIKey(ctx(), k.KeyID, at)
			time.Sleep(5 * time.Millisecond)
			stop()
			noErr(t, "RevokeAPIKey", err)
			got, err := s.GetAPIKey(ctx(), k.KeyID)
			noErr(t, "GetAPIKey", err)
			if !got.RevokedAt.Equal(at) {
				t.Fatalf("round %d: RevokedAt = %v after a revocation raced renames, want %v", round, got.RevokedAt, at)
			}
		}
	})

	t.Run("DeletionRacingKeyRenamesAlwaysWins", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "delrace@example.test")
		for round := 0; round < 5; round++ {
			k := mustCreateAPIKey(t, s, u.ID, base)
			var n atomic.Int64
			stop := hammer(t, func(i int) error {
				n.Add(1)
				_, err := s.UpdateAPIKey(ctx(), k.KeyID, func(x *keystore.APIKey) error { x.Name = fmt.Sprint("n", i); return nil })
				return err
			}, keystore.ErrNotFound)
			waitCalls(t, &n)
			err := s.DeleteAPIKey(ctx(), k.KeyID)
			time.Sleep(5 * time.Millisecond)
			stop()
			noErr(t, "DeleteAPIKey", err)
			if _, err := s.GetAPIKey(ctx(), k.KeyID); !isNotFound(err) {
				t.Fatalf("round %d: deleted key is back after racing renames: err = %v", round, err)
			}
			list, err := s.ListUserAPIKeys(ctx(), u.ID)
			noErr(t, "ListUserAPIKeys", err)
			for _, x := range list {
				if x.KeyID == k.KeyID {
					t.Fatalf("round %d: deleted key still in the user's index", round)
				}
			}
		}
	})

	t.Run("DeletedUserIsNeverRecreatedByAnUpdate", func(t *testing.T) {
		s := newStore(t)
		for round := 0; round < 5; round++ {
			u := mustCreateUser(t, s, fmt.Sprintf("delusr%d@example.test", round))
			var n atomic.Int64
			stop := hammer(t, func(i int) error {
				n.Add(1)
				_, err := s.UpdateUser(ctx(), u.ID, func(x *keystore.User) error { x.DisplayName = fmt.Sprint("me ", i); return nil })
				return err
			}, keystore.ErrNotFound)
			waitCalls(t, &n)
			err := s.DeleteUser(ctx(), u.ID)
			time.Sleep(5 * time.Millisecond)
			stop()
			noErr(t, "DeleteUser", err)
			if _, err := s.GetUser(ctx(), u.ID); !isNotFound(err) {
				t.Fatalf("round %d: deleted user is back: err = %v", round, err)
			}
			if _, err := s.GetUserByEmail(ctx(), u.Email); !isNotFound(err) {
				t.Fatalf("round %d: deleted user's email index is back: err = %v", round, err)
			}
		}
	})

	t.Run("EmailChangeRacingClaimExactlyOneWins", func(t *testing.T) {
		s := newStore(t)
		created := 0
		for round := 0; round < 5; round++ {
			target := fmt.Sprintf("wanted%d@example.test", round)
			const movers = 4
			users := make([]*keystore.User, movers)
			for i := range users {
				users[i] = mustCreateUser(t, s, fmt.Sprintf("mover%d-%d@example.test", round, i))
			}
			fresh := newUser(t, target)
			var wg sync.WaitGroup
			start := make(chan struct{})
			results := make([]error, movers+1)
			for i, u := range users {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, results[i] = s.UpdateUser(ctx(), u.ID, func(x *keystore.User) error { x.Email = target; return nil })
				}()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[movers] = s.CreateUser(ctx(), fresh)
			}()
			close(start)
			wg.Wait()

			winner := ""
			for i, err := range results {
				id := fresh.ID
				if i < movers {
					id = users[i].ID
				}
				switch {
				case err == nil && winner != "":
					t.Fatalf("round %d: two writers got %s", round, target)
				case err == nil:
					winner = id
				case !errors.Is(err, keystore.ErrDuplicate):
					t.Errorf("round %d: loser err = %v, want ErrDuplicate", round, err)
				}
			}
			if winner == "" {
				t.Fatalf("round %d: nobody got %s", round, target)
			}
			got, err := s.GetUserByEmail(ctx(), target)
			noErr(t, "GetUserByEmail", err)
			if got.ID != winner {
				t.Errorf("round %d: %s maps to %s, not the winner", round, target, got.ID)
			}
			for _, u := range users {
				want := u.Email
				if u.ID == winner {
					want = target
				}
				byEmail, err := s.GetUserByEmail(ctx(), want)
				noErr(t, "GetUserByEmail "+want, err)
				if byEmail.ID != u.ID || byEmail.Email != want {
					t.Errorf("round %d: index and record disagree for %s", round, u.ID)
				}
				if u.ID != winner {
					if _, err := s.GetUserByEmail(ctx(), u.Email); err != nil {
						t.Errorf("round %d: loser lost its own email: %v", round, err)
					}
				}
			}
			if winner == fresh.ID {
				created++
			} else if _, err := s.GetUser(ctx(), fresh.ID); !isNotFound(err) {
				t.Errorf("round %d: losing CreateUser was stored: err = %v", round, err)
			}
			created += movers
			n, err := s.CountUsers(ctx())
			noErr(t, "CountUsers", err)
			if n != created {
				t.Errorf("round %d: CountUsers = %d, want %d", round, n, created)
			}
		}
	})
}
