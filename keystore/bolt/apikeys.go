package bolt

import (
	"context"
	"fmt"
	"sort"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/gatehouse/gatehouse/keystore"
)

// CreateAPIKey stores k; the key id must be free and the user must exist.
func (s *Store) CreateAPIKey(ctx context.Context, k *keystore.APIKey) error {
	if err := checkID("api key", k.KeyID); err != nil {
		return err
	}
	if err := checkID("user", k.UserID); err != nil {
		return err
	}
	rec := encodeAPIKey(k)
	return s.update(ctx, func(tx *bbolt.Tx) error {
		if !userExists(tx, k.UserID) {
			return fmt.Errorf("keystore/bolt: api key %s: user %s: %w", k.KeyID, k.UserID, keystore.ErrNotFound)
		}
		b := tx.Bucket(bucketAPIKeys)
		if b.Get([]byte(k.KeyID)) != nil {
			return fmt.Errorf("keystore/bolt: api key %s: %w", k.KeyID, keystore.ErrDuplicate)
		}
		if err := b.Put([]byte(k.KeyID), rec); err != nil {
			return err
		}
		return tx.Bucket(bucketAPIKeysByUsr).Put(indexKey(k.UserID, []byte(k.KeyID)), nil)
	})
}

func getAPIKey(tx *bbolt.Tx, keyID string) (*keystore.APIKey, error) {
	if keyID == "" {
		return nil, fmt.Errorf("keystore/bolt: api key: %w", keystore.ErrNotFound)
	}
	v := tx.Bucket(bucketAPIKeys).Get([]byte(keyID))
	if v == nil {
		return nil, fmt.Errorf("keystore/bolt: api key %s: %w", keyID, keystore.ErrNotFound)
	}
	k, err := decodeAPIKey(v)
	if err != nil {
		return nil, fmt.Errorf("keystore/bolt: api key %s: %w", keyID, err)
	}
	return k, nil
}

// GetAPIKey returns a copy of the key with that id.
func (s *Store) GetAPIKey(ctx context.Context, keyID string) (*keystore.APIKey, error) {
	var k *keystore.APIKey
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		k, err = getAPIKey(tx, keyID)
		return err
	})
	return k, err
}

// UpdateAPIKey applies fn to the key as stored, inside one write
// transaction. fn may not change the key id or move the key to another
// user (keystore.ErrConflict). fn runs with the database's write lock
// held: it must be quick.
func (s *Store) UpdateAPIKey(ctx context.Context, keyID string, fn func(*keystore.APIKey) error) (*keystore.APIKey, error) {
	return s.modifyAPIKey(ctx, keyID, fn)
}

// modifyAPIKey reads the key, lets fn change it and writes it back, all in
// one transaction, and returns the record written.
func (s *Store) modifyAPIKey(ctx context.Context, keyID string, fn func(*keystore.APIKey) error) (*keystore.APIKey, error) {
	var out *keystore.APIKey
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		k, err := getAPIKey(tx, keyID)
		if err != nil {
			return err
		}
		userID := k.UserID
		if err := fn(k); err != nil {
			return err
		}
		if k.KeyID != keyID || k.UserID != userID {
			return fmt.Errorf("keystore/bolt: api key %s: key and user id may not change: %w", keyID, keystore.ErrConflict)
		}
		rec := encodeAPIKey(k)
		if out, err = decodeAPIKey(rec); err != nil {
			return err
		}
		return tx.Bucket(bucketAPIKeys).Put([]byte(keyID), rec)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RevokeAPIKey sets RevokedAt to at unless the key is already revoked, in
// which case the first revocation time stays.
func (s *Store) RevokeAPIKey(ctx context.Context, keyID string, at time.Time) error {
	_, err := s.modifyAPIKey(ctx, keyID, func(k *keystore.APIKey) error {
		if k.RevokedAt.IsZero() {
			k.RevokedAt = at
		}
		return nil
	})
	return err
}

// TouchAPIKey sets LastUsedAt.
func (s *Store) TouchAPIKey(ctx context.Context, keyID string, at time.Time) error {
	_, err := s.modifyAPIKey(ctx, keyID, func(k *keystore.APIKey) error { k.LastUsedAt = at; return nil })
	return err
}

// DeleteAPIKey removes the key and its index entry.
func (s *Store) DeleteAPIKey(ctx context.Context, keyID string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		k, err := getAPIKey(tx, keyID)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketAPIKeys).Delete([]byte(keyID)); err != nil {
			return err
		}
		return tx.Bucket(bucketAPIKeysByUsr).Delete(indexKey(k.UserID, []byte(keyID)))
	})
}

// ListUserAPIKeys returns copies of the user's keys ordered by CreatedAt,
// then key id.
func (s *Store) ListUserAPIKeys(ctx context.Context, userID string) ([]*keystore.APIKey, error) {
	var out []*keystore.APIKey
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		for _, id := range eachPrefix(tx.Bucket(bucketAPIKeysByUsr), userPrefix(userID)) {
			k, err := getAPIKey(tx, string(id))
			if err != nil {
				return err
			}
			out = append(out, k)
		}
		return nil
	})
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
