package bolt

import (
	"context"
	"crypto/subtle"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/gatehouse/gatehouse/keystore"
)

// sealedRecord is one decoded record seen through the envelope fields of
// a ring: fields points into the record, encode writes it back.
type sealedRecord struct {
	fields map[string]*string
	encode func() []byte
}

// ringDef tells where a keyring's envelopes live.
type ringDef struct {
	bucket []byte
	fields []string // in the order EachSealed reports them
	decode func([]byte) (sealedRecord, error)
}

var rings = map[string]ringDef{
	keystore.RingTOTPSecrets: {
		bucket: bucketUsers,
		fields: []string{"TOTPSecret", "TOTPPending"},
		decode: func(b []byte) (sealedRecord, error) {
			u, err := decodeUser(b)
			if err != nil {
				return sealedRecord{}, err
			}
			return sealedRecord{
				fields: map[string]*string{"TOTPSecret": &u.TOTPSecret, "TOTPPending": &u.TOTPPending},
				encode: func() []byte { return encodeUser(u) },
			}, nil
		},
	},
	keystore.RingOAuthTokens: {
		bucket: bucketOAuth,
		fields: []string{"AccessToken", "RefreshToken"},
		decode: func(b []byte) (sealedRecord, error) {
			l, err := decodeOAuthLink(b)
			if err != nil {
				return sealedRecord{}, err
			}
			return sealedRecord{
				fields: map[string]*string{"AccessToken": &l.AccessToken, "RefreshToken": &l.RefreshToken},
				encode: func() []byte { return encodeOAuthLink(l) },
			}, nil
		},
	},
	keystore.RingAPIKeySigning: {
		bucket: bucketAPIKeys,
		fields: []string{"SigningSecret"},
		decode: func(b []byte) (sealedRecord, error) {
			k, err := decodeAPIKey(b)
			if err != nil {
				return sealedRecord{}, err
			}
			return sealedRecord{
				fields: map[string]*string{"SigningSecret": &k.SigningSecret},
				encode: func() []byte { return encodeAPIKey(k) },
			}, nil
		},
	},
}

// sealedBatch is how many records EachSealed reads per transaction.
const sealedBatch = 256

type sealedItem struct {
	ref      keystore.SealedRef
	envelope string
}

// EachSealed calls fn for every non-empty envelope of ring, in record key
// order. Records are read in batches, each in its own read transaction,
// and fn runs outside any transaction, so a slow fn never holds the file
// and a fn that writes to the store does not deadlock. A record changed
// while the walk runs may be seen before or after the change.
func (s *Store) EachSealed(ctx context.Context, ring string, fn func(ref keystore.SealedRef, envelope string) error) error {
	def, ok := rings[ring]
	if !ok {
		return fmt.Errorf("keystore/bolt: unknown keyring %q: %w", ring, keystore.ErrNotFound)
	}
	var after []byte
	for {
		var items []sealedItem
		records := 0
		err := s.view(ctx, func(tx *bbolt.Tx) error {
			c := tx.Bucket(def.bucket).Cursor()
			var k, v []byte
			if after == nil {
				k, v = c.First()
			} else {
				k, v = c.Seek(after)
				if k != nil && string(k) == string(after) {
					k, v = c.Next()
				}
			}
			for ; k != nil && records < sealedBatch; k, v = c.Next() {
				records++
				after = append(after[:0], k...)
				rec, err := def.decode(v)
				if err != nil {
					return fmt.Errorf("keystore/bolt: keyring %s walk: %w", ring, err)
				}
				for _, f := range def.fields {
					if env := *rec.fields[f]; env != "" {
						items = append(items, sealedItem{
							ref:      keystore.SealedRef{Ring: ring, Record: string(k), Field: f},
							envelope: env,
						})
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := fn(it.ref, it.envelope); err != nil {
				return err
			}
		}
		if records < sealedBatch {
			return nil
		}
	}
}

// SwapSealed replaces the envelope at ref with new if it still holds old,
// in one write transaction.
func (s *Store) SwapSealed(ctx context.Context, ref keystore.SealedRef, old, new string) error {
	def, ok := rings[ref.Ring]
	if !ok {
		return fmt.Errorf("keystore/bolt: unknown keyring %q: %w", ref.Ring, keystore.ErrNotFound)
	}
	known := false
	for _, f := range def.fields {
		known = known || f == ref.Field
	}
	if !known || ref.Record == "" {
		return fmt.Errorf("keystore/bolt: keyring %s: no field %q: %w", ref.Ring, ref.Field, keystore.ErrNotFound)
	}
	return s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(def.bucket)
		v := b.Get([]byte(ref.Record))
		if v == nil {
			return fmt.Errorf("keystore/bolt: keyring %s: record: %w", ref.Ring, keystore.ErrNotFound)
		}
		rec, err := def.decode(v)
		if err != nil {
			return fmt.Errorf("keystore/bolt: keyring %s: %w", ref.Ring, err)
		}
		cur := rec.fields[ref.Field]
		if subtle.ConstantTimeCompare([]byte(*cur), []byte(old)) != 1 {
			return fmt.Errorf("keystore/bolt: keyring %s field %s: %w", ref.Ring, ref.Field, keystore.ErrConflict)
		}
		*cur = new
		return b.Put([]byte(ref.Record), rec.encode())
	})
}
