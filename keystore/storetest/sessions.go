package storetest

import (
	"bytes"
	"sort"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

func runSessions(t *testing.T, newStore NewStore) {
	t.Run("CreateThenGet", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "s1@example.test")
		sess := newSession(t, u.ID)
		sess.Kind, sess.ChainID, sess.StepUpUntil = "refresh", "chain-1", base.Add(5*time.Minute)
		noErr(t, "CreateSession", s.CreateSession(ctx(), sess))
		got, err := s.GetSession(ctx(), sess.Digest)
		noErr(t, "GetSession", err)
		if d := diffSession(got, sess); d != "" {
			t.Errorf("GetSession: %s", d)
		}
	})

	t.Run("DuplicateDigestIsRefused", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "s2@example.test")
		sess := mustCreateSession(t, s, u.ID)
		dup := newSession(t, u.ID)
		dup.Digest = append([]byte(nil), sess.Digest...)
		dup.UserAgent = "other"
		wantErr(t, "CreateSession same digest", s.CreateSession(ctx(), dup), keystore.ErrDuplicate)
		got, err := s.GetSession(ctx(), sess.Digest)
		noErr(t, "GetSession", err)
		if d := diffSession(got, sess); d != "" {
			t.Errorf("original changed: %s", d)
		}
	})

	t.Run("SessionOfMissingUserIsRefused", func(t *testing.T) {
		s := newStore(t)
		sess := newSession(t, "0123456789abcdef0123456789abcdef")
		wantErr(t, "CreateSession", s.CreateSession(ctx(), sess), keystore.ErrNotFound)
		_, err := s.GetSession(ctx(), sess.Digest)
		wantErr(t, "GetSession", err, keystore.ErrNotFound)
	})

	t.Run("MissingSessionIsNotFound", func(t *testing.T) {
		s := newStore(t)
		d := randomDigest(t)
		_, err := s.GetSession(ctx(), d)
		wantErr(t, "GetSession", err, keystore.ErrNotFound)
		_, err = s.GetSession(ctx(), nil)
		wantErr(t, "GetSession nil digest", err, keystore.ErrNotFound)
		wantErr(t, "TouchSession", s.TouchSession(ctx(), d, base), keystore.ErrNotFound)
		wantErr(t, "SetSessionStepUp", s.SetSessionStepUp(ctx(), d, base), keystore.ErrNotFound)
		wantErr(t, "DeleteSession", s.DeleteSession(ctx(), d), keystore.ErrNotFound)
		if _, err := s.GetSession(ctx(), d); !isNotFound(err) {
			t.Errorf("Touch/StepUp of a missing session created it: err = %v", err)
		}
	})

	t.Run("TouchAndStepUpChangeOnlyTheirField", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "s3@example.test")
		sess := mustCreateSession(t, s, u.ID)
		want := *sess
		want.LastSeenAt = base.Add(10 * time.Minute)
		noErr(t, "TouchSession", s.TouchSession(ctx(), sess.Digest, want.LastSeenAt))
		want.StepUpUntil = base.Add(20 * time.Minute)
		noErr(t, "SetSessionStepUp", s.SetSessionStepUp(ctx(), sess.Digest, want.StepUpUntil))
		got, err := s.GetSession(ctx(), sess.Digest)
		noErr(t, "GetSession", err)
		if d := diffSession(got, &want); d != "" {
			t.Errorf("after touch and step-up: %s", d)
		}
		noErr(t, "clear step-up", s.SetSessionStepUp(ctx(), sess.Digest, time.Time{}))
		got, err = s.GetSession(ctx(), sess.Digest)
		noErr(t, "GetSession", err)
		if !got.StepUpUntil.IsZero() {
			t.Errorf("StepUpUntil = %v, want zero after clearing", got.StepUpUntil)
		}
	})

	t.Run("DeleteSessionRemovesItFromUserIndex", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "s4@example.test")
		a := mustCreateSession(t, s, u.ID)
		b := mustCreateSession(t, s, u.ID)
		noErr(t, "DeleteSession", s.DeleteSession(ctx(), a.Digest))
		_, err := s.GetSession(ctx(), a.Digest)
		wantErr(t, "GetSession deleted", err, keystore.ErrNotFound)
		list, err := s.ListUserSessions(ctx(), u.ID)
		noErr(t, "ListUserSessions", err)
		if len(list) != 1 || !bytes.Equal(list[0].Digest, b.Digest) {
			t.Errorf("ListUserSessions after delete: got %d sessions, want only the other one", len(list))
		}
	})

	t.Run("ListUserSessionsIsPerUser", func(t *testing.T) {
		s := newStore(t)
		u1 := mustCreateUser(t, s, "s5@example.test")
		u2 := mustCreateUser(t, s, "s6@example.test")
		var want [][]byte
		for i := 0; i < 3; i++ {
			want = append(want, mustCreateSession(t, s, u1.ID).Digest)
		}
		mustCreateSession(t, s, u2.ID)
		list, err := s.ListUserSessions(ctx(), u1.ID)
		noErr(t, "ListUserSessions", err)
		var got [][]byte
		for _, sess := range list {
			if sess.UserID != u1.ID {
				t.Errorf("session of %s listed for %s", sess.UserID, u1.ID)
			}
			got = append(got, sess.Digest)
		}
		sortDigests(got)
		sortDigests(want)
		if len(got) != len(want) {
			t.Fatalf("got %d sessions, want %d", len(got), len(want))
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Errorf("session %d differs", i)
			}
		}
		none, err := s.ListUserSessions(ctx(), "0123456789abcdef0123456789abcdef")
		noErr(t, "ListUserSessions unknown user", err)
		if len(none) != 0 {
			t.Errorf("unknown user has %d sessions", len(none))
		}
	})

	t.Run("DeleteUserSessionsKeepsOneAndSparesOthers", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "s7@example.test")
		other := mustCreateUser(t, s, "s8@example.test")
		keep := mustCreateSession(t, s, u.ID)
		for i := 0; i < 3; i++ {
			mustCreateSession(t, s, u.ID)
		}
		otherSess := mustCreateSession(t, s, other.ID)

		n, err := s.DeleteUserSessions(ctx(), u.ID, keep.Digest)
		noErr(t, "DeleteUserSessions keep", err)
		if n != 3 {
			t.Errorf("removed %d, want 3", n)
		}
		list, err := s.ListUserSessions(ctx(), u.ID)
		noErr(t, "ListUserSessions", err)
		if len(list) != 1 || !bytes.Equal(list[0].Digest, keep.Digest) {
			t.Errorf("after keep: %d sessions left, want only the kept one", len(list))
		}
		if _, err := s.GetSession(ctx(), otherSess.Digest); err != nil {
			t.Errorf("another user's session went: %v", err)
		}

		n, err = s.DeleteUserSessions(ctx(), u.ID, nil)
		noErr(t, "DeleteUserSessions nil", err)
		if n != 1 {
			t.Errorf("removed %d, want 1", n)
		}
		_, err = s.GetSession(ctx(), keep.Digest)
		wantErr(t, "kept session after nil keep", err, keystore.ErrNotFound)

		n, err = s.DeleteUserSessions(ctx(), u.ID, nil)
		noErr(t, "DeleteUserSessions empty", err)
		if n != 0 {
			t.Errorf("removed %d from a user without sessions", n)
		}
	})

	t.Run("PurgeExpiredSessions", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "s9@example.test")
		now := base.Add(time.Hour)
		mk := func(expires time.Time) *keystore.Session {
			sess := newSession(t, u.ID)
			sess.ExpiresAt = expires
			noErr(t, "CreateSession", s.CreateSession(ctx(), sess))
			return sess
		}
		gone := []*keystore.Session{mk(now.Add(-time.Minute)), mk(now)}
		stay := []*keystore.Session{mk(now.Add(time.Nanosecond)), mk(now.Add(time.Hour))}
		n, err := s.PurgeExpiredSessions(ctx(), now)
		noErr(t, "PurgeExpiredSessions", err)
		if n != len(gone) {
			t.Errorf("purged %d, want %d", n, len(gone))
		}
		for _, sess := range gone {
			_, err := s.GetSession(ctx(), sess.Digest)
			wantErr(t, "expired session", err, keystore.ErrNotFound)
		}
		for _, sess := range stay {
			if _, err := s.GetSession(ctx(), sess.Digest); err != nil {
				t.Errorf("live session purged: %v", err)
			}
		}
		list, err := s.ListUserSessions(ctx(), u.ID)
		noErr(t, "ListUserSessions", err)
		if len(list) != len(stay) {
			t.Errorf("user index lists %d sessions after purge, want %d", len(list), len(stay))
		}
	})

	t.Run("ReturnedSessionsAreCopies", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "s10@example.test")
		sess := newSession(t, u.ID)
		noErr(t, "CreateSession", s.CreateSession(ctx(), sess))
		digest := append([]byte(nil), sess.Digest...)
		sess.Digest[0] ^= 0xff // the caller reuses its buffer

		got, err := s.GetSession(ctx(), digest)
		noErr(t, "GetSession by original digest", err)
		got.Digest[1] ^= 0xff
		got.UserAgent = "mutated"
		list, err := s.ListUserSessions(ctx(), u.ID)
		noErr(t, "ListUserSessions", err)
		list[0].Digest[2] ^= 0xff

		again, err := s.GetSession(ctx(), digest)
		noErr(t, "GetSession again", err)
		if !bytes.Equal(again.Digest, digest) || again.UserAgent != "test-agent/1.0" {
			t.Errorf("mutating a returned session changed the store")
		}
	})
}

func sortDigests(d [][]byte) {
	sort.Slice(d, func(i, j int) bool { return bytes.Compare(d[i], d[j]) < 0 })
}
