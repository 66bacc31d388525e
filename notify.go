package main

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

// cacheDropper is what the verifier offers to forget cached answers.
type cacheDropper interface {
	InvalidateUser(userID string)
	InvalidateAPIKey(keyID string)
	InvalidateSession(digest []byte)
	InvalidateTokenID(id string)
	InvalidateAll()
}

// notifyingStore is the store as the portal and the admin commands see it
// in a running server: every successful write that changes a verifier
// answer also drops that answer from the verifier's cache, so a logout,
// password change or revocation in this process takes effect at once
// instead of within the cache's second.
type notifyingStore struct {
	keystore.Store
	drop cacheDropper
}

func (n notifyingStore) UpdateUser(ctx context.Context, id string, fn func(*keystore.User) error) (*keystore.User, error) {
	u, err := n.Store.UpdateUser(ctx, id, fn)
	if err == nil {
		n.drop.InvalidateUser(id)
	}
	return u, err
}

func (n notifyingStore) DeleteUser(ctx context.Context, id string) error {
	err := n.Store.DeleteUser(ctx, id)
	if err == nil {
		// Sessions and keys of the user went with it.
		n.drop.InvalidateAll()
	}
	return err
}

func (n notifyingStore) DeleteSession(ctx context.Context, digest []byte) error {
	err := n.Store.DeleteSession(ctx, digest)
	if err == nil {
		n.drop.InvalidateSession(digest)
	}
	return err
}

func (n notifyingStore) DeleteUserSessions(ctx context.Context, userID string, keep []byte) (int, error) {
	c, err := n.Store.DeleteUserSessions(ctx, userID, keep)
	if err == nil && c > 0 {
		n.drop.InvalidateAll()
	}
	return c, err
}

func (n notifyingStore) SetSessionStepUp(ctx context.Context, digest []byte, until time.Time) error {
	err := n.Store.SetSessionStepUp(ctx, digest, until)
	if err == nil {
		n.drop.InvalidateSession(digest)
	}
	return err
}

func (n notifyingStore) UpdateAPIKey(ctx context.Context, keyID string, fn func(*keystore.APIKey) error) (*keystore.APIKey, error) {
	k, err := n.Store.UpdateAPIKey(ctx, keyID, fn)
	if err == nil {
		n.drop.InvalidateAPIKey(keyID)
	}
	return k, err
}

func (n notifyingStore) RevokeAPIKey(ctx context.Context, keyID string, at time.Time) error {
	err := n.Store.RevokeAPIKey(ctx, keyID, at)
	if err == nil {
		n.drop.InvalidateAPIKey(keyID)
	}
	return err
}

func (n notifyingStore) DeleteAPIKey(ctx context.Context, keyID string) error {
	err := n.Store.DeleteAPIKey(ctx, keyID)
	if err == nil {
		n.drop.InvalidateAPIKey(keyID)
	}
	return err
}

func (n notifyingStore) Deny(ctx context.Context, id string, until time.Time) error {
	err := n.Store.Deny(ctx, id, until)
	if err == nil {
		n.drop.InvalidateTokenID(id)
	}
	return err
}

// notifyingDenylist does the same for a separate shared denylist (Redis).
type notifyingDenylist struct {
	keystore.Denylist
	drop cacheDropper
}

func (n notifyingDenylist) Deny(ctx context.Context, id string, until time.Time) error {
	err := n.Denylist.Deny(ctx, id, until)
	if err == nil {
		n.drop.InvalidateTokenID(id)
	}
	return err
}

var (
	_ keystore.Store    = notifyingStore{}
	_ keystore.Denylist = notifyingDenylist{}
)
