package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

func runAPIKeys(t *testing.T, newStore NewStore) {
	t.Run("CreateThenGet", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "k1@example.test")
		k := newAPIKey(t, u.ID, base)
		k.SigningRequired, k.SigningSecret, k.ExpiresAt = true, "fernet:v1:k1:signing", base.Add(24*time.Hour)
		noErr(t, "CreateAPIKey", s.CreateAPIKey(ctx(), k))
		got, err := s.GetAPIKey(ctx(), k.KeyID)
		noErr(t, "GetAPIKey", err)
		if d := diffAPIKey(got, k); d != "" {
			t.Errorf("GetAPIKey: %s", d)
		}
	})

	t.Run("DuplicateKeyIDIsRefused", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "k2@example.test")
		k := mustCreateAPIKey(t, s, u.ID, base)
		dup := newAPIKey(t, u.ID, base)
		dup.KeyID, dup.Name = k.KeyID, "other"
		wantErr(t, "CreateAPIKey same id", s.CreateAPIKey(ctx(), dup), keystore.ErrDuplicate)
		got, err := s.GetAPIKey(ctx(), k.KeyID)
		noErr(t, "GetAPIKey", err)
		if d := diffAPIKey(got, k); d != "" {
			t.Errorf("original changed: %s", d)
		}
	})

	t.Run("KeyOfMissingUserIsNotFound", func(t *testing.T) {
		s := newStore(t)
		k := newAPIKey(t, "0123456789abcdef0123456789abcdef", base)
		wantErr(t, "CreateAPIKey", s.CreateAPIKey(ctx(), k), keystore.ErrNotFound)
		_, err := s.GetAPIKey(ctx(), k.KeyID)
		wantErr(t, "GetAPIKey", err, keystore.ErrNotFound)
	})

	t.Run("MissingKeyIsNotFound", func(t *testing.T) {
		s := newStore(t)
		_, err := s.GetAPIKey(ctx(), "nokey")
		wantErr(t, "GetAPIKey", err, keystore.ErrNotFound)
		_, err = s.GetAPIKey(ctx(), "")
		wantErr(t, "GetAPIKey empty", err, keystore.ErrNotFound)
		_, err = s.UpdateAPIKey(ctx(), "nokey", func(k *keystore.APIKey) error { k.Name = "ghost"; return nil })
		wantErr(t, "UpdateAPIKey", err, keystore.ErrNotFound)
		if _, err := s.GetAPIKey(ctx(), "nokey"); !isNotFound(err) {
			t.Errorf("UpdateAPIKey of a missing key created it: err = %v", err)
		}
		wantErr(t, "RevokeAPIKey", s.RevokeAPIKey(ctx(), "nokey", base), keystore.ErrNotFound)
		wantErr(t, "TouchAPIKey", s.TouchAPIKey(ctx(), "nokey", base), keystore.ErrNotFound)
		wantErr(t, "DeleteAPIKey", s.DeleteAPIKey(ctx(), "nokey"), keystore.ErrNotFound)
	})

	t.Run("UpdateAppliesFnButNotOwner", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "k3@example.test")
		other := mustCreateUser(t, s, "k4@example.test")
		k := mustCreateAPIKey(t, s, u.ID, base)
		upd := *k
		upd.Name, upd.Scopes, upd.ExpiresAt = "renamed", []string{"admin"}, base.Add(time.Hour)
		ret, err := s.UpdateAPIKey(ctx(), k.KeyID, func(x *keystore.APIKey) error {
			if d := diffAPIKey(x, k); d != "" {
				t.Errorf("fn got a record other than the stored one: %s", d)
			}
			x.Name, x.Scopes, x.ExpiresAt = upd.Name, []string{"admin"}, upd.ExpiresAt
			return nil
		})
		noErr(t, "UpdateAPIKey", err)
		if d := diffAPIKey(ret, &upd); d != "" {
			t.Errorf("UpdateAPIKey returned: %s", d)
		}
		got, err := s.GetAPIKey(ctx(), k.KeyID)
		noErr(t, "GetAPIKey", err)
		if d := diffAPIKey(got, &upd); d != "" {
			t.Errorf("after update: %s", d)
		}

		for name, fn := range map[string]func(*keystore.APIKey) error{
			"move to another user": func(x *keystore.APIKey) error { x.UserID = other.ID; return nil },
			"change key id":        func(x *keystore.APIKey) error { x.KeyID = "otherkey"; return nil },
		} {
			_, err := s.UpdateAPIKey(ctx(), k.KeyID, fn)
			wantErr(t, "UpdateAPIKey "+name, err, keystore.ErrConflict)
		}
		errStop := errors.New("caller says no")
		if _, err := s.UpdateAPIKey(ctx(), k.KeyID, func(x *keystore.APIKey) error { x.Name = "aborted"; return errStop }); !errors.Is(err, errStop) {
			t.Errorf("UpdateAPIKey err = %v, want fn's error", err)
		}
		got, err = s.GetAPIKey(ctx(), k.KeyID)
		noErr(t, "GetAPIKey", err)
		if d := diffAPIKey(got, &upd); d != "" {
			t.Errorf("refused updates changed the key: %s", d)
		}
		if _, err := s.GetAPIKey(ctx(), "otherkey"); !isNotFound(err) {
			t.Errorf("key id change created a record: err = %v", err)
		}
		list, err := s.ListUserAPIKeys(ctx(), other.ID)
		noErr(t, "ListUserAPIKeys other", err)
		if len(list) != 0 {
			t.Errorf("refused move left %d keys in the other user's index", len(list))
		}
	})

	t.Run("RevokeKeepsFirstTimeAndTouchSetsLastUsed", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "k5@example.test")
		k := mustCreateAPIKey(t, s, u.ID, base)
		first := base.Add(time.Minute)
		noErr(t, "RevokeAPIKey", s.RevokeAPIKey(ctx(), k.KeyID, first))
		noErr(t, "RevokeAPIKey again", s.RevokeAPIKey(ctx(), k.KeyID, first.Add(time.Hour)))
		used := base.Add(2 * time.Minute)
		noErr(t, "TouchAPIKey", s.TouchAPIKey(ctx(), k.KeyID, used))
		got, err := s.GetAPIKey(ctx(), k.KeyID)
		noErr(t, "GetAPIKey", err)
		if !got.RevokedAt.Equal(first) {
			t.Errorf("RevokedAt = %v, want the first revocation %v", got.RevokedAt, first)
		}
		if !got.LastUsedAt.Equal(used) {
			t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, used)
		}
		want := *k
		want.RevokedAt, want.LastUsedAt = first, used
		if d := diffAPIKey(got, &want); d != "" {
			t.Errorf("revoke/touch changed another field: %s", d)
		}
	})

	t.Run("DeleteRemovesFromUserIndex", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "k6@example.test")
		a := mustCreateAPIKey(t, s, u.ID, base)
		b := mustCreateAPIKey(t, s, u.ID, base.Add(time.Second))
		noErr(t, "DeleteAPIKey", s.DeleteAPIKey(ctx(), a.KeyID))
		_, err := s.GetAPIKey(ctx(), a.KeyID)
		wantErr(t, "GetAPIKey deleted", err, keystore.ErrNotFound)
		list, err := s.ListUserAPIKeys(ctx(), u.ID)
		noErr(t, "ListUserAPIKeys", err)
		if len(list) != 1 || list[0].KeyID != b.KeyID {
			t.Errorf("after delete the index lists %d keys, want only the other", len(list))
		}
	})

	t.Run("ListUserAPIKeysOrderedByCreatedAt", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "k7@example.test")
		other := mustCreateUser(t, s, "k8@example.test")
		// Created out of order on purpose: the list follows CreatedAt.
		offsets := []time.Duration{3 * time.Hour, time.Hour, 5 * time.Hour, 2 * time.Hour}
		byOffset := map[time.Duration]string{}
		for _, off := range offsets {
			byOffset[off] = mustCreateAPIKey(t, s, u.ID, base.Add(off)).KeyID
		}
		mustCreateAPIKey(t, s, other.ID, base)
		list, err := s.ListUserAPIKeys(ctx(), u.ID)
		noErr(t, "ListUserAPIKeys", err)
		want := []time.Duration{time.Hour, 2 * time.Hour, 3 * time.Hour, 5 * time.Hour}
		if len(list) != len(want) {
			t.Fatalf("got %d keys, want %d", len(list), len(want))
		}
		for i, off := range want {
			if list[i].KeyID != byOffset[off] || list[i].UserID != u.ID {
				t.Errorf("[%d] = %s created %v, want key created at +%v", i, list[i].KeyID, list[i].CreatedAt, off)
			}
		}
	})

	t.Run("ReturnedKeysAreCopies", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "k9@example.test")
		k := mustCreateAPIKey(t, s, u.ID, base)
		want := *k
		want.Digest = append([]byte(nil), k.Digest...)
		want.Scopes = append([]string(nil), k.Scopes...)
		k.Digest[0] ^= 0xff
		k.Scopes[0] = "changed-after-create"

		got, err := s.GetAPIKey(ctx(), k.KeyID)
		noErr(t, "GetAPIKey", err)
		got.Digest[0] ^= 0xff
		got.Scopes[1] = "mutated"
		list, err := s.ListUserAPIKeys(ctx(), u.ID)
		noErr(t, "ListUserAPIKeys", err)
		list[0].Digest[1] ^= 0xff
		again, err := s.GetAPIKey(ctx(), k.KeyID)
		noErr(t, "GetAPIKey again", err)
		if d := diffAPIKey(again, &want); d != "" {
			t.Errorf("store changed through a caller's copy: %s", d)
		}
	})
}
