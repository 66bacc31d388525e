package accounts_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/keystore"
)

func TestParseCredentialID(t *testing.T) {
	max := make([]byte, keystore.MaxCredentialIDLen)
	cases := []struct {
		in   string
		want []byte
	}{
		{"AQID", []byte{1, 2, 3}},
		{"__-_", []byte{0xff, 0xff, 0xbf}},
		{accounts.EncodeCredentialID(max), max},
		{"", nil},
		{"AQID=", nil},  // padded
		{"AQ+/", nil},   // standard alphabet
		{"AQ ID", nil},  // white space
		{"A", nil},      // not a whole byte
		{"%41QID", nil}, // escaped
		{accounts.EncodeCredentialID(append(max, 0)), nil}, // 1024 bytes
		{strings.Repeat("A", 100000), nil},
	}
	for _, c := range cases {
		got, err := accounts.ParseCredentialID(c.in)
		if c.want == nil {
			if !errors.Is(err, accounts.ErrPasskeyNotFound) {
				t.Errorf("ParseCredentialID(%.20q) = %x, %v; want ErrPasskeyNotFound", c.in, got, err)
			}
			continue
		}
		if err != nil || string(got) != string(c.want) {
			t.Errorf("ParseCredentialID(%.20q) = %x, %v", c.in, got, err)
		}
	}
}

// TestRemoveUserPasskeyOnlyRemovesTheUsersOwn prevents one user's route
// (or command) from removing another user's passkey.
func TestRemoveUserPasskeyOnlyRemovesTheUsersOwn(t *testing.T) {
	e := newEnv(t, nil)
	a, b := e.user(t, "a@example.test", true), e.user(t, "b@example.test", true)
	for _, p := range []*keystore.Passkey{
		{CredentialID: []byte("a-1"), UserID: a.ID, PublicKey: []byte{1}, Name: "A1", CreatedAt: t0},
		{CredentialID: []byte("b-1"), UserID: b.ID, PublicKey: []byte{1}, Name: "B1", CreatedAt: t0},
	} {
		if err := e.st.CreatePasskey(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	a1, b1 := accounts.EncodeCredentialID([]byte("a-1")), accounts.EncodeCredentialID([]byte("b-1"))
	for _, c := range []struct{ user, cred string }{
		{a.ID, b1}, {b.ID, a1}, {a.ID, accounts.EncodeCredentialID([]byte("none"))}, {a.ID, "!"}, {"", a1},
	} {
		if err := accounts.RemoveUserPasskey(t.Context(), e.st, c.user, c.cred); !errors.Is(err, accounts.ErrPasskeyNotFound) {
			t.Errorf("remove %q of %q: %v, want ErrPasskeyNotFound", c.cred, c.user, err)
		}
	}
	if err := accounts.RemoveUserPasskey(t.Context(), e.st, a.ID, a1); err != nil {
		t.Fatal(err)
	}
	if err := accounts.RemoveUserPasskey(t.Context(), e.st, a.ID, a1); !errors.Is(err, accounts.ErrPasskeyNotFound) {
		t.Fatalf("second removal: %v", err)
	}
	la, _ := accounts.ListUserPasskeys(t.Context(), e.st, a.ID)
	lb, _ := accounts.ListUserPasskeys(t.Context(), e.st, b.ID)
	if la == nil || len(la) != 0 || len(lb) != 1 || lb[0].ID != b1 || lb[0].Name != "B1" || lb[0].Transports == nil {
		t.Fatalf("after removal: a %+v, b %+v", la, lb)
	}
}
