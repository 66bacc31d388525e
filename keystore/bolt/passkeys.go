package bolt

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	bbolt "go.etcd.io/bbolt"

	"github.com/gatehouse/gatehouse/keystore"
)

var _ keystore.Passkeys = (*Store)(nil)

// CreatePasskey stores p; the credential id must be free (across all
// users) and the user must exist, both checked in the writing transaction.
func (s *Store) CreatePasskey(ctx context.Context, p *keystore.Passkey) error {
	if !keystore.ValidPasskey(p) {
		return fmt.Errorf("keystore/bolt: passkey: fields out of bounds")
	}
	rec := encodePasskey(p)
	return s.update(ctx, func(tx *bbolt.Tx) error {
		if !userExists(tx, p.UserID) {
			return fmt.Errorf("keystore/bolt: passkey of user %s: %w", p.UserID, keystore.ErrNotFound)
		}
		b := tx.Bucket(bucketPasskeys)
		if b.Get(p.CredentialID) != nil {
			return fmt.Errorf("keystore/bolt: passkey: %w", keystore.ErrDuplicate)
		}
		if err := b.Put(p.CredentialID, rec); err != nil {
			return err
		}
		return tx.Bucket(bucketPasskeysByUsr).Put(indexKey(p.UserID, p.CredentialID), nil)
	})
}

func getPasskey(tx *bbolt.Tx, id []byte) (*keystore.Passkey, error) {
	if !keystore.ValidCredentialID(id) {
		return nil, fmt.Errorf("keystore/bolt: passkey: %w", keystore.ErrNotFound)
	}
	v := tx.Bucket(bucketPasskeys).Get(id)
	if v == nil {
		return nil, fmt.Errorf("keystore/bolt: passkey: %w", keystore.ErrNotFound)
	}
	p, err := decodePasskey(v)
	if err == nil && !bytes.Equal(p.CredentialID, id) {
		err = errCorrupt
	}
	if err != nil {
		return nil, fmt.Errorf("keystore/bolt: passkey: %w", err)
	}
	return p, nil
}

// GetPasskey returns a copy of the passkey with that credential id.
func (s *Store) GetPasskey(ctx context.Context, credentialID []byte) (*keystore.Passkey, error) {
	var p *keystore.Passkey
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		p, err = getPasskey(tx, credentialID)
		return err
	})
	return p, err
}

// ListUserPasskeys returns copies of the user's passkeys ordered by
// CreatedAt, then credential id.
func (s *Store) ListUserPasskeys(ctx context.Context, userID string) ([]*keystore.Passkey, error) {
	var out []*keystore.Passkey
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		for _, id := range eachPrefix(tx.Bucket(bucketPasskeysByUsr), userPrefix(userID)) {
			p, err := getPasskey(tx, id)
			if err == nil && p.UserID != userID {
				err = fmt.Errorf("keystore/bolt: passkey of user %s: %w", userID, errCorrupt)
			}
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sortPasskeys(out)
	return out, nil
}

func sortPasskeys(out []*keystore.Passkey) {
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return bytes.Compare(out[i].CredentialID, out[j].CredentialID) < 0
	})
}

// UsePasskey applies a verified assertion to the passkey as stored, in one
// write transaction; a counter that did not increase is
// keystore.ErrSignCount and writes nothing.
func (s *Store) UsePasskey(ctx context.Context, credentialID []byte, use keystore.PasskeyUse) (*keystore.Passkey, error) {
	var out *keystore.Passkey
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		p, err := getPasskey(tx, credentialID)
		if err != nil {
			return err
		}
		if err := keystore.ApplyPasskeyUse(p, use); err != nil {
			return fmt.Errorf("keystore/bolt: passkey: %w", err)
		}
		rec := encodePasskey(p)
		if out, err = decodePasskey(rec); err != nil {
			return err
		}
		return tx.Bucket(bucketPasskeys).Put(credentialID, rec)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeletePasskey removes the passkey and its index entry.
func (s *Store) DeletePasskey(ctx context.Context, credentialID []byte) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		p, err := getPasskey(tx, credentialID)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketPasskeys).Delete(credentialID); err != nil {
			return err
		}
		return tx.Bucket(bucketPasskeysByUsr).Delete(indexKey(p.UserID, credentialID))
	})
}
