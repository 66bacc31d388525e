package bolt

import (
	"context"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/gatehouse/gatehouse/keystore"
)

// oauthKey is provider \x00 subject. A provider name may not contain NUL,
// so the split is unambiguous; the subject may hold any bytes.
func oauthKey(provider, subject string) ([]byte, error) {
	if !keystore.ValidOAuthLinkKey(provider, subject) {
		return nil, fmt.Errorf("keystore/bolt: oauth link: provider and subject must be non-empty, provider without NUL, together at most %d bytes", keystore.MaxIDLen)
	}
	k := make([]byte, 0, len(provider)+1+len(subject))
	k = append(k, provider...)
	k = append(k, 0)
	return append(k, subject...), nil
}

// CreateOAuthLink stores l; (provider, subject) must be free and the user
// must exist.
func (s *Store) CreateOAuthLink(ctx context.Context, l *keystore.OAuthLink) error {
	key, err := oauthKey(l.Provider, l.Subject)
	if err != nil {
		return err
	}
	if err := checkID("user", l.UserID); err != nil {
		return err
	}
	rec := encodeOAuthLink(l)
	return s.update(ctx, func(tx *bbolt.Tx) error {
		if !userExists(tx, l.UserID) {
			return fmt.Errorf("keystore/bolt: oauth link (%s): user %s: %w", l.Provider, l.UserID, keystore.ErrNotFound)
		}
		b := tx.Bucket(bucketOAuth)
		if b.Get(key) != nil {
			return fmt.Errorf("keystore/bolt: oauth link (%s): %w", l.Provider, keystore.ErrDuplicate)
		}
		if err := b.Put(key, rec); err != nil {
			return err
		}
		return tx.Bucket(bucketOAuthByUsr).Put(indexKey(l.UserID, key), nil)
	})
}

func getOAuthLink(tx *bbolt.Tx, key []byte) (*keystore.OAuthLink, error) {
	v := tx.Bucket(bucketOAuth).Get(key)
	if v == nil {
		return nil, fmt.Errorf("keystore/bolt: oauth link: %w", keystore.ErrNotFound)
	}
	l, err := decodeOAuthLink(v)
	if err != nil {
		return nil, fmt.Errorf("keystore/bolt: oauth link: %w", err)
	}
	return l, nil
}

// GetOAuthLink returns a copy of the link.
func (s *Store) GetOAuthLink(ctx context.Context, provider, subject string) (*keystore.OAuthLink, error) {
	key, err := oauthKey(provider, subject)
	if err != nil {
		return nil, fmt.Errorf("keystore/bolt: oauth link: %w", keystore.ErrNotFound)
	}
	var l *keystore.OAuthLink
	err = s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		l, err = getOAuthLink(tx, key)
		return err
	})
	return l, err
}

// ListUserOAuthLinks returns copies of the user's links ordered by
// provider, then subject.
func (s *Store) ListUserOAuthLinks(ctx context.Context, userID string) ([]*keystore.OAuthLink, error) {
	var out []*keystore.OAuthLink
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		for _, key := range eachPrefix(tx.Bucket(bucketOAuthByUsr), userPrefix(userID)) {
			l, err := getOAuthLink(tx, key)
			if err != nil {
				return err
			}
			out = append(out, l)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteOAuthLink removes the link and its index entry.
func (s *Store) DeleteOAuthLink(ctx context.Context, provider, subject string) error {
	key, err := oauthKey(provider, subject)
	if err != nil {
		return fmt.Errorf("keystore/bolt: oauth link: %w", keystore.ErrNotFound)
	}
	return s.update(ctx, func(tx *bbolt.Tx) error {
		l, err := getOAuthLink(tx, key)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketOAuth).Delete(key); err != nil {
			return err
		}
		return tx.Bucket(bucketOAuthByUsr).Delete(indexKey(l.UserID, key))
	})
}
