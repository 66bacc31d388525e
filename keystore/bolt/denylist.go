package bolt

import (
	"context"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"
)

const maxDenyIDLen = 512

// Deny records id as revoked until until. A later until extends an
// existing entry; an earlier one never shortens it. An until that has
// already passed stores nothing.
func (s *Store) Deny(ctx context.Context, id string, until time.Time) error {
	if id == "" || len(id) > maxDenyIDLen {
		return fmt.Errorf("keystore/bolt: denylist id must be 1..%d bytes", maxDenyIDLen)
	}
	if !until.After(s.now()) {
		return s.begin(ctx)
	}
	return s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketDenylist)
		if v := b.Get([]byte(id)); v != nil {
			// A corrupt entry is overwritten: the new one denies.
			if old, err := decodeExpiry(v); err == nil && !old.Before(until) {
				return nil
			}
		}
		return b.Put([]byte(id), encodeExpiry(until))
	})
}

// IsDenied reports whether id is on the denylist and its entry has not
// expired. A corrupt entry is an error, so callers fail closed.
func (s *Store) IsDenied(ctx context.Context, id []byte) (bool, error) {
	if len(id) == 0 || len(id) > maxDenyIDLen {
		return false, s.begin(ctx)
	}
	denied := false
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketDenylist).Get(id)
		if v == nil {
			return nil
		}
		until, err := decodeExpiry(v)
		if err != nil {
			return fmt.Errorf("keystore/bolt: denylist: %w", err)
		}
		denied = s.now().Before(until)
		return nil
	})
	if err != nil {
		return false, err
	}
	return denied, nil
}

// PurgeExpired removes denylist entries whose expiry is not after now and
// reports how many went.
func (s *Store) PurgeExpired(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketDenylist)
		var victims [][]byte
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			// A corrupt entry stays: IsDenied fails closed on it, and
			// dropping it would quietly revive the token.
			until, err := decodeExpiry(v)
			if err == nil && !until.After(now) {
				victims = append(victims, append([]byte(nil), k...))
			}
		}
		for _, k := range victims {
			if err := b.Delete(k); err != nil {
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
