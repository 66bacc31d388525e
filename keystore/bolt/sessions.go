package bolt

import (
	"context"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/gatehouse/gatehouse/keystore"
)

const maxDigestLen = 64

func checkDigest(d []byte) error {
	if len(d) == 0 || len(d) > maxDigestLen {
		return fmt.Errorf("keystore/bolt: session digest must be 1..%d bytes", maxDigestLen)
	}
	return nil
}

// CreateSession stores s under its digest. The user must exist: checking
// in the same transaction keeps a session from outliving a concurrent
// DeleteUser.
func (s *Store) CreateSession(ctx context.Context, sess *keystore.Session) error {
	if err := checkDigest(sess.Digest); err != nil {
		return err
	}
	if err := checkID("user", sess.UserID); err != nil {
		return err
	}
	rec := encodeSession(sess)
	digest := append([]byte(nil), sess.Digest...)
	return s.update(ctx, func(tx *bbolt.Tx) error { return insertSession(tx, sess.UserID, digest, rec) })
}

// insertSession checks the user, claims digest and writes rec.
func insertSession(tx *bbolt.Tx, userID string, digest, rec []byte) error {
	if !userExists(tx, userID) {
		return fmt.Errorf("keystore/bolt: session of user %s: %w", userID, keystore.ErrNotFound)
	}
	b := tx.Bucket(bucketSessions)
	if b.Get(digest) != nil {
		return fmt.Errorf("keystore/bolt: session: %w", keystore.ErrDuplicate)
	}
	if err := b.Put(digest, rec); err != nil {
		return err
	}
	return tx.Bucket(bucketSessionsByUsr).Put(indexKey(userID, digest), nil)
}

var errSessionNotFound = fmt.Errorf("keystore/bolt: session: %w", keystore.ErrNotFound)

func getSession(tx *bbolt.Tx, digest []byte) (*keystore.Session, error) {
	if len(digest) == 0 {
		return nil, errSessionNotFound
	}
	v := tx.Bucket(bucketSessions).Get(digest)
	if v == nil {
		return nil, errSessionNotFound
	}
	sess, err := decodeSession(v)
	if err != nil {
		return nil, fmt.Errorf("keystore/bolt: session: %w", err)
	}
	return sess, nil
}

// GetSession returns a copy of the session with that digest. Expiry is
// the caller's to check.
func (s *Store) GetSession(ctx context.Context, digest []byte) (*keystore.Session, error) {
	var sess *keystore.Session
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		sess, err = getSession(tx, digest)
		return err
	})
	return sess, err
}

// modifySession loads, changes and rewrites one session.
func (s *Store) modifySession(ctx context.Context, digest []byte, fn func(*keystore.Session)) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		sess, err := getSession(tx, digest)
		if err != nil {
			return err
		}
		fn(sess)
		return tx.Bucket(bucketSessions).Put(digest, encodeSession(sess))
	})
}

// TouchSession sets LastSeenAt.
func (s *Store) TouchSession(ctx context.Context, digest []byte, at time.Time) error {
	return s.modifySession(ctx, digest, func(sess *keystore.Session) { sess.LastSeenAt = at })
}

// SetSessionStepUp sets StepUpUntil.
func (s *Store) SetSessionStepUp(ctx context.Context, digest []byte, until time.Time) error {
	return s.modifySession(ctx, digest, func(sess *keystore.Session) { sess.StepUpUntil = until })
}

// DeleteSession removes one session; ErrNotFound when there is none.
func (s *Store) DeleteSession(ctx context.Context, digest []byte) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		sess, err := getSession(tx, digest)
		if err != nil {
			return err
		}
		return deleteSession(tx, sess.UserID, digest)
	})
}

func deleteSession(tx *bbolt.Tx, userID string, digest []byte) error {
	if err := tx.Bucket(bucketSessions).Delete(digest); err != nil {
		return err
	}
	return tx.Bucket(bucketSessionsByUsr).Delete(indexKey(userID, digest))
}

// DeleteUserSessions removes every session of userID except keep.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string, keep []byte) (int, error) {
	n := 0
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		var err error
		n, err = deleteUserSessions(tx, userID, keep)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

func deleteUserSessions(tx *bbolt.Tx, userID string, keep []byte) (int, error) {
	n := 0
	for _, digest := range eachPrefix(tx.Bucket(bucketSessionsByUsr), userPrefix(userID)) {
		if keep != nil && string(digest) == string(keep) {
			continue
		}
		if err := deleteSession(tx, userID, digest); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// ListUserSessions returns copies of the user's sessions in digest order.
func (s *Store) ListUserSessions(ctx context.Context, userID string) ([]*keystore.Session, error) {
	var out []*keystore.Session
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		for _, digest := range eachPrefix(tx.Bucket(bucketSessionsByUsr), userPrefix(userID)) {
			sess, err := getSession(tx, digest)
			if err != nil {
				return err
			}
			out = append(out, sess)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PurgeExpiredSessions removes sessions whose ExpiresAt is set and not
// after now, and reports how many went.
func (s *Store) PurgeExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		type victim struct {
			digest []byte
			userID string
		}
		var victims []victim
		c := tx.Bucket(bucketSessions).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			sess, err := decodeSession(v)
			if err != nil {
				return fmt.Errorf("keystore/bolt: purge sessions: %w", err)
			}
			if !sess.ExpiresAt.IsZero() && !sess.ExpiresAt.After(now) {
				victims = append(victims, victim{digest: append([]byte(nil), k...), userID: sess.UserID})
			}
		}
		for _, v := range victims {
			if err := deleteSession(tx, v.userID, v.digest); err != nil {
				return err
			}
		}
		n = len(victims)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
