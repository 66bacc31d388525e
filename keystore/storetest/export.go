package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

// runExporter pins keystore.Exporter (and keystore.MarkerExporter where a
// back-end has it): every live denylist entry comes out once with an
// expiry no earlier than the one denied and at most a millisecond later
// (Redis keeps milliseconds), expired entries stay out, an error from fn
// stops the walk and comes back.
func runExporter(t *testing.T, newStore NewStore) {
	exporter := func(t *testing.T) (keystore.Store, keystore.Exporter) {
		s := newStore(t)
		ex, ok := s.(keystore.Exporter)
		if !ok {
			t.Skip("store has no Exporter")
		}
		return s, ex
	}
	collect := func(t *testing.T, ex keystore.Exporter) map[string]time.Time {
		t.Helper()
		got := map[string]time.Time{}
		noErr(t, "EachDenied", ex.EachDenied(ctx(), func(id string, until time.Time) error {
			if _, dup := got[id]; dup {
				t.Errorf("EachDenied reported %q twice", id)
			}
			got[id] = until
			return nil
		}))
		return got
	}

	t.Run("EveryLiveEntryWithItsExpiry", func(t *testing.T) {
		s, ex := exporter(t)
		now := time.Now()
		want := map[string]time.Time{
			"jti-a":                            now.Add(time.Hour),
			"jti-b":                            now.Add(2*time.Hour + 123456789),
			keystore.ChainDenyPrefix + "c1":    now.Add(30 * time.Minute),
			"jti-extended":                     now.Add(3 * time.Hour),
			"spent:" + randomHex(t, 32):        now.Add(time.Minute),
			"id with spaces, *glob? [chars]\\": now.Add(time.Hour),
		}
		for id, until := range want {
			noErr(t, "Deny", s.Deny(ctx(), id, until))
		}
		noErr(t, "Deny shorter", s.Deny(ctx(), "jti-extended", now.Add(time.Minute)))
		noErr(t, "Deny past", s.Deny(ctx(), "jti-past", now.Add(-time.Second)))
		if m, ok := s.(keystore.Markers); ok {
			_, err := m.SetIfAbsent(ctx(), "marker-not-a-denial", time.Hour)
			noErr(t, "SetIfAbsent", err)
		}
		got := collect(t, ex)
		if len(got) != len(want) {
			t.Errorf("EachDenied reported %d entries, want %d: %v", len(got), len(want), got)
		}
		for id, until := range want {
			g, ok := got[id]
			switch {
			case !ok:
				t.Errorf("EachDenied left out %q", id)
			case g.Before(until) || g.After(until.Add(time.Millisecond)):
				t.Errorf("EachDenied(%q) until %v, want %v (to the millisecond, never earlier)", id, g, until)
			}
		}
	})

	t.Run("ManyEntriesAcrossBatches", func(t *testing.T) {
		s, ex := exporter(t)
		until := time.Now().Add(time.Hour)
		const n = 1300 // more than one batch or SCAN step
		for i := 0; i < n; i++ {
			noErr(t, "Deny", s.Deny(ctx(), "jti-"+randomHex(t, 8), until))
		}
		if got := collect(t, ex); len(got) != n {
			t.Errorf("EachDenied reported %d entries, want %d", len(got), n)
		}
	})

	t.Run("ErrorFromFnStopsTheWalk", func(t *testing.T) {
		s, ex := exporter(t)
		for i := 0; i < 3; i++ {
			noErr(t, "Deny", s.Deny(ctx(), "jti-"+randomHex(t, 8), time.Now().Add(time.Hour)))
		}
		stop := errors.New("stop here")
		calls := 0
		err := ex.EachDenied(ctx(), func(string, time.Time) error { calls++; return stop })
		wantErr(t, "EachDenied", err, stop)
		if calls != 1 {
			t.Errorf("fn called %d times after returning an error, want 1", calls)
		}
	})

	t.Run("ClosedStore", func(t *testing.T) {
		s, ex := exporter(t)
		noErr(t, "Close", s.Close())
		wantErr(t, "EachDenied after Close", ex.EachDenied(ctx(), func(string, time.Time) error { return nil }), keystore.ErrClosed)
	})

	t.Run("MarkersWithTheirExpiry", func(t *testing.T) {
		s := newStore(t)
		mx, ok := s.(keystore.MarkerExporter)
		m, ok2 := s.(keystore.Markers)
		if !ok || !ok2 {
			t.Skip("store keeps no markers")
		}
		before := time.Now()
		_, err := m.SetIfAbsent(ctx(), "setup:abc", time.Hour)
		noErr(t, "SetIfAbsent", err)
		noErr(t, "Deny", s.Deny(ctx(), "jti-not-a-marker", before.Add(time.Hour)))
		got := map[string]time.Time{}
		noErr(t, "EachMarker", mx.EachMarker(ctx(), func(k string, until time.Time) error { got[k] = until; return nil }))
		until, ok := got["setup:abc"]
		if len(got) != 1 || !ok {
			t.Fatalf("EachMarker reported %v, want only setup:abc", got)
		}
		if until.Before(before.Add(time.Hour-time.Second)) || until.After(time.Now().Add(time.Hour+time.Second)) {
			t.Errorf("marker until %v, want about %v", until, before.Add(time.Hour))
		}
	})
}
