package storetest

import (
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

func runUsers(t *testing.T, newStore NewStore) {
	t.Run("CreateThenGetByIDAndEmail", func(t *testing.T) {
		s := newStore(t)
		u := newUser(t, "Alice@Example.test")
		u.Superuser, u.TOTPEnabled, u.TOTPSecret = true, true, "fernet:v1:k1:secret"
		noErr(t, "CreateUser", s.CreateUser(ctx(), u))

		got, err := s.GetUser(ctx(), u.ID)
		noErr(t, "GetUser", err)
		if d := diffUser(got, u); d != "" {
			t.Errorf("GetUser: %s", d)
		}
		for _, email := range []string{"Alice@Example.test", "alice@example.test", "ALICE@EXAMPLE.TEST", "  alice@example.TEST "} {
			got, err := s.GetUserByEmail(ctx(), email)
			noErr(t, "GetUserByEmail", err)
			if d := diffUser(got, u); d != "" {
				t.Errorf("GetUserByEmail(%q): %s", email, d)
			}
		}
	})

	t.Run("EmailVerifiedAtRoundTripsAndClears", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "verified@example.test")
		got, err := s.GetUser(ctx(), u.ID)
		noErr(t, "GetUser", err)
		if !got.EmailVerifiedAt.Equal(u.EmailVerifiedAt) || got.EmailVerifiedAt.IsZero() {
			t.Fatalf("EmailVerifiedAt = %v, want %v", got.EmailVerifiedAt, u.EmailVerifiedAt)
		}
		// An email change clears it; the zero time must come back zero.
		u.Email, u.Verified, u.EmailVerifiedAt = "moved@example.test", false, time.Time{}
		_, err = s.UpdateUser(ctx(), u.ID, func(x *keystore.User) error {
			x.Email, x.Verified, x.EmailVerifiedAt = u.Email, u.Verified, u.EmailVerifiedAt
			return nil
		})
		noErr(t, "UpdateUser", err)
		got, err = s.GetUser(ctx(), u.ID)
		noErr(t, "GetUser", err)
		if d := diffUser(got, u); d != "" || !got.EmailVerifiedAt.IsZero() {
			t.Errorf("after clearing: %s (EmailVerifiedAt %v)", d, got.EmailVerifiedAt)
		}
	})

	t.Run("DuplicateIDIsRefused", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "one@example.test")
		dup := newUser(t, "two@example.test")
		dup.ID = u.ID
		wantErr(t, "CreateUser same id", s.CreateUser(ctx(), dup), keystore.ErrDuplicate)
		if _, err := s.GetUserByEmail(ctx(), "two@example.test"); !isNotFound(err) {
			t.Errorf("refused user left an email index entry: err = %v", err)
		}
		got, err := s.GetUser(ctx(), u.ID)
		noErr(t, "GetUser", err)
		if d := diffUser(got, u); d != "" {
			t.Errorf("original changed: %s", d)
		}
	})

	t.Run("DuplicateEmailIsCaseInsensitive", func(t *testing.T) {
		s := newStore(t)
		mustCreateUser(t, s, "A@x.test")
		for _, email := range []string{"A@x.test", "a@X.test", "a@x.test", " A@X.TEST"} {
			u := newUser(t, email)
			wantErr(t, "CreateUser "+email, s.CreateUser(ctx(), u), keystore.ErrDuplicate)
			if _, err := s.GetUser(ctx(), u.ID); !isNotFound(err) {
				t.Errorf("refused user %q was stored: err = %v", email, err)
			}
		}
		n, err := s.CountUsers(ctx())
		noErr(t, "CountUsers", err)
		if n != 1 {
			t.Errorf("CountUsers = %d, want 1", n)
		}
	})

	t.Run("MissingRecordsAreNotFound", func(t *testing.T) {
		s := newStore(t)
		_, err := s.GetUser(ctx(), "0123456789abcdef0123456789abcdef")
		wantErr(t, "GetUser", err, keystore.ErrNotFound)
		_, err = s.GetUser(ctx(), "")
		wantErr(t, "GetUser empty id", err, keystore.ErrNotFound)
		_, err = s.GetUserByEmail(ctx(), "nobody@example.test")
		wantErr(t, "GetUserByEmail", err, keystore.ErrNotFound)
		_, err = s.GetUserByEmail(ctx(), "")
		wantErr(t, "GetUserByEmail empty", err, keystore.ErrNotFound)
		ghost := newUser(t, "ghost@example.test")
		called := false
		_, err = s.UpdateUser(ctx(), ghost.ID, func(u *keystore.User) error { called = true; u.Email = ghost.Email; return nil })
		wantErr(t, "UpdateUser", err, keystore.ErrNotFound)
		if called {
			t.Errorf("UpdateUser called fn for a missing user")
		}
		_, err = s.UpdateUser(ctx(), "", func(*keystore.User) error { return nil })
		wantErr(t, "UpdateUser empty id", err, keystore.ErrNotFound)
		wantErr(t, "DeleteUser", s.DeleteUser(ctx(), "0123456789abcdef0123456789abcdef"), keystore.ErrNotFound)
		if _, err := s.GetUserByEmail(ctx(), "ghost@example.test"); !isNotFound(err) {
			t.Errorf("failed UpdateUser created an email index entry: err = %v", err)
		}
	})

	t.Run("UpdateAppliesFnToStoredRecord", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "bob@example.test")
		want := *u
		want.DisplayName = "Robert"
		want.Roles = []string{"admin"}
		want.Active = false
		want.PasswordHash = ""
		want.UpdatedAt = base.Add(time.Hour)
		got, err := s.UpdateUser(ctx(), u.ID, func(x *keystore.User) error {
			if d := diffUser(x, u); d != "" {
				t.Errorf("fn got a record other than the stored one: %s", d)
			}
			x.DisplayName, x.Roles, x.Active, x.PasswordHash, x.UpdatedAt = want.DisplayName, []string{"admin"}, false, "", want.UpdatedAt
			return nil
		})
		noErr(t, "UpdateUser", err)
		if d := diffUser(got, &want); d != "" {
			t.Errorf("UpdateUser returned: %s", d)
		}
		got, err = s.GetUser(ctx(), u.ID)
		noErr(t, "GetUser", err)
		if d := diffUser(got, &want); d != "" {
			t.Errorf("after update: %s", d)
		}
	})

	t.Run("UpdateFnErrorWritesNothing", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "abort@example.test")
		errStop := errors.New("caller says no")
		_, err := s.UpdateUser(ctx(), u.ID, func(x *keystore.User) error {
			x.Active, x.Email = false, "elsewhere@example.test"
			return errStop
		})
		if !errors.Is(err, errStop) {
			t.Fatalf("UpdateUser err = %v, want fn's error", err)
		}
		got, err := s.GetUser(ctx(), u.ID)
		noErr(t, "GetUser", err)
		if d := diffUser(got, u); d != "" {
			t.Errorf("aborted update changed the record: %s", d)
		}
		if _, err := s.GetUserByEmail(ctx(), "elsewhere@example.test"); !isNotFound(err) {
			t.Errorf("aborted update claimed the email: err = %v", err)
		}
	})

	t.Run("UpdateMayNotChangeID", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "fixedid@example.test")
		other := randomHex(t, 16)
		_, err := s.UpdateUser(ctx(), u.ID, func(x *keystore.User) error { x.ID = other; return nil })
		wantErr(t, "UpdateUser changing id", err, keystore.ErrConflict)
		if _, err := s.GetUser(ctx(), other); !isNotFound(err) {
			t.Errorf("id change created a record: err = %v", err)
		}
		got, err := s.GetUser(ctx(), u.ID)
		noErr(t, "GetUser", err)
		if d := diffUser(got, u); d != "" {
			t.Errorf("refused update changed the record: %s", d)
		}
	})

	t.Run("UpdateEmailReindexes", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "old@example.test")
		other := mustCreateUser(t, s, "other@example.test")

		_, err := s.UpdateUser(ctx(), u.ID, func(x *keystore.User) error { x.Email = "New@Example.test"; return nil })
		noErr(t, "UpdateUser", err)

		_, err = s.GetUserByEmail(ctx(), "old@example.test")
		wantErr(t, "old email lookup", err, keystore.ErrNotFound)
		got, err := s.GetUserByEmail(ctx(), "new@example.TEST")
		noErr(t, "new email lookup", err)
		if got.ID != u.ID {
			t.Errorf("new email maps to %s, want %s", got.ID, u.ID)
		}
		// The old email is free again, the new one is taken.
		mustCreateUser(t, s, "OLD@example.test")
		wantErr(t, "create with taken new email", s.CreateUser(ctx(), newUser(t, "new@example.test")), keystore.ErrDuplicate)

		// Moving another user onto a taken email fails and changes nothing.
		_, err = s.UpdateUser(ctx(), other.ID, func(x *keystore.User) error {
			x.Email, x.DisplayName = "NEW@example.test", "should not stick"
			return nil
		})
		wantErr(t, "UpdateUser onto taken email", err, keystore.ErrDuplicate)
		got, err = s.GetUser(ctx(), other.ID)
		noErr(t, "GetUser other", err)
		if d := diffUser(got, other); d != "" {
			t.Errorf("refused update changed the record: %s", d)
		}
		got, err = s.GetUserByEmail(ctx(), "other@example.test")
		noErr(t, "other email lookup", err)
		if got.ID != other.ID {
			t.Errorf("other's email now maps to %s", got.ID)
		}
	})

	t.Run("UpdateEmailCaseOnlyKeepsIndex", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "carol@example.test")
		_, err := s.UpdateUser(ctx(), u.ID, func(x *keystore.User) error { x.Email = "Carol@Example.TEST"; return nil })
		noErr(t, "UpdateUser", err)
		got, err := s.GetUserByEmail(ctx(), "carol@example.test")
		noErr(t, "GetUserByEmail", err)
		if got.Email != "Carol@Example.TEST" {
			t.Errorf("Email = %q, want the typed form kept", got.Email)
		}
	})

	t.Run("DeleteFreesIDAndEmail", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "dave@example.test")
		noErr(t, "DeleteUser", s.DeleteUser(ctx(), u.ID))
		_, err := s.GetUser(ctx(), u.ID)
		wantErr(t, "GetUser after delete", err, keystore.ErrNotFound)
		_, err = s.GetUserByEmail(ctx(), "dave@example.test")
		wantErr(t, "GetUserByEmail after delete", err, keystore.ErrNotFound)
		wantErr(t, "second DeleteUser", s.DeleteUser(ctx(), u.ID), keystore.ErrNotFound)
		again := newUser(t, "DAVE@example.test")
		again.ID = u.ID
		noErr(t, "recreate with same id and email", s.CreateUser(ctx(), again))
	})

	t.Run("ListUsersOrderOffsetLimitAndCount", func(t *testing.T) {
		s := newStore(t)
		emails := []string{"mallory@example.test", "Bob@example.test", "alice@example.test", "Zed@example.test", "carol@example.test"}
		byEmail := map[string]string{}
		for _, e := range emails {
			byEmail[keystore.FoldEmail(e)] = mustCreateUser(t, s, e).ID
		}
		folded := make([]string, 0, len(emails))
		for e := range byEmail {
			folded = append(folded, e)
		}
		sort.Strings(folded)

		n, err := s.CountUsers(ctx())
		noErr(t, "CountUsers", err)
		if n != len(emails) {
			t.Errorf("CountUsers = %d, want %d", n, len(emails))
		}
		cases := []struct {
			name          string
			offset, limit int
			want          []string
		}{
			{"all", 0, 0, folded},
			{"negative limit is all", 0, -1, folded},
			{"first two", 0, 2, folded[:2]},
			{"middle page", 1, 2, folded[1:3]},
			{"last page short", 4, 10, folded[4:]},
			{"offset past end", 5, 0, nil},
			{"offset far past end", 100, 3, nil},
			{"negative offset is zero", -3, 1, folded[:1]},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, err := s.ListUsers(ctx(), c.offset, c.limit)
				noErr(t, "ListUsers", err)
				if len(got) != len(c.want) {
					t.Fatalf("got %d users, want %d", len(got), len(c.want))
				}
				for i, u := range got {
					if keystore.FoldEmail(u.Email) != c.want[i] || u.ID != byEmail[c.want[i]] {
						t.Errorf("[%d] = %s, want user of position %d in folded-email order", i, u.ID, i)
					}
				}
			})
		}
	})

	t.Run("ReturnedUsersAreCopies", func(t *testing.T) {
		s := newStore(t)
		u := newUser(t, "erin@example.test")
		noErr(t, "CreateUser", s.CreateUser(ctx(), u))
		want := *u
		want.Roles = append([]string(nil), u.Roles...)
		// Changing the caller's struct after the write must not reach the store.
		u.Roles[0] = "changed-after-create"
		u.DisplayName = "changed"

		got, err := s.GetUser(ctx(), want.ID)
		noErr(t, "GetUser", err)
		if d := diffUser(got, &want); d != "" {
			t.Fatalf("store saw the caller's later change: %s", d)
		}
		got.Roles[0] = "mutated"
		got.Roles = append(got.Roles, "extra")
		got.Email = "mutated@example.test"
		list, err := s.ListUsers(ctx(), 0, 0)
		noErr(t, "ListUsers", err)
		list[0].Roles[1] = "mutated-too"

		again, err := s.GetUserByEmail(ctx(), "erin@example.test")
		noErr(t, "GetUserByEmail", err)
		if d := diffUser(again, &want); d != "" {
			t.Errorf("mutating a returned user changed the store: %s", d)
		}
	})
}

func isNotFound(err error) bool { return errors.Is(err, keystore.ErrNotFound) }
