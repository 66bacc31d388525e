package bolt

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

var _ keystore.Exporter = (*Store)(nil)

// exportBatch is how many denylist entries EachDenied reads per
// transaction.
const exportBatch = 512

type deniedItem struct {
	id    string
	until time.Time
}

// EachDenied calls fn for every denylist entry whose expiry is after the
// store's clock, in id order. Entries are read in batches, each in its
// own read transaction (eachBatch), and fn runs outside any transaction.
// A corrupt entry is an error: IsDenied fails closed on it, and an
// export that dropped it would revive the token.
func (s *Store) EachDenied(ctx context.Context, fn func(id string, until time.Time) error) error {
	var items []deniedItem
	now := s.now()
	return s.eachBatch(ctx, bucketDenylist, exportBatch, func(k, v []byte) error {
		until, err := decodeExpiry(v)
		if err != nil {
			return fmt.Errorf("keystore/bolt: denylist export: %w", err)
		}
		if until.After(now) {
			items = append(items, deniedItem{id: string(k), until: until})
		}
		return nil
	}, func() error {
		for _, it := range items {
			if err := fn(it.id, it.until); err != nil {
				return err
			}
		}
		items = items[:0]
		return nil
	})
}
