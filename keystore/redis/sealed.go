package redis

import (
	"context"
	"crypto/subtle"
	"fmt"

	"github.com/gatehouse/gatehouse/keystore"
)

// sealedRecord is one decoded record seen through the envelope fields of
// a ring: fields point into the record, encode writes it back.
type sealedRecord struct {
	id     string // SealedRef.Record
	fields map[string]*string
	encode func() string
}

// ringDef tells where a keyring's envelopes live.
type ringDef struct {
	index  func(*keys) string         // global index walked by EachSealed
	hop    string                     // sPage hop for that index
	key    func(*keys, string) string // record key of SealedRef.Record
	fields []string                   // in the order EachSealed reports them
	decode func(string) (sealedRecord, error)
}

var rings = map[string]ringDef{
	keystore.RingTOTPSecrets: {
		index:  func(k *keys) string { return k.users },
		hop:    "user",
		key:    (*keys).user,
		fields: []string{"TOTPSecret", "TOTPPending"},
		decode: func(v string) (sealedRecord, error) {
			u, err := decodeUser(v)
			if err != nil {
				return sealedRecord{}, err
			}
			return sealedRecord{
				id:     u.ID,
				fields: map[string]*string{"TOTPSecret": &u.TOTPSecret, "TOTPPending": &u.TOTPPending},
				encode: func() string { return encodeUser(u) },
			}, nil
		},
	},
	keystore.RingOAuthTokens: {
		index:  func(k *keys) string { return k.links },
		hop:    famLink,
		key:    (*keys).link,
		fields: []string{"AccessToken", "RefreshToken"},
		decode: func(v string) (sealedRecord, error) {
			l, err := decodeOAuthLink(v)
			if err != nil {
				return sealedRecord{}, err
			}
			return sealedRecord{
				id:     l.Provider + "\x00" + l.Subject,
				fields: map[string]*string{"AccessToken": &l.AccessToken, "RefreshToken": &l.RefreshToken},
				encode: func() string { return encodeOAuthLink(l) },
			}, nil
		},
	},
	keystore.RingAPIKeySigning: {
		index:  func(k *keys) string { return k.apiKeys },
		hop:    famAPIKey,
		key:    (*keys).apiKey,
		fields: []string{"SigningSecret"},
		decode: func(v string) (sealedRecord, error) {
			k, err := decodeAPIKey(v)
			if err != nil {
				return sealedRecord{}, err
			}
			return sealedRecord{
				id:     k.KeyID,
				fields: map[string]*string{"SigningSecret": &k.SigningSecret},
				encode: func() string { return encodeAPIKey(k) },
			}, nil
		},
	},
}

// EachSealed calls fn for every non-empty envelope of ring. It walks the
// ring's index (users by folded email, API keys and OAuth links by id)
// a page at a time and calls fn between pages' scripts, never inside
// one. A record changed while the walk runs may be seen before or after
// the change; none is reported twice.
func (s *Store) EachSealed(ctx context.Context, ring string, fn func(ref keystore.SealedRef, envelope string) error) error {
	def, ok := rings[ring]
	if !ok {
		return fmt.Errorf("keystore/redis: unknown keyring %q: %w", ring, keystore.ErrNotFound)
	}
	return s.walkIndex(ctx, def.index(&s.k), def.hop, 0, 0, func(_ string, v string) (bool, error) {
		rec, err := def.decode(v)
		if err != nil {
			return false, fmt.Errorf("keystore/redis: keyring %s walk: %w", ring, err)
		}
		for _, f := range def.fields {
			if env := *rec.fields[f]; env != "" {
				if err := fn(keystore.SealedRef{Ring: ring, Record: rec.id, Field: f}, env); err != nil {
					return false, err
				}
			}
		}
		return true, nil
	})
}

// SwapSealed replaces the envelope at ref with new if it still holds old.
// The field is compared in constant time; the write is a compare-and-swap
// of the whole record, retried when another field of it changed.
func (s *Store) SwapSealed(ctx context.Context, ref keystore.SealedRef, old, new string) error {
	def, ok := rings[ref.Ring]
	if !ok {
		return fmt.Errorf("keystore/redis: unknown keyring %q: %w", ref.Ring, keystore.ErrNotFound)
	}
	known := false
	for _, f := range def.fields {
		known = known || f == ref.Field
	}
	if !known || ref.Record == "" || len(ref.Record) > 2*keystore.MaxIDLen {
		return fmt.Errorf("keystore/redis: keyring %s: no field %q: %w", ref.Ring, ref.Field, keystore.ErrNotFound)
	}
	key := def.key(&s.k, ref.Record)
	for i := 0; i < casAttempts; i++ {
		if err := s.begin(ctx); err != nil {
			return err
		}
		v, found, err := s.get(ctx, "swap sealed", key)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("keystore/redis: keyring %s: record: %w", ref.Ring, keystore.ErrNotFound)
		}
		rec, err := def.decode(v)
		if err == nil && rec.id != ref.Record {
			err = errCorrupt
		}
		if err != nil {
			return fmt.Errorf("keystore/redis: keyring %s: %w", ref.Ring, err)
		}
		cur := rec.fields[ref.Field]
		if subtle.ConstantTimeCompare([]byte(*cur), []byte(old)) != 1 {
			return fmt.Errorf("keystore/redis: keyring %s field %s: %w", ref.Ring, ref.Field, keystore.ErrConflict)
		}
		*cur = new
		st, err := s.status(ctx, "swap sealed", sSwap, []string{key}, v, rec.encode())
		if err != nil {
			return err
		}
		switch st {
		case stOK:
			return nil
		case stNotFound:
			return fmt.Errorf("keystore/redis: keyring %s: record: %w", ref.Ring, keystore.ErrNotFound)
		case stChanged:
			continue
		default:
			return unexpected("swap sealed", st)
		}
	}
	return errBusy
}
