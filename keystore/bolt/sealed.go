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
// order, read in batches (eachBatch): fn runs outside any transaction.
func (s *Store) EachSealed(ctx context.Context, ring string, fn func(ref keystore.SealedRef, envelope string) error) error {
	def, ok := rings[ring]
	if !ok {
		return fmt.Errorf("keystore/bolt: unknown keyring %q: %w", ring, keystore.ErrNotFound)
	}
	var items []sealedItem
	return s.eachBatch(ctx, def.bucket, sealedBatch, func(k, v []byte) error {
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
		return nil
	}, func() error {
		for _, it := range items {
			if err := fn(it.ref, it.envelope); err != nil {
				return err
			}
		}
		items = items[:0]
		return nil
	})
}

// eachBatch walks bucket in key order, batch records per read
// transaction: visit sees each record inside the transaction (its k and
// v die with it), flush runs after each transaction, outside any, so a
// slow caller never holds the file and one that writes to the store does
// not deadlock. A record changed while the walk runs may be seen before
// or after the change; none is seen twice.
func (s *Store) eachBatch(ctx context.Context, bucket []byte, batch int, visit func(k, v []byte) error, flush func() error) error {
	var after []byte
	for {
		records := 0
		err := s.view(ctx, func(tx *bbolt.Tx) error {
			c := tx.Bucket(bucket).Cursor()
			var k, v []byte
			if after == nil {
				k, v = c.First()
			} else {
				k, v = c.Seek(after)
				if k != nil && string(k) == string(after) {
					k, v = c.Next()
				}
			}
			for ; k != nil && records < batch; k, v = c.Next() {
				records++
				after = append(after[:0], k...)
				if err := visit(k, v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := flush(); err != nil {
			return err
		}
		if records < batch {
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
