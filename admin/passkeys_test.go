package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/admin"
	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/keystore"
)

// TestPasskeyCommands runs passkey.list and passkey.remove as the
// listener does (Dispatch with a JSON body): a user's own passkeys only,
// the credential id never in the audit event.
func TestPasskeyCommands(t *testing.T) {
	o := newOps(t)
	var logs bytes.Buffer
	o.Log = zerolog.New(&logs)
	ctx := context.Background()
	users := map[string]string{}
	for _, email := range []string{"a@example.test", "b@example.test"} {
		u, err := o.UserAdd(ctx, admin.UserAddRequest{Email: email, Password: "a-long-enough-password"})
		if err != nil {
			t.Fatal(err)
		}
		users[email] = u.ID
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, p := range []*keystore.Passkey{
		{CredentialID: []byte("cred-of-a"), UserID: users["a@example.test"], PublicKey: []byte{1}, Name: "A's key", Transports: []string{"usb"}, SignCount: 3, CreatedAt: at},
		{CredentialID: []byte("cred-of-b"), UserID: users["b@example.test"], PublicKey: []byte{1}, Name: "B's key", CreatedAt: at},
	} {
		if err := o.Store.CreatePasskey(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	credA, credB := accounts.EncodeCredentialID([]byte("cred-of-a")), accounts.EncodeCredentialID([]byte("cred-of-b"))
	call := func(op string, req any) (any, error) {
		body, _ := json.Marshal(req)
		return admin.Dispatch(ctx, o, op, body)
	}

	res, err := call(admin.OpPasskeyList, admin.PasskeyListRequest{Email: "a@example.test"})
	if ps, _ := res.([]accounts.PasskeyView); err != nil || len(ps) != 1 || ps[0].ID != credA || ps[0].Name != "A's key" || ps[0].SignCount != 3 {
		t.Fatalf("list: %+v %v", res, err)
	}
	var oe *admin.Error
	for _, c := range []struct {
		name string
		req  admin.PasskeyRemoveRequest
		code string
	}{
		{"another user's passkey", admin.PasskeyRemoveRequest{Email: "a@example.test", CredentialID: credB}, "PASSKEY_NOT_FOUND"},
		{"unknown id", admin.PasskeyRemoveRequest{Email: "a@example.test", CredentialID: accounts.EncodeCredentialID([]byte("nope"))}, "PASSKEY_NOT_FOUND"},
		{"not base64url", admin.PasskeyRemoveRequest{Email: "a@example.test", CredentialID: "a+b/"}, "PASSKEY_NOT_FOUND"},
		{"empty id", admin.PasskeyRemoveRequest{Email: "a@example.test"}, "PASSKEY_NOT_FOUND"},
		{"unknown user", admin.PasskeyRemoveRequest{Email: "c@example.test", CredentialID: credA}, "USER_NOT_FOUND"},
	} {
		if _, err := call(admin.OpPasskeyRemove, c.req); !errors.As(err, &oe) || oe.Code != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	if _, err := admin.Dispatch(ctx, o, admin.OpPasskeyRemove, []byte(`{"email":"a@example.test","credential_id":"`+credA+`","all":true}`)); !errors.As(err, &oe) || oe.Code != "REQUEST_BODY_INVALID" {
		t.Errorf("unknown field: %v", err)
	}
	if _, err := o.Store.GetPasskey(ctx, []byte("cred-of-b")); err != nil {
		t.Fatalf("B's passkey after refused removals: %v", err)
	}
	if _, err := call(admin.OpPasskeyRemove, admin.PasskeyRemoveRequest{Email: "a@example.test", CredentialID: credA}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Store.GetPasskey(ctx, []byte("cred-of-a")); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("A's passkey after removal: %v", err)
	}
	if l := logs.String(); !strings.Contains(l, `"audit":"admin_passkey_removed"`) || !strings.Contains(l, users["a@example.test"]) ||
		strings.Contains(l, credA) || strings.Contains(l, "cred-of-a") || strings.Contains(l, "a@example.test") {
		t.Fatalf("audit: %s", l)
	}
}
