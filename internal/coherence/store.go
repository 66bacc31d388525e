package coherence

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

// Invalidator is what the verifier offers to forget cached answers.
type Invalidator interface {
	InvalidateUser(userID string)
	InvalidateAPIKey(keyID string)
	InvalidateSession(digest []byte)
	InvalidateTokenID(id string)
	InvalidateAll()
}

// Store is the store as the portal and the admin commands see it in a
// running server: every successful write that changes a verifier answer
// also drops that answer from the verifier's cache.
//
//	UpdateUser                      → the user
//	DeleteUser                      → everything (its sessions and keys went with it)
//	DeleteSession, SetSessionStepUp → the session
//	DeleteUserSessions              → everything, when it deleted any
//	UpdateAPIKey, RevokeAPIKey,
//	DeleteAPIKey                    → the key
//	Deny                            → the token id
//	CreatePasskey                   → the owner (a step_up rule now applies
//	                                  to a user without TOTP)
//
// Other writes change no cached answer: creations add records the
// verifier has not cached, touches write last-use times it does not
// read, OAuth links are not read by the verifier, the verifier reads only
// whether a user has a passkey (UsePasskey changes counters; DeletePasskey
// can only make a step_up rule less strict, so a stale answer asks for a
// step-up at most a cache TTL longer: fail closed), and SwapSealed
// re-encrypts an envelope whose plaintext stays the same (the verifier
// re-opens a signing secret when its envelope changes).
type Store struct {
	keystore.Store
	Drop Invalidator
}

// UpdateUser updates the user and drops it from the cache.
func (n Store) UpdateUser(ctx context.Context, id string, fn func(*keystore.User) error) (*keystore.User, error) {
	u, err := n.Store.UpdateUser(ctx, id, fn)
	if err == nil {
		n.Drop.InvalidateUser(id)
	}
	return u, err
}

// DeleteUser deletes the user with its sessions and keys, and empties the
// caches.
func (n Store) DeleteUser(ctx context.Context, id string) error {
	err := n.Store.DeleteUser(ctx, id)
	if err == nil {
		// Sessions and keys of the user went with it.
		n.Drop.InvalidateAll()
	}
	return err
}

// DeleteSession deletes the session and drops it from the cache.
func (n Store) DeleteSession(ctx context.Context, digest []byte) error {
	err := n.Store.DeleteSession(ctx, digest)
	if err == nil {
		n.Drop.InvalidateSession(digest)
	}
	return err
}

// DeleteUserSessions deletes a user's sessions and, when it deleted any,
// empties the caches (the cache is not indexed by user).
func (n Store) DeleteUserSessions(ctx context.Context, userID string, keep []byte) (int, error) {
	c, err := n.Store.DeleteUserSessions(ctx, userID, keep)
	if err == nil && c > 0 {
		n.Drop.InvalidateAll()
	}
	return c, err
}

// SetSessionStepUp records a step-up proof and drops the session from the
// cache.
func (n Store) SetSessionStepUp(ctx context.Context, digest []byte, until time.Time) error {
	err := n.Store.SetSessionStepUp(ctx, digest, until)
	if err == nil {
		n.Drop.InvalidateSession(digest)
	}
	return err
}

// UpdateAPIKey updates the key and drops it from the cache.
func (n Store) UpdateAPIKey(ctx context.Context, keyID string, fn func(*keystore.APIKey) error) (*keystore.APIKey, error) {
	k, err := n.Store.UpdateAPIKey(ctx, keyID, fn)
	if err == nil {
		n.Drop.InvalidateAPIKey(keyID)
	}
	return k, err
}

// RevokeAPIKey revokes the key and drops it from the cache.
func (n Store) RevokeAPIKey(ctx context.Context, keyID string, at time.Time) error {
	err := n.Store.RevokeAPIKey(ctx, keyID, at)
	if err == nil {
		n.Drop.InvalidateAPIKey(keyID)
	}
	return err
}

// DeleteAPIKey deletes the key and drops it from the cache.
func (n Store) DeleteAPIKey(ctx context.Context, keyID string) error {
	err := n.Store.DeleteAPIKey(ctx, keyID)
	if err == nil {
		n.Drop.InvalidateAPIKey(keyID)
	}
	return err
}

// CreatePasskey stores the passkey and drops its owner from the cache:
// whether a user has a passkey decides step_up rules (docs/design.md
// "Rules").
func (n Store) CreatePasskey(ctx context.Context, p *keystore.Passkey) error {
	err := n.Store.CreatePasskey(ctx, p)
	if err == nil {
		n.Drop.InvalidateUser(p.UserID)
	}
	return err
}

// Deny denies the id and drops its cached denylist answer.
func (n Store) Deny(ctx context.Context, id string, until time.Time) error {
	err := n.Store.Deny(ctx, id, until)
	if err == nil {
		n.Drop.InvalidateTokenID(id)
	}
	return err
}

// Denylist does the same as Store.Deny for a denylist kept apart from the
// durable store (shared.backend redis).
type Denylist struct {
	keystore.Denylist
	Drop Invalidator
}

// Deny denies the id and drops its cached denylist answer.
func (n Denylist) Deny(ctx context.Context, id string, until time.Time) error {
	err := n.Denylist.Deny(ctx, id, until)
	if err == nil {
		n.Drop.InvalidateTokenID(id)
	}
	return err
}

// DenylistFor returns the denylist writers should use next to s: s itself
// when deny is the store s wraps (shared.backend memory keeps revocations
// in the durable store), else deny wrapped in Denylist.
func DenylistFor(deny keystore.Denylist, s Store) keystore.Denylist {
	if deny == keystore.Denylist(s.Store) {
		return s
	}
	return Denylist{Denylist: deny, Drop: s.Drop}
}

var (
	_ keystore.Store    = Store{}
	_ keystore.Denylist = Denylist{}
)
