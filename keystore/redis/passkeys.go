package redis

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"

	"github.com/gatehouse/gatehouse/keystore"
)

var _ keystore.Passkeys = (*Store)(nil)

// Passkeys live under <prefix>{state}:pkey:<member>, member being the
// unpadded base64url credential id; the per-user index upkeys:<user id>
// and the global index passkeys hold the members (scores: CreatedAt in
// unix ms per user, 0 globally). sCreateOwned, sSwap, sDeleteOwned and
// sDeleteUser keep record and indexes together.

var errPasskeyNotFound = fmt.Errorf("keystore/redis: passkey: %w", keystore.ErrNotFound)

func passkeyMember(id []byte) (string, bool) {
	if !keystore.ValidCredentialID(id) {
		return "", false
	}
	return base64.RawURLEncoding.EncodeToString(id), true
}

// CreatePasskey stores p; the credential id must be free and the user must
// exist, both checked in the script that writes the record and its indexes.
func (s *Store) CreatePasskey(ctx context.Context, p *keystore.Passkey) error {
	if !keystore.ValidPasskey(p) {
		return errors.New("keystore/redis: passkey: fields out of bounds")
	}
	m, _ := passkeyMember(p.CredentialID)
	rec := encodePasskey(p)
	if err := s.begin(ctx); err != nil {
		return err
	}
	st, err := s.status(ctx, "create passkey", sCreateOwned,
		[]string{s.k.user(p.UserID), s.k.passkey(m), s.k.userPasskeys(p.UserID), s.k.passkeys},
		rec, m, floorMs(p.CreatedAt), m, 0, "")
	if err != nil {
		return err
	}
	switch st {
	case stOK:
		return nil
	case stNotFound:
		return fmt.Errorf("keystore/redis: passkey of user %s: %w", p.UserID, keystore.ErrNotFound)
	case stDup:
		return fmt.Errorf("keystore/redis: passkey: %w", keystore.ErrDuplicate)
	}
	return unexpected("create passkey", st)
}

// readPasskey returns the stored value and the decoded passkey.
func (s *Store) readPasskey(ctx context.Context, id []byte) (string, string, *keystore.Passkey, error) {
	m, ok := passkeyMember(id)
	if !ok {
		return "", "", nil, errPasskeyNotFound
	}
	v, found, err := s.get(ctx, "get passkey", s.k.passkey(m))
	if err != nil {
		return "", "", nil, err
	}
	if !found {
		return "", "", nil, errPasskeyNotFound
	}
	p, err := decodePasskey(v)
	if err == nil && !bytes.Equal(p.CredentialID, id) {
		err = errCorrupt
	}
	if err != nil {
		return "", "", nil, fmt.Errorf("keystore/redis: passkey: %w", err)
	}
	return m, v, p, nil
}

// GetPasskey returns a copy of the passkey with that credential id.
func (s *Store) GetPasskey(ctx context.Context, credentialID []byte) (*keystore.Passkey, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	_, _, p, err := s.readPasskey(ctx, credentialID)
	return p, err
}

// ListUserPasskeys returns copies of the user's passkeys ordered by
// CreatedAt, then credential id.
func (s *Store) ListUserPasskeys(ctx context.Context, userID string) ([]*keystore.Passkey, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	if !keystore.ValidID(userID) {
		return nil, nil
	}
	out, err := listUserRecords(ctx, s, "list passkeys", "passkeys", s.k.userPasskeys(userID), famPasskey, userID,
		decodePasskey, func(r *keystore.Passkey) string { return r.UserID })
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return bytes.Compare(out[i].CredentialID, out[j].CredentialID) < 0
	})
	return out, nil
}

// UsePasskey applies a verified assertion to the passkey as stored: the
// counter is checked against the value read and written by a
// compare-and-swap on that value, re-read when another writer got in
// between, so two uses of one counter value never both pass. A counter
// that did not increase is keystore.ErrSignCount and writes nothing.
func (s *Store) UsePasskey(ctx context.Context, credentialID []byte, use keystore.PasskeyUse) (*keystore.Passkey, error) {
	for i := 0; i < updateAttempts; i++ {
		if err := s.begin(ctx); err != nil {
			return nil, err
		}
		m, old, p, err := s.readPasskey(ctx, credentialID)
		if err != nil {
			return nil, err
		}
		if err := keystore.ApplyPasskeyUse(p, use); err != nil {
			return nil, fmt.Errorf("keystore/redis: passkey: %w", err)
		}
		rec := encodePasskey(p)
		out, err := decodePasskey(rec)
		if err != nil {
			return nil, fmt.Errorf("keystore/redis: passkey: %w", err)
		}
		st, err := s.status(ctx, "use passkey", sSwap, []string{s.k.passkey(m)}, old, rec)
		if err != nil {
			return nil, err
		}
		switch st {
		case stOK:
			return out, nil
		case stNotFound:
			return nil, errPasskeyNotFound
		case stChanged:
			if err := casBackoff(ctx, i); err != nil {
				return nil, err
			}
		default:
			return nil, unexpected("use passkey", st)
		}
	}
	return nil, errBusy
}

// DeletePasskey removes the passkey and its index entries.
func (s *Store) DeletePasskey(ctx context.Context, credentialID []byte) error {
	for i := 0; i < updateAttempts; i++ {
		if err := s.begin(ctx); err != nil {
			return err
		}
		m, old, p, err := s.readPasskey(ctx, credentialID)
		if err != nil {
			return err
		}
		st, err := s.status(ctx, "delete passkey", sDeleteOwned,
			[]string{s.k.passkey(m), s.k.userPasskeys(p.UserID), s.k.passkeys}, old, m, m)
		if err != nil {
			return err
		}
		switch st {
		case stOK:
			return nil
		case stNotFound:
			return errPasskeyNotFound
		case stChanged:
			if err := casBackoff(ctx, i); err != nil {
				return err
			}
		default:
			return unexpected("delete passkey", st)
		}
	}
	return errBusy
}
