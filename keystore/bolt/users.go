package bolt

import (
	"context"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/gatehouse/gatehouse/keystore"
)

// CreateUser stores u. The id and the folded email must both be free;
// both are checked and claimed in one transaction.
func (s *Store) CreateUser(ctx context.Context, u *keystore.User) error {
	if err := checkID("user", u.ID); err != nil {
		return err
	}
	email := keystore.FoldEmail(u.Email)
	if !keystore.ValidID(email) {
		return fmt.Errorf("keystore/bolt: user %s: email must be 1..%d bytes", u.ID, keystore.MaxIDLen)
	}
	rec := encodeUser(u)
	return s.update(ctx, func(tx *bbolt.Tx) error { return insertUser(tx, u.ID, email, rec) })
}

// insertUser claims id and the folded email and writes rec.
func insertUser(tx *bbolt.Tx, id, email string, rec []byte) error {
	users, byEmail := tx.Bucket(bucketUsers), tx.Bucket(bucketUsersByEmail)
	if users.Get([]byte(id)) != nil {
		return fmt.Errorf("keystore/bolt: user %s: %w", id, keystore.ErrDuplicate)
	}
	if byEmail.Get([]byte(email)) != nil {
		return fmt.Errorf("keystore/bolt: user %s: email taken: %w", id, keystore.ErrDuplicate)
	}
	if err := users.Put([]byte(id), rec); err != nil {
		return err
	}
	return byEmail.Put([]byte(email), []byte(id))
}

// GetUser returns a copy of the user with that id.
func (s *Store) GetUser(ctx context.Context, id string) (*keystore.User, error) {
	var u *keystore.User
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		u, err = getUser(tx, id)
		return err
	})
	return u, err
}

// GetUserByEmail looks the user up by FoldEmail(email).
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*keystore.User, error) {
	var u *keystore.User
	folded := []byte(keystore.FoldEmail(email))
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		if len(folded) == 0 {
			return fmt.Errorf("keystore/bolt: user by email: %w", keystore.ErrNotFound)
		}
		id := tx.Bucket(bucketUsersByEmail).Get(folded)
		if id == nil {
			return fmt.Errorf("keystore/bolt: user by email: %w", keystore.ErrNotFound)
		}
		var err error
		u, err = getUser(tx, string(id))
		return err
	})
	return u, err
}

func getUser(tx *bbolt.Tx, id string) (*keystore.User, error) {
	if id == "" {
		return nil, fmt.Errorf("keystore/bolt: user: %w", keystore.ErrNotFound)
	}
	v := tx.Bucket(bucketUsers).Get([]byte(id))
	if v == nil {
		return nil, fmt.Errorf("keystore/bolt: user %s: %w", id, keystore.ErrNotFound)
	}
	u, err := decodeUser(v)
	if err != nil {
		return nil, fmt.Errorf("keystore/bolt: user %s: %w", id, err)
	}
	return u, nil
}

// UpdateUser applies fn to the user as stored, inside one write
// transaction, and moves the email index when the folded email changed.
// fn runs with the database's write lock held: it must be quick.
func (s *Store) UpdateUser(ctx context.Context, id string, fn func(*keystore.User) error) (*keystore.User, error) {
	var out *keystore.User
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		u, err := getUser(tx, id)
		if err != nil {
			return err
		}
		oldEmail := keystore.FoldEmail(u.Email)
		if err := fn(u); err != nil {
			return err
		}
		if u.ID != id {
			return fmt.Errorf("keystore/bolt: user %s: id may not change: %w", id, keystore.ErrConflict)
		}
		email := keystore.FoldEmail(u.Email)
		if !keystore.ValidID(email) {
			return fmt.Errorf("keystore/bolt: user %s: email must be 1..%d bytes", id, keystore.MaxIDLen)
		}
		byEmail := tx.Bucket(bucketUsersByEmail)
		if oldEmail != email {
			if byEmail.Get([]byte(email)) != nil {
				return fmt.Errorf("keystore/bolt: user %s: email taken: %w", id, keystore.ErrDuplicate)
			}
			if err := byEmail.Delete([]byte(oldEmail)); err != nil {
				return err
			}
			if err := byEmail.Put([]byte(email), []byte(id)); err != nil {
				return err
			}
		}
		rec := encodeUser(u)
		if out, err = decodeUser(rec); err != nil {
			return err
		}
		return tx.Bucket(bucketUsers).Put([]byte(id), rec)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteUser removes the user with its sessions, API keys, OAuth links
// and passkeys in one transaction.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		u, err := getUser(tx, id)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketUsersByEmail).Delete([]byte(keystore.FoldEmail(u.Email))); err != nil {
			return err
		}
		if err := tx.Bucket(bucketUsers).Delete([]byte(id)); err != nil {
			return err
		}
		if _, err := deleteUserSessions(tx, id, nil); err != nil {
			return err
		}
		if err := deleteIndexed(tx, id, bucketAPIKeysByUsr, bucketAPIKeys); err != nil {
			return err
		}
		if err := deleteIndexed(tx, id, bucketOAuthByUsr, bucketOAuth); err != nil {
			return err
		}
		return deleteIndexed(tx, id, bucketPasskeysByUsr, bucketPasskeys)
	})
}

// deleteIndexed removes every record of user id listed in index, and the
// index entries.
func deleteIndexed(tx *bbolt.Tx, id string, index, records []byte) error {
	idx, recs := tx.Bucket(index), tx.Bucket(records)
	prefix := userPrefix(id)
	for _, key := range eachPrefix(idx, prefix) {
		if err := recs.Delete(key); err != nil {
			return err
		}
		if err := idx.Delete(append(prefix[:len(prefix):len(prefix)], key...)); err != nil {
			return err
		}
	}
	return nil
}

// ListUsers returns users ordered by folded email, skipping offset and
// returning at most limit (all when limit <= 0).
func (s *Store) ListUsers(ctx context.Context, offset, limit int) ([]*keystore.User, error) {
	if offset < 0 {
		offset = 0
	}
	var out []*keystore.User
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketUsersByEmail).Cursor()
		i := 0
		for k, id := c.First(); k != nil; k, id = c.Next() {
			if i < offset {
				i++
				continue
			}
			if limit > 0 && len(out) >= limit {
				break
			}
			u, err := getUser(tx, string(id))
			if err != nil {
				return err
			}
			out = append(out, u)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CountUsers returns the number of users.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	n := 0
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		n = tx.Bucket(bucketUsers).Stats().KeyN
		return nil
	})
	return n, err
}
