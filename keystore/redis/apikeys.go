package redis

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

// CreateAPIKey stores k; the key id must be free and the user must exist,
// both checked in the script that writes the record and its indexes.
func (s *Store) CreateAPIKey(ctx context.Context, k *keystore.APIKey) error {
	if err := checkID("api key", k.KeyID); err != nil {
		return err
	}
	if err := checkID("user", k.UserID); err != nil {
		return err
	}
	rec := encodeAPIKey(k)
	if err := s.begin(ctx); err != nil {
		return err
	}
	st, err := s.status(ctx, "create api key", sCreateOwned,
		[]string{s.k.user(k.UserID), s.k.apiKey(k.KeyID), s.k.userKeys(k.UserID), s.k.apiKeys},
		rec, k.KeyID, floorMs(k.CreatedAt), k.KeyID, 0, "")
	if err != nil {
		return err
	}
	switch st {
	case stOK:
		return nil
	case stNotFound:
		return fmt.Errorf("keystore/redis: api key %s: user %s: %w", k.KeyID, k.UserID, keystore.ErrNotFound)
	case stDup:
		return fmt.Errorf("keystore/redis: api key %s: %w", k.KeyID, keystore.ErrDuplicate)
	}
	return unexpected("create api key", st)
}

// readAPIKey returns the stored value and the decoded key.
func (s *Store) readAPIKey(ctx context.Context, keyID string) (string, *keystore.APIKey, error) {
	if !keystore.ValidID(keyID) {
		return "", nil, fmt.Errorf("keystore/redis: api key: %w", keystore.ErrNotFound)
	}
	v, ok, err := s.get(ctx, "get api key", s.k.apiKey(keyID))
	if err != nil {
		return "", nil, err
	}
	if !ok {
		return "", nil, fmt.Errorf("keystore/redis: api key %s: %w", keyID, keystore.ErrNotFound)
	}
	k, err := decodeAPIKey(v)
	if err == nil && k.KeyID != keyID {
		err = errCorrupt
	}
	if err != nil {
		return "", nil, fmt.Errorf("keystore/redis: api key %s: %w", keyID, err)
	}
	return v, k, nil
}

// GetAPIKey returns a copy of the key with that id.
func (s *Store) GetAPIKey(ctx context.Context, keyID string) (*keystore.APIKey, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	_, k, err := s.readAPIKey(ctx, keyID)
	return k, err
}

// UpdateAPIKey applies fn to the key as stored. fn may not change the key
// id or move the key to another user (keystore.ErrConflict). The read and
// the write are tied by a compare-and-swap script; when another writer got
// in between, the key is read again and fn re-applied, so a revocation,
// touch or other change made meanwhile stays, and a key deleted meanwhile
// is ErrNotFound, never recreated.
func (s *Store) UpdateAPIKey(ctx context.Context, keyID string, fn func(*keystore.APIKey) error) (*keystore.APIKey, error) {
	return s.modifyAPIKey(ctx, "update api key", keyID, fn)
}

// modifyAPIKey reads, changes and writes back one key, re-reading and
// re-applying fn when another writer got in between, and returns the
// record written. A changed CreatedAt moves the key in the per-user index.
func (s *Store) modifyAPIKey(ctx context.Context, op, keyID string, fn func(*keystore.APIKey) error) (*keystore.APIKey, error) {
	for i := 0; i < updateAttempts; i++ {
		if err := s.begin(ctx); err != nil {
			return nil, err
		}
		old, k, err := s.readAPIKey(ctx, keyID)
		if err != nil {
			return nil, err
		}
		userID, created := k.UserID, floorMs(k.CreatedAt)
		if err := fn(k); err != nil {
			return nil, err
		}
		if k.KeyID != keyID || k.UserID != userID {
			return nil, fmt.Errorf("keystore/redis: api key %s: key and user id may not change: %w", keyID, keystore.ErrConflict)
		}
		rec := encodeAPIKey(k)
		out, err := decodeAPIKey(rec)
		if err != nil {
			return nil, fmt.Errorf("keystore/redis: api key %s: %w", keyID, err)
		}
		var st int64
		if floorMs(k.CreatedAt) == created {
			// Touch, revoke, rename: the index entry stays as it is.
			st, err = s.status(ctx, op, sSwap, []string{s.k.apiKey(keyID)}, old, rec)
		} else {
			st, err = s.status(ctx, op, sUpdateAPIKey,
				[]string{s.k.apiKey(keyID), s.k.userKeys(userID)}, old, rec, keyID, floorMs(k.CreatedAt))
		}
		if err != nil {
			return nil, err
		}
		switch st {
		case stOK:
			return out, nil
		case stNotFound:
			return nil, fmt.Errorf("keystore/redis: api key %s: %w", keyID, keystore.ErrNotFound)
		case stChanged:
			if err := casBackoff(ctx, i); err != nil {
				return nil, err
			}
			continue
		default:
			return nil, unexpected(op, st)
		}
	}
	return nil, errBusy
}

// RevokeAPIKey sets RevokedAt to at unless the key is already revoked, in
// which case the first revocation time stays.
func (s *Store) RevokeAPIKey(ctx context.Context, keyID string, at time.Time) error {
	_, err := s.modifyAPIKey(ctx, "revoke api key", keyID, func(k *keystore.APIKey) error {
		if k.RevokedAt.IsZero() {
			k.RevokedAt = at
		}
		return nil
	})
	return err
}

// TouchAPIKey sets LastUsedAt.
func (s *Store) TouchAPIKey(ctx context.Context, keyID string, at time.Time) error {
	_, err := s.modifyAPIKey(ctx, opTouchAPIKey, keyID, func(k *keystore.APIKey) error { k.LastUsedAt = at; return nil })
	return err
}

// DeleteAPIKey removes the key and its index entries.
func (s *Store) DeleteAPIKey(ctx context.Context, keyID string) error {
	for i := 0; i < updateAttempts; i++ {
		if err := s.begin(ctx); err != nil {
			return err
		}
		old, k, err := s.readAPIKey(ctx, keyID)
		if err != nil {
			return err
		}
		st, err := s.status(ctx, "delete api key", sDeleteOwned,
			[]string{s.k.apiKey(keyID), s.k.userKeys(k.UserID), s.k.apiKeys}, old, keyID, keyID)
		if err != nil {
			return err
		}
		switch st {
		case stOK:
			return nil
		case stNotFound:
			return fmt.Errorf("keystore/redis: api key %s: %w", keyID, keystore.ErrNotFound)
		case stChanged:
			if err := casBackoff(ctx, i); err != nil {
				return err
			}
			continue
		default:
			return unexpected("delete api key", st)
		}
	}
	return errBusy
}

// ListUserAPIKeys returns copies of the user's keys ordered by CreatedAt,
// then key id.
func (s *Store) ListUserAPIKeys(ctx context.Context, userID string) ([]*keystore.APIKey, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	if !keystore.ValidID(userID) {
		return nil, nil
	}
	out, err := listUserRecords(ctx, s, "list api keys", "api keys", s.k.userKeys(userID), famAPIKey, userID,
		decodeAPIKey, func(r *keystore.APIKey) string { return r.UserID })
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].KeyID < out[j].KeyID
	})
	return out, nil
}
