package loginui_test

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

// TestLoginUpgradesOldPasswordHashOnlyOnSuccess: a hash made under older
// argon2id parameters (or imported bcrypt) is replaced on the next
// successful login, and a failed login never writes.
func TestLoginUpgradesOldPasswordHashOnlyOnSuccess(t *testing.T) {
	old := signing.PasswordParams{Memory: 2048, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	oldHasher, err := signing.NewHasher(old)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		hash func(pw string) string
		want string // prefix of the stored hash before the upgrade
	}{
		{"argon2id with older parameters", func(pw string) string {
			h, err := oldHasher.Hash(pw)
			if err != nil {
				t.Fatal(err)
			}
			return h
		}, "$argon2id$v=19$m=2048,"},
		{"imported bcrypt", func(string) string {
			return bcryptOfTestPassword(t)
		}, "$2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			u := h.addUser("old@example.test", false)
			hash := tc.hash(testPassword)
			if _, err := h.store.UpdateUser(context.Background(), u.ID, func(x *keystore.User) error { x.PasswordHash = hash; return nil }); err != nil {
				t.Fatal(err)
			}
			before := h.user(u.ID)
			if !strings.HasPrefix(before.PasswordHash, tc.want) {
				t.Fatalf("setup: stored hash %q", before.PasswordHash[:12])
			}

			if r := h.client().do("POST", "/api/auth/login", map[string]string{"identifier": "old@example.test", "password": "not the password at all"}); r.status != 400 {
				t.Fatalf("wrong password: %d", r.status)
			}
			if after := h.user(u.ID); after.PasswordHash != before.PasswordHash || !after.UpdatedAt.Equal(before.UpdatedAt) {
				t.Fatal("a failed login wrote to the user record")
			}

			if r := h.client().do("POST", "/api/auth/login", map[string]string{"identifier": "old@example.test", "password": testPassword}); r.status != 200 {
				t.Fatalf("right password: %d %s", r.status, r.body)
			}
			after := h.user(u.ID)
			if after.PasswordHash == before.PasswordHash {
				t.Fatal("a successful login with an outdated hash did not upgrade it")
			}
			if ok, rehash, err := h.hasher.Verify(after.PasswordHash, testPassword); !ok || rehash || err != nil {
				t.Fatalf("upgraded hash: ok=%v rehash=%v err=%v", ok, rehash, err)
			}
			// The next login leaves the current hash alone.
			if r := h.client().do("POST", "/api/auth/login", map[string]string{"identifier": "old@example.test", "password": testPassword}); r.status != 200 {
				t.Fatalf("second login: %d", r.status)
			}
			if again := h.user(u.ID); again.PasswordHash != after.PasswordHash {
				t.Fatal("a current hash was rewritten")
			}
		})
	}
}

func bcryptOfTestPassword(t *testing.T) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}
