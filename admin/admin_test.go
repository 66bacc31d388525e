package admin_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/admin"
	"github.com/gatehouse/gatehouse/keystore/bolt"
	"github.com/gatehouse/gatehouse/signing"
)

func newOps(t *testing.T) *admin.Ops {
	t.Helper()
	st, err := bolt.Open(t.TempDir()+"/s.db", bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	h, err := signing.NewHasher(signing.PasswordParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	if err != nil {
		t.Fatal(err)
	}
	ak, err := signing.NewAPIKeyHasher(signing.NewSecret([]byte("api-key-hash-secret-0123456789abcdef")))
	if err != nil {
		t.Fatal(err)
	}
	return &admin.Ops{Store: st, Hasher: h, MinPassword: 12, MaxPassword: 128, APIKeyHasher: ak,
		APIKeyPrefix: "ak", APIKeyEnv: "prod", APIKeyMax: 2, AllowedScopes: []string{"read"}}
}

func TestHandlerGuardsCommands(t *testing.T) {
	h := admin.NewHandler(&admin.Handler{Ops: newOps(t), Token: []byte("admin-token-value")})
	cases := []struct {
		name   string
		remote string
		auth   string
		path   string
		body   string
		status int
	}{
		{"loopback with token", "127.0.0.1:5000", "Bearer admin-token-value", "/admin/v1/user.list", "", 200},
		{"ipv6 loopback with token", "[::1]:5000", "Bearer admin-token-value", "/admin/v1/user.list", "", 200},
		{"no token", "127.0.0.1:5000", "", "/admin/v1/user.list", "", 403},
		{"wrong token", "127.0.0.1:5000", "Bearer admin-token-valuf", "/admin/v1/user.list", "", 403},
		{"token prefix only", "127.0.0.1:5000", "Bearer admin-token", "/admin/v1/user.list", "", 403},
		{"other scheme", "127.0.0.1:5000", "Basic admin-token-value", "/admin/v1/user.list", "", 403},
		{"remote peer with token", "192.0.2.7:5000", "Bearer admin-token-value", "/admin/v1/user.list", "", 403},
		{"unknown command", "127.0.0.1:5000", "Bearer admin-token-value", "/admin/v1/user.explode", "", 422},
		{"unknown field", "127.0.0.1:5000", "Bearer admin-token-value", "/admin/v1/apikey.list", `{"email":"a@b.test","x":1}`, 422},
		{"oversize body", "127.0.0.1:5000", "Bearer admin-token-value", "/admin/v1/apikey.list", `{"email":"` + strings.Repeat("a", 70<<10) + `"}`, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", tc.path, strings.NewReader(tc.body))
			req.RemoteAddr = tc.remote
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
		})
	}
	// Without a token configured, commands are off entirely.
	off := admin.NewHandler(&admin.Handler{Ops: newOps(t)})
	req := httptest.NewRequest("POST", "/admin/v1/user.list", nil)
	req.RemoteAddr = "127.0.0.1:1"
	req.Header.Set("Authorization", "Bearer ")
	rec := httptest.NewRecorder()
	off.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("commands without a token: %d", rec.Code)
	}
}

type failingPinger struct{ err error }

func (f failingPinger) Ping(context.Context) error { return f.err }

func TestHealthAndReadiness(t *testing.T) {
	cases := []struct {
		name   string
		ready  []admin.Pinger
		path   string
		status int
	}{
		{"healthz", nil, "/healthz", 200},
		{"ready", []admin.Pinger{failingPinger{}}, "/readyz", 200},
		{"store down", []admin.Pinger{failingPinger{}, failingPinger{errors.New("down")}}, "/readyz", 503},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := admin.NewHandler(&admin.Handler{Ready: tc.ready})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
			if rec.Code != tc.status {
				t.Fatalf("%s: %d, want %d", tc.path, rec.Code, tc.status)
			}
		})
	}
}

func TestOpsRefuseBadInput(t *testing.T) {
	o := newOps(t)
	ctx := context.Background()
	if _, err := o.UserAdd(ctx, admin.UserAddRequest{Email: "owner@example.test", Password: "a-long-enough-password"}); err != nil {
		t.Fatal(err)
	}
	var oe *admin.Error
	cases := []struct {
		name string
		run  func() error
		code string
	}{
		{"email without @", func() error {
			_, err := o.UserAdd(ctx, admin.UserAddRequest{Email: "nobody", Password: "a-long-enough-password"})
			return err
		}, "INVALID_EMAIL"},
		{"email with newline", func() error {
			_, err := o.UserAdd(ctx, admin.UserAddRequest{Email: "a@b.test\nX: y", Password: "a-long-enough-password"})
			return err
		}, "INVALID_EMAIL"},
		{"short password", func() error {
			_, err := o.UserAdd(ctx, admin.UserAddRequest{Email: "x@example.test", Password: "short"})
			return err
		}, "INVALID_PASSWORD"},
		{"duplicate email, other case", func() error {
			_, err := o.UserAdd(ctx, admin.UserAddRequest{Email: "OWNER@example.test", Password: "a-long-enough-password"})
			return err
		}, "USER_EXISTS"},
		{"bad role name", func() error {
			_, err := o.UserSetRoles(ctx, admin.UserUpdateRequest{Email: "owner@example.test", Roles: []string{"ad min"}})
			return err
		}, "INVALID_ROLE"},
		{"unknown user", func() error {
			_, err := o.UserSetRoles(ctx, admin.UserUpdateRequest{Email: "ghost@example.test"})
			return err
		}, "USER_NOT_FOUND"},
		{"scope not allowed", func() error {
			_, err := o.APIKeyCreate(ctx, admin.APIKeyCreateRequest{Email: "owner@example.test", Name: "k", Scopes: []string{"write"}})
			return err
		}, "API_KEY_SCOPE_DENIED"},
		{"key without name", func() error {
			_, err := o.APIKeyCreate(ctx, admin.APIKeyCreateRequest{Email: "owner@example.test"})
			return err
		}, "INVALID_NAME"},
		{"signing-required without keyring", func() error {
			_, err := o.APIKeyCreate(ctx, admin.APIKeyCreateRequest{Email: "owner@example.test", Name: "s", SigningRequired: true})
			return err
		}, "CONFIGURATION_INVALID"},
		{"revoke unknown key", func() error {
			_, err := o.APIKeyRevoke(ctx, admin.APIKeyRevokeRequest{KeyID: "nope"})
			return err
		}, "API_KEY_INVALID"},
		{"token without issuer", func() error {
			_, err := o.TokenIssue(ctx, admin.TokenIssueRequest{Email: "owner@example.test"})
			return err
		}, "CONFIGURATION_INVALID"},
		{"reencrypt unknown ring", func() error {
			_, err := o.Reencrypt(ctx, admin.ReencryptRequest{Ring: "nope"}, nil)
			return err
		}, "UNKNOWN_KEYRING"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if !errors.As(err, &oe) || oe.Code != tc.code {
				t.Fatalf("err %v, want code %s", err, tc.code)
			}
		})
	}
}

func TestAPIKeyCapCountsOnlyLiveKeys(t *testing.T) {
	o := newOps(t)
	ctx := context.Background()
	if _, err := o.UserAdd(ctx, admin.UserAddRequest{Email: "cap@example.test", Password: "a-long-enough-password"}); err != nil {
		t.Fatal(err)
	}
	mk := func() (admin.APIKeyCreated, error) {
		return o.APIKeyCreate(ctx, admin.APIKeyCreateRequest{Email: "cap@example.test", Name: "k", Scopes: []string{"read"}, Expires: time.Hour})
	}
	first, err := mk()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mk(); err != nil {
		t.Fatal(err)
	}
	var oe *admin.Error
	if _, err := mk(); !errors.As(err, &oe) || oe.Code != "API_KEY_LIMIT_REACHED" {
		t.Fatalf("third key: %v", err)
	}
	if _, err := o.APIKeyRevoke(ctx, admin.APIKeyRevokeRequest{KeyID: first.Key.KeyID}); err != nil {
		t.Fatal(err)
	}
	k, err := mk()
	if err != nil {
		t.Fatalf("a revoked key still counted against the cap: %v", err)
	}
	got, err := o.Store.GetAPIKey(ctx, k.Key.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	// Only the HMAC of the secret part is stored, and the expiry is kept.
	secret := k.Raw[strings.IndexByte(k.Raw, '.')+1:]
	if want := o.APIKeyHasher.Digest([]byte(secret)); string(got.Digest) != string(want[:]) {
		t.Fatal("stored digest is not the HMAC of the secret")
	}
	if got.ExpiresAt.IsZero() || got.SigningSecret != "" {
		t.Fatalf("stored key: expires %v, signing secret set %v", got.ExpiresAt, got.SigningSecret != "")
	}
}

func TestOpsWriteAuditEventsWithoutIdentifiers(t *testing.T) {
	o := newOps(t)
	var buf bytes.Buffer
	o.Log = zerolog.New(&buf)
	ctx := context.Background()
	u, err := o.UserAdd(ctx, admin.UserAddRequest{Email: "audit@example.test", Password: "a-long-enough-password"})
	if err != nil {
		t.Fatal(err)
	}
	k, err := o.APIKeyCreate(ctx, admin.APIKeyCreateRequest{Email: "audit@example.test", Name: "k", Scopes: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.UserSetRoles(ctx, admin.UserUpdateRequest{Email: "audit@example.test", Roles: []string{"ops"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.APIKeyRevoke(ctx, admin.APIKeyRevokeRequest{KeyID: k.Key.KeyID}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.UserDelete(ctx, admin.UserUpdateRequest{Email: "audit@example.test"}); err != nil {
		t.Fatal(err)
	}
	logs := buf.String()
	for _, ev := range []string{"user_created", "api_key_created", "roles_changed", "api_key_revoked", "user_deleted"} {
		if !strings.Contains(logs, `"audit":"`+ev+`"`) {
			t.Errorf("no %s audit event in %s", ev, logs)
		}
	}
	if !strings.Contains(logs, u.ID) || !strings.Contains(logs, k.Key.KeyID) {
		t.Error("audit events lack the user or key id")
	}
	for _, secret := range []string{"audit@example.test", "a-long-enough-password", k.Raw, k.Raw[strings.IndexByte(k.Raw, '.')+1:]} {
		if strings.Contains(logs, secret) {
			t.Errorf("audit log contains an identifier or secret (%d chars)", len(secret))
		}
	}
}

// TestUserAddVerifiedRecordsVerificationTime: `user add --verified` marks
// when the address was verified, so the portal's revocation policy can
// tell credentials made before it from those made after; without
// --verified the account is unverified with no such time.
func TestUserAddVerifiedRecordsVerificationTime(t *testing.T) {
	o := newOps(t)
	ctx := context.Background()
	for _, verified := range []bool{true, false} {
		email := "unverified@example.test"
		if verified {
			email = "verified@example.test"
		}
		if _, err := o.UserAdd(ctx, admin.UserAddRequest{Email: email, Password: "a-long-enough-password", Verified: verified}); err != nil {
			t.Fatal(err)
		}
		u, err := o.Store.GetUserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		if u.Verified != verified || u.EmailVerifiedAt.IsZero() == verified {
			t.Errorf("verified=%v: stored Verified %v, EmailVerifiedAt %v", verified, u.Verified, u.EmailVerifiedAt)
		}
	}
}
