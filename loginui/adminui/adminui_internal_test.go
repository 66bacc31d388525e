package adminui

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/bolt"
)

func TestNewRefusesMissingStores(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "gh.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	for _, c := range []Config{{}, {Users: st}, {Sessions: st}} {
		if _, err := New(c); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", c, err)
		}
	}
	if _, err := New(Config{Users: st, Sessions: st}); err != nil {
		t.Fatal(err)
	}
}

// TestListUsersSearchOffsetCountsMatchesOnly: with a query, offset skips
// matching users, not scanned ones, and the limit is clamped.
func TestListUsersSearchOffsetCountsMatchesOnly(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "gh.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	now := time.Now()
	for i := range 6 {
		name := "other"
		if i%2 == 0 {
			name = "Team Ops"
		}
		u := &keystore.User{ID: fmt.Sprintf("%032x", i+1), Email: fmt.Sprintf("u%d@example.test", i), DisplayName: name,
			Active: true, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	f, err := New(Config{Users: st, Sessions: st})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/api/users", nil)
	tests := []struct {
		name          string
		q             string
		offset, limit int
		want          []string
	}{
		{"all, clamped limit", "", 0, 0, []string{"u0", "u1", "u2", "u3", "u4", "u5"}},
		{"all, offset", "", 4, 10, []string{"u4", "u5"}},
		{"display name, case-insensitive", "  OPS ", 0, 10, []string{"u0", "u2", "u4"}},
		{"search offset skips matches", "ops", 1, 1, []string{"u2"}},
		{"email substring", "U3@", -5, 500, []string{"u3"}},
		{"nothing", "nobody", 0, 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			us, err := f.listUsers(r, tt.q, tt.offset, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range us {
				got = append(got, u.Email[:2])
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("listUsers(%q, %d, %d) = %v, want %v", tt.q, tt.offset, tt.limit, got, tt.want)
			}
		})
	}
}

func TestClipKeepsRuneBoundaries(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{{"abc", 5, "abc"}, {"abcdef", 3, "abc"}, {"aé", 2, "a"}, {"a\xffb", 5, "ab"}} {
		if got := clip(tt.in, tt.n); got != tt.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
