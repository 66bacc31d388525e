package storetest

import (
	"testing"
	"time"
)

func runDenylist(t *testing.T, newStore NewStore, advance func(time.Duration)) {
	t.Run("ExplicitPastAndFuture", func(t *testing.T) {
		s := newStore(t)
		now := time.Now()
		noErr(t, "Deny future", s.Deny(ctx(), "jti-future", now.Add(time.Hour)))
		noErr(t, "Deny past", s.Deny(ctx(), "jti-past", now.Add(-time.Hour)))
		cases := []struct {
			id   string
			want bool
		}{
			{"jti-future", true},
			{"jti-past", false},
			{"jti-unknown", false},
			{"jti-futur", false},
			{"jti-future-", false},
			{"", false},
		}
		for _, c := range cases {
			got, err := s.IsDenied(ctx(), []byte(c.id))
			noErr(t, "IsDenied", err)
			if got != c.want {
				t.Errorf("IsDenied(%q) = %v, want %v", c.id, got, c.want)
			}
		}
	})

	t.Run("LaterDenyNeverShortens", func(t *testing.T) {
		s := newStore(t)
		now := time.Now()
		noErr(t, "Deny long", s.Deny(ctx(), "jti-x", now.Add(time.Hour)))
		noErr(t, "Deny short", s.Deny(ctx(), "jti-x", now.Add(-time.Minute)))
		got, err := s.IsDenied(ctx(), []byte("jti-x"))
		noErr(t, "IsDenied", err)
		if !got {
			t.Errorf("a second Deny with an earlier expiry lifted the entry")
		}
	})

	t.Run("EntryExpiresWithTheClock", func(t *testing.T) {
		if advance == nil {
			t.Skip("no clock to advance")
		}
		s := newStore(t)
		now := time.Now()
		noErr(t, "Deny short", s.Deny(ctx(), "jti-short", now.Add(2*time.Second)))
		noErr(t, "Deny long", s.Deny(ctx(), "jti-long", now.Add(time.Hour)))
		noErr(t, "Deny extended", s.Deny(ctx(), "jti-ext", now.Add(2*time.Second)))
		noErr(t, "Deny extended again", s.Deny(ctx(), "jti-ext", now.Add(time.Hour)))
		for _, id := range []string{"jti-short", "jti-long", "jti-ext"} {
			got, err := s.IsDenied(ctx(), []byte(id))
			noErr(t, "IsDenied", err)
			if !got {
				t.Errorf("IsDenied(%q) = false before expiry", id)
			}
		}
		advance(3 * time.Second)
		for id, want := range map[string]bool{"jti-short": false, "jti-long": true, "jti-ext": true} {
			got, err := s.IsDenied(ctx(), []byte(id))
			noErr(t, "IsDenied", err)
			if got != want {
				t.Errorf("after expiry IsDenied(%q) = %v, want %v", id, got, want)
			}
		}
	})
}
