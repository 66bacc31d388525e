package accounts_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/bolt"
	"github.com/gatehouse/gatehouse/signing"
)

const pw = "correct horse battery"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type env struct {
	st   *bolt.Store
	svc  *accounts.Service
	kh   *signing.APIKeyHasher
	ring *signing.Keyring
	h    *signing.Hasher
}

func newEnv(t *testing.T, mod func(*accounts.Config)) *env {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "a.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	h, err := signing.NewHasher(signing.PasswordParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	if err != nil {
		t.Fatal(err)
	}
	kh, err := signing.NewAPIKeyHasher(signing.NewSecret([]byte(strings.Repeat("k", 40))))
	if err != nil {
		t.Fatal(err)
	}
	fk, err := signing.GenerateFernetKey()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := signing.NewKeyring("k1", map[string]string{"k1": fk})
	if err != nil {
		t.Fatal(err)
	}
	c := accounts.Config{Users: st, APIKeys: st, Links: st, Hasher: h, MinPassword: 12, MaxPassword: 128,
		KeyHasher: kh, SigningKeyring: ring, Now: func() time.Time { return t0 },
		Keys: accounts.KeyPolicy{Prefix: "ak", Env: "prod", AllowedScopes: []string{"admin", "read", "write"},
			ScopeSubsetCheck: true, MaxPerUser: 3, DefaultLifetime: 24 * time.Hour, SigningEnabled: true}}
	if mod != nil {
		mod(&c)
	}
	return &env{st: st, svc: accounts.New(c), kh: kh, ring: ring, h: h}
}

func (e *env) user(t *testing.T, email string, verified bool, roles ...string) *keystore.User {
	t.Helper()
	u, err := e.svc.AddUser(t.Context(), accounts.NewUser{Email: email, Roles: roles, Verified: verified})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestAddUserRules(t *testing.T) {
	e := newEnv(t, nil)
	u, err := e.svc.AddUser(t.Context(), accounts.NewUser{Email: " Ann@Example.test ", DisplayName: "Ann", Password: pw,
		Roles: []string{"read"}, Superuser: true, Verified: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.st.GetUser(t.Context(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.ID) != 32 || got.Email != "Ann@Example.test" || !got.Active || !got.Verified || !got.EmailVerifiedAt.Equal(t0) ||
		!got.Superuser || len(got.Roles) != 1 || !got.CreatedAt.Equal(t0) {
		t.Fatalf("stored %+v", got)
	}
	if ok, _, err := e.h.Verify(got.PasswordHash, pw); err != nil || !ok {
		t.Fatalf("password hash does not verify: %v", err)
	}
	unv := e.user(t, "bob@example.test", false)
	if unv.Verified || !unv.EmailVerifiedAt.IsZero() || unv.PasswordHash != "" {
		t.Fatalf("unverified provider-less account %+v", unv)
	}
	for _, tc := range []struct {
		name string
		nu   accounts.NewUser
		want error
	}{
		{"taken address, folded", accounts.NewUser{Email: "ANN@example.TEST", Password: pw}, accounts.ErrEmailTaken},
		{"invalid address", accounts.NewUser{Email: "nope", Password: pw}, accounts.ErrInvalidEmail},
		{"control character in the name", accounts.NewUser{Email: "c@example.test", DisplayName: "a\nb"}, accounts.ErrInvalidDisplayName},
		{"name too long", accounts.NewUser{Email: "c@example.test", DisplayName: strings.Repeat("x", 129)}, accounts.ErrInvalidDisplayName},
		{"bad role", accounts.NewUser{Email: "c@example.test", Roles: []string{"a b"}}, accounts.ErrInvalidRole},
		{"short password", accounts.NewUser{Email: "c@example.test", Password: "short"}, accounts.ErrInvalidPassword},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, _ := e.st.CountUsers(t.Context())
			if _, err := e.svc.AddUser(t.Context(), tc.nu); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if m, _ := e.st.CountUsers(t.Context()); m != n {
				t.Fatal("a refused account was stored")
			}
		})
	}
}

func TestMintAPIKeyPolicy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mod      func(*accounts.Config)
		verified bool
		super    bool
		bySelf   bool
		req      accounts.KeyRequest
		want     error
		scope    string
	}{
		{name: "allowed", verified: true, bySelf: true, req: accounts.KeyRequest{Name: "k", Scopes: []string{"read"}}},
		{name: "outside the allow-list", verified: true, req: accounts.KeyRequest{Name: "k", Scopes: []string{"delete"}}, want: accounts.ErrScopeDenied, scope: "delete"},
		{name: "not held", verified: true, req: accounts.KeyRequest{Name: "k", Scopes: []string{"admin"}}, want: accounts.ErrScopeNotHeld, scope: "admin"},
		{name: "superuser needs no role", verified: true, super: true, req: accounts.KeyRequest{Name: "k", Scopes: []string{"admin"}}},
		{name: "subset check off", mod: func(c *accounts.Config) { c.Keys.ScopeSubsetCheck = false }, verified: true, req: accounts.KeyRequest{Name: "k", Scopes: []string{"admin"}}},
		{name: "too many scopes", verified: true, req: accounts.KeyRequest{Name: "k", Scopes: make([]string, keystore.MaxRoles+1)}, want: accounts.ErrScopeDenied},
		{name: "empty name", verified: true, req: accounts.KeyRequest{Name: " "}, want: accounts.ErrInvalidKeyName},
		{name: "unprintable name", verified: true, req: accounts.KeyRequest{Name: "a\x00"}, want: accounts.ErrInvalidKeyName},
		{name: "too short", verified: true, req: accounts.KeyRequest{Name: "k", Lifetime: time.Second}, want: accounts.ErrInvalidLifetime},
		{name: "negative", verified: true, req: accounts.KeyRequest{Name: "k", Lifetime: -time.Hour}, want: accounts.ErrInvalidLifetime},
		{name: "too long", verified: true, req: accounts.KeyRequest{Name: "k", Lifetime: 3651 * 24 * time.Hour}, want: accounts.ErrInvalidLifetime},
		{name: "signing off", mod: func(c *accounts.Config) { c.Keys.SigningEnabled = false }, verified: true, req: accounts.KeyRequest{Name: "k", SigningRequired: true}, want: accounts.ErrSigningDisabled},
		{name: "no keyring", mod: func(c *accounts.Config) { c.SigningKeyring = nil }, verified: true, req: accounts.KeyRequest{Name: "k", SigningRequired: true}, want: accounts.ErrNoSigningKeyring},
		{name: "unverified owner, self-service", bySelf: true, req: accounts.KeyRequest{Name: "k"}, want: accounts.ErrEmailUnverified},
		{name: "unverified owner, issued by an admin", req: accounts.KeyRequest{Name: "k"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.mod)
			u, err := e.svc.AddUser(t.Context(), accounts.NewUser{Email: "o@example.test", Roles: []string{"read", "write"}, Verified: tc.verified, Superuser: tc.super})
			if err != nil {
				t.Fatal(err)
			}
			raw, k, err := e.svc.MintAPIKey(t.Context(), u, tc.req, tc.bySelf)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			var se *accounts.ScopeError
			if tc.scope != "" && (!errors.As(err, &se) || se.Scope != tc.scope) {
				t.Fatalf("scope error %v does not name %q", err, tc.scope)
			}
			ks, _ := e.st.ListUserAPIKeys(t.Context(), u.ID)
			if err != nil {
				if raw != "" || k != nil || len(ks) != 0 {
					t.Fatal("a refused key was returned or stored")
				}
				return
			}
			if len(ks) != 1 || ks[0].KeyID != k.KeyID {
				t.Fatalf("stored %v", ks)
			}
		})
	}
}

func TestMintAPIKeyStoresDigestSealedSecretAndExpiry(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user(t, "o@example.test", true, "read")
	raw, k, err := e.svc.MintAPIKey(t.Context(), u, accounts.KeyRequest{Name: " k ", Scopes: []string{"read", "read"}, SigningRequired: true}, true)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := signing.ParseAPIKey([]byte(raw), "ak")
	if err != nil || string(parts.KeyID) != k.KeyID || string(parts.Env) != "prod" {
		t.Fatalf("raw key %v", err)
	}
	st, err := e.st.GetAPIKey(t.Context(), k.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	if !e.kh.Match(parts.Secret, st.Digest) || strings.Contains(st.SigningSecret, string(parts.Secret)) {
		t.Fatal("digest does not match the secret, or the secret is stored in clear")
	}
	if sec, err := e.ring.Open(st.SigningSecret); err != nil || string(sec) != string(parts.Secret) {
		t.Fatalf("sealed secret: %v", err)
	}
	if st.Name != "k" || len(st.Scopes) != 1 || !st.ExpiresAt.Equal(t0.Add(24*time.Hour)) || st.UserID != u.ID {
		t.Fatalf("stored %+v", st)
	}

	never := newEnv(t, func(c *accounts.Config) { c.Keys.DefaultLifetime = 0 })
	u = never.user(t, "n@example.test", true)
	if _, k, err := never.svc.MintAPIKey(t.Context(), u, accounts.KeyRequest{Name: "k"}, false); err != nil || !k.ExpiresAt.IsZero() {
		t.Fatalf("no default lifetime: %v %v", err, k)
	}
}

func TestConcurrentMintCannotOvershootCap(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user(t, "o@example.test", true)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, limited := 0, 0
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := e.svc.MintAPIKey(context.Background(), u, accounts.KeyRequest{Name: "k"}, true)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, accounts.ErrKeyLimit):
				limited++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok != 3 || limited != 9 {
		t.Fatalf("%d made, %d refused; cap 3", ok, limited)
	}
	// A revoked key no longer counts.
	ks, _ := e.st.ListUserAPIKeys(t.Context(), u.ID)
	if err := e.svc.RevokeAPIKey(t.Context(), ks[0].KeyID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.MintAPIKey(t.Context(), u, accounts.KeyRequest{Name: "k"}, true); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RevokeAPIKey(t.Context(), "AAAAAAAAAAAAAAAAAAAAAA"); !errors.Is(err, accounts.ErrKeyNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
}

// changeEmail does what a concurrent email change does to the record.
func changeEmail(t *testing.T, e *env, id string) {
	t.Helper()
	if _, err := e.st.UpdateUser(t.Context(), id, func(u *keystore.User) error {
		u.Email, u.Verified, u.EmailVerifiedAt = "other@example.test", false, time.Time{}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestSelfServiceKeyRevokedWhenEmailChangedMeanwhile(t *testing.T) {
	e := newEnv(t, nil)
	owner := e.user(t, "o@example.test", true) // read before the change
	changeEmail(t, e, owner.ID)
	if _, _, err := e.svc.MintAPIKey(t.Context(), owner, accounts.KeyRequest{Name: "k"}, true); !errors.Is(err, accounts.ErrEmailUnverified) {
		t.Fatalf("got %v", err)
	}
	ks, _ := e.st.ListUserAPIKeys(t.Context(), owner.ID)
	if len(ks) != 1 || ks[0].RevokedAt.IsZero() {
		t.Fatalf("the key made during the change is live: %+v", ks)
	}
	// An admin-issued key does not rest on the owner's verification.
	if _, _, err := e.svc.MintAPIKey(t.Context(), owner, accounts.KeyRequest{Name: "k"}, false); err != nil {
		t.Fatal(err)
	}
}

func TestOwnerLinkRemovedWhenEmailChangedMeanwhile(t *testing.T) {
	e := newEnv(t, nil)
	owner := e.user(t, "o@example.test", true)
	changeEmail(t, e, owner.ID)
	l := &keystore.OAuthLink{Provider: "gh", Subject: "1"}
	if err := e.svc.CreateOAuthLink(t.Context(), l, owner); !errors.Is(err, accounts.ErrEmailUnverified) {
		t.Fatalf("got %v", err)
	}
	if _, err := e.st.GetOAuthLink(t.Context(), "gh", "1"); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("the link made during the change stays: %v", err)
	}
	unv := e.user(t, "u@example.test", false)
	if err := e.svc.CreateOAuthLink(t.Context(), &keystore.OAuthLink{Provider: "gh", Subject: "2"}, unv); !errors.Is(err, accounts.ErrEmailUnverified) {
		t.Fatalf("unverified owner: %v", err)
	}
	v := e.user(t, "v@example.test", true)
	if err := e.svc.CreateOAuthLink(t.Context(), &keystore.OAuthLink{Provider: "gh", Subject: "3"}, v); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.CreateOAuthLink(t.Context(), &keystore.OAuthLink{Provider: "gh", Subject: "3", UserID: unv.ID}, nil); !errors.Is(err, accounts.ErrLinkTaken) {
		t.Fatalf("taken identity: %v", err)
	}
}

func TestSetPasswordKeepsConcurrentChangesAndHonoursCheck(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user(t, "o@example.test", true)
	// Disabled after the caller read u: the password change must not
	// re-enable the account.
	if _, err := e.svc.SetActive(t.Context(), u.ID, false); err != nil {
		t.Fatal(err)
	}
	nu, err := e.svc.SetPassword(t.Context(), u.ID, pw, nil)
	if err != nil || nu.Active || nu.PasswordHash == "" {
		t.Fatalf("set password: %v %+v", err, nu)
	}
	stop := errors.New("premise moved")
	if _, err := e.svc.SetPassword(t.Context(), u.ID, pw+"x", func(*keystore.User) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("check error: %v", err)
	}
	if now, _ := e.st.GetUser(t.Context(), u.ID); now.PasswordHash != nu.PasswordHash {
		t.Fatal("a refused change was written")
	}
	if _, err := e.svc.SetPassword(t.Context(), u.ID, "short", nil); !errors.Is(err, accounts.ErrInvalidPassword) {
		t.Fatalf("short: %v", err)
	}
	if _, err := e.svc.SetRoles(t.Context(), u.ID, []string{"bad role"}); !errors.Is(err, accounts.ErrInvalidRole) {
		t.Fatalf("roles: %v", err)
	}
	if _, err := e.svc.SetRoles(t.Context(), strings.Repeat("0", 32), []string{"a"}); !errors.Is(err, accounts.ErrUserNotFound) {
		t.Fatalf("missing user: %v", err)
	}
}
