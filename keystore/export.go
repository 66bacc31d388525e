package keystore

import (
	"context"
	"time"
)

// Exporter enumerates the durable state that the Store methods cannot
// list: the denylist with each entry's expiry. Users, sessions, API keys
// and OAuth links are reachable through ListUsers and the per-user lists
// (every such record belongs to a user: DeleteUser cascades), so
// `gatehouse store migrate` needs nothing more than this to copy a store
// whole (docs/design.md "Store migration").
type Exporter interface {
	// EachDenied calls fn for every denylist entry that has not expired,
	// with the time it expires. fn runs outside any transaction or
	// script and may be called for an entry that expires meanwhile; an
	// entry the back-end cannot decode is an error, never skipped
	// (skipping would revive a revoked credential).
	EachDenied(ctx context.Context, fn func(id string, until time.Time) error) error
}

// MarkerExporter enumerates single-use markers (keystore.Markers) with
// their expiry, for a back-end that keeps them beside the durable state
// (Redis, when shared and state are one deployment).
type MarkerExporter interface {
	// EachMarker calls fn for every marker that has not expired, with the
	// time it expires; fn runs outside any script.
	EachMarker(ctx context.Context, fn func(key string, until time.Time) error) error
}
