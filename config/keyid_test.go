package config_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/config"
)

// TestNextKeyIDFollowsTheHighestNumber: `keys rotate` in production and
// in development (AddKeyringKey) pick the same next id.
func TestNextKeyIDFollowsTheHighestNumber(t *testing.T) {
	cases := []struct {
		ids  []string
		want string
	}{
		{nil, "k1"},
		{[]string{"k1"}, "k2"},
		{[]string{"k1", "k3"}, "k4"},
		{[]string{"k10", "k9"}, "k11"},
		{[]string{"old", "kx", "k-1", "k0"}, "k1"},
	}
	for _, tc := range cases {
		if got := config.NextKeyID(tc.ids); got != tc.want {
			t.Errorf("NextKeyID(%q) = %q, want %q", tc.ids, got, tc.want)
		}
	}
}
