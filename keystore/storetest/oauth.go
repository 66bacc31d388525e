package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

func runOAuthLinks(t *testing.T, newStore NewStore) {
	t.Run("CreateThenGet", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "o1@example.test")
		l := newOAuthLink(t, "github", u.ID)
		l.AccessToken, l.RefreshToken = "fernet:v1:k1:access", "fernet:v1:k1:refresh"
		noErr(t, "CreateOAuthLink", s.CreateOAuthLink(ctx(), l))
		got, err := s.GetOAuthLink(ctx(), "github", l.Subject)
		noErr(t, "GetOAuthLink", err)
		if d := diffOAuthLink(got, l); d != "" {
			t.Errorf("GetOAuthLink: %s", d)
		}
	})

	t.Run("ProviderAndSubjectAreOneKey", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "o2@example.test")
		other := mustCreateUser(t, s, "o3@example.test")
		l := mustCreateOAuthLink(t, s, "google", u.ID)

		dup := newOAuthLink(t, "google", other.ID)
		dup.Subject = l.Subject
		wantErr(t, "CreateOAuthLink same provider+subject", s.CreateOAuthLink(ctx(), dup), keystore.ErrDuplicate)

		// The same subject at another provider is a different identity.
		sameSub := newOAuthLink(t, "gitlab", other.ID)
		sameSub.Subject = l.Subject
		noErr(t, "CreateOAuthLink other provider", s.CreateOAuthLink(ctx(), sameSub))

		// Keys must not run together: ("ab","c") is not ("a","bc").
		a := newOAuthLink(t, "ab", u.ID)
		a.Subject = "c"
		b := newOAuthLink(t, "a", other.ID)
		b.Subject = "bc"
		noErr(t, "CreateOAuthLink ab/c", s.CreateOAuthLink(ctx(), a))
		noErr(t, "CreateOAuthLink a/bc", s.CreateOAuthLink(ctx(), b))
		got, err := s.GetOAuthLink(ctx(), "a", "bc")
		noErr(t, "GetOAuthLink a/bc", err)
		if got.UserID != other.ID {
			t.Errorf("a/bc belongs to %s, want %s", got.UserID, other.ID)
		}
	})

	t.Run("IDsBeyondTheSharedBoundAreRefused", func(t *testing.T) {
		// Every back-end applies keystore.ValidID and ValidOAuthLinkKey, so a
		// record one accepts is never one another refuses.
		s := newStore(t)
		u := mustCreateUser(t, s, "o9@example.test")
		long := newUser(t, "o10@example.test")
		long.ID = strings.Repeat("u", keystore.MaxIDLen+1)
		if err := s.CreateUser(ctx(), long); err == nil {
			t.Error("CreateUser with an id over MaxIDLen succeeded")
		}
		k := newAPIKey(t, u.ID, time.Now())
		k.KeyID = strings.Repeat("k", keystore.MaxIDLen+1)
		if err := s.CreateAPIKey(ctx(), k); err == nil {
			t.Error("CreateAPIKey with a key id over MaxIDLen succeeded")
		}
		for _, bad := range []struct{ provider, subject string }{
			{"git\x00hub", "1"},
			{"github", strings.Repeat("s", keystore.MaxIDLen)},
			{"", "1"},
		} {
			l := newOAuthLink(t, "github", u.ID)
			l.Provider, l.Subject = bad.provider, bad.subject
			if err := s.CreateOAuthLink(ctx(), l); err == nil {
				t.Errorf("CreateOAuthLink(%q, %d bytes) succeeded", bad.provider, len(bad.subject))
			}
		}
		links, err := s.ListUserOAuthLinks(ctx(), u.ID)
		noErr(t, "ListUserOAuthLinks", err)
		if len(links) != 0 {
			t.Errorf("refused links were stored: %d", len(links))
		}
	})

	t.Run("LinkOfMissingUserIsNotFound", func(t *testing.T) {
		s := newStore(t)
		l := newOAuthLink(t, "github", "0123456789abcdef0123456789abcdef")
		wantErr(t, "CreateOAuthLink", s.CreateOAuthLink(ctx(), l), keystore.ErrNotFound)
		_, err := s.GetOAuthLink(ctx(), "github", l.Subject)
		wantErr(t, "GetOAuthLink", err, keystore.ErrNotFound)
	})

	t.Run("MissingLinkIsNotFound", func(t *testing.T) {
		s := newStore(t)
		_, err := s.GetOAuthLink(ctx(), "github", "nobody")
		wantErr(t, "GetOAuthLink", err, keystore.ErrNotFound)
		_, err = s.GetOAuthLink(ctx(), "", "")
		wantErr(t, "GetOAuthLink empty", err, keystore.ErrNotFound)
		wantErr(t, "DeleteOAuthLink", s.DeleteOAuthLink(ctx(), "github", "nobody"), keystore.ErrNotFound)
	})

	t.Run("ListAndDelete", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "o4@example.test")
		other := mustCreateUser(t, s, "o5@example.test")
		gh := mustCreateOAuthLink(t, s, "github", u.ID)
		gg := mustCreateOAuthLink(t, s, "google", u.ID)
		mustCreateOAuthLink(t, s, "github", other.ID)

		list, err := s.ListUserOAuthLinks(ctx(), u.ID)
		noErr(t, "ListUserOAuthLinks", err)
		seen := map[string]bool{}
		for _, l := range list {
			if l.UserID != u.ID {
				t.Errorf("link of %s listed for %s", l.UserID, u.ID)
			}
			seen[l.Provider+"/"+l.Subject] = true
		}
		if len(list) != 2 || !seen["github/"+gh.Subject] || !seen["google/"+gg.Subject] {
			t.Errorf("ListUserOAuthLinks returned %d links, want github and google", len(list))
		}

		noErr(t, "DeleteOAuthLink", s.DeleteOAuthLink(ctx(), "github", gh.Subject))
		_, err = s.GetOAuthLink(ctx(), "github", gh.Subject)
		wantErr(t, "GetOAuthLink deleted", err, keystore.ErrNotFound)
		list, err = s.ListUserOAuthLinks(ctx(), u.ID)
		noErr(t, "ListUserOAuthLinks", err)
		if len(list) != 1 || list[0].Provider != "google" {
			t.Errorf("after delete: %d links listed, want only google", len(list))
		}
		// The freed identity can be linked again, to anyone.
		again := newOAuthLink(t, "github", other.ID)
		again.Subject = gh.Subject
		noErr(t, "relink freed identity", s.CreateOAuthLink(ctx(), again))
	})

	t.Run("ReturnedLinksAreCopies", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "o6@example.test")
		l := mustCreateOAuthLink(t, s, "github", u.ID)
		got, err := s.GetOAuthLink(ctx(), "github", l.Subject)
		noErr(t, "GetOAuthLink", err)
		got.UserID, got.AccessToken = "mutated", "mutated"
		again, err := s.GetOAuthLink(ctx(), "github", l.Subject)
		noErr(t, "GetOAuthLink again", err)
		if d := diffOAuthLink(again, l); d != "" {
			t.Errorf("store changed through a caller's copy: %s", d)
		}
	})
}

func testDeleteUserCascades(t *testing.T, newStore NewStore) {
	s := newStore(t)
	victim := mustCreateUser(t, s, "victim@example.test")
	bystander := mustCreateUser(t, s, "bystander@example.test")

	type owned struct {
		sessions [][]byte
		keys     []string
		links    []*keystore.OAuthLink
	}
	make3 := func(userID string) owned {
		var o owned
		for i := 0; i < 3; i++ {
			o.sessions = append(o.sessions, mustCreateSession(t, s, userID).Digest)
			o.keys = append(o.keys, mustCreateAPIKey(t, s, userID, base).KeyID)
		}
		o.links = append(o.links, mustCreateOAuthLink(t, s, "github", userID), mustCreateOAuthLink(t, s, "google", userID))
		return o
	}
	v, b := make3(victim.ID), make3(bystander.ID)

	noErr(t, "DeleteUser", s.DeleteUser(ctx(), victim.ID))

	for _, d := range v.sessions {
		_, err := s.GetSession(ctx(), d)
		wantErr(t, "victim session", err, keystore.ErrNotFound)
	}
	for _, k := range v.keys {
		_, err := s.GetAPIKey(ctx(), k)
		wantErr(t, "victim api key", err, keystore.ErrNotFound)
	}
	for _, l := range v.links {
		_, err := s.GetOAuthLink(ctx(), l.Provider, l.Subject)
		wantErr(t, "victim oauth link", err, keystore.ErrNotFound)
	}
	if list, err := s.ListUserSessions(ctx(), victim.ID); err != nil || len(list) != 0 {
		t.Errorf("victim sessions listed after delete: %d, %v", len(list), err)
	}
	if list, err := s.ListUserAPIKeys(ctx(), victim.ID); err != nil || len(list) != 0 {
		t.Errorf("victim keys listed after delete: %d, %v", len(list), err)
	}
	if list, err := s.ListUserOAuthLinks(ctx(), victim.ID); err != nil || len(list) != 0 {
		t.Errorf("victim links listed after delete: %d, %v", len(list), err)
	}

	for _, d := range b.sessions {
		if _, err := s.GetSession(ctx(), d); err != nil {
			t.Errorf("bystander session: %v", err)
		}
	}
	for _, k := range b.keys {
		if _, err := s.GetAPIKey(ctx(), k); err != nil {
			t.Errorf("bystander api key: %v", err)
		}
	}
	for _, l := range b.links {
		if _, err := s.GetOAuthLink(ctx(), l.Provider, l.Subject); err != nil {
			t.Errorf("bystander oauth link: %v", err)
		}
	}
	if list, err := s.ListUserSessions(ctx(), bystander.ID); err != nil || len(list) != 3 {
		t.Errorf("bystander sessions: %d, %v; want 3", len(list), err)
	}

	// The victim's OAuth identities are free for someone else now.
	again := newOAuthLink(t, v.links[0].Provider, bystander.ID)
	again.Subject = v.links[0].Subject
	noErr(t, "relink identity of deleted user", s.CreateOAuthLink(ctx(), again))

	// Writes for the deleted user are refused.
	wantErr(t, "session for deleted user", s.CreateSession(ctx(), newSession(t, victim.ID)), keystore.ErrNotFound)
	wantErr(t, "api key for deleted user", s.CreateAPIKey(ctx(), newAPIKey(t, victim.ID, base)), keystore.ErrNotFound)
}
