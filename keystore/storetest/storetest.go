package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

// NewStore returns a fresh, empty store and arranges for it to be closed
// when t ends. Calling Close twice must be harmless.
type NewStore func(t *testing.T) keystore.Store

// Run runs the contract suite against stores made by newStore.
//
// advance moves the clock the store uses for denylist expiry forward by
// d; that clock must start at (or within a second of) time.Now when the
// store is made. A back-end whose expiry follows the real clock may pass
// a function that sleeps. With advance nil the clock-driven tests are
// skipped and only tests with explicit past and future times run.
func Run(t *testing.T, newStore NewStore, advance func(d time.Duration)) {
	t.Run("Users", func(t *testing.T) { runUsers(t, newStore) })
	t.Run("Sessions", func(t *testing.T) { runSessions(t, newStore) })
	t.Run("APIKeys", func(t *testing.T) { runAPIKeys(t, newStore) })
	t.Run("OAuthLinks", func(t *testing.T) { runOAuthLinks(t, newStore) })
	t.Run("Passkeys", func(t *testing.T) { runPasskeys(t, newStore) })
	t.Run("DeleteUserCascades", func(t *testing.T) { testDeleteUserCascades(t, newStore) })
	t.Run("Sealed", func(t *testing.T) { runSealed(t, newStore) })
	t.Run("Denylist", func(t *testing.T) { runDenylist(t, newStore, advance) })
	t.Run("Exporter", func(t *testing.T) { runExporter(t, newStore) })
	t.Run("Concurrency", func(t *testing.T) { runConcurrency(t, newStore) })
	t.Run("LostUpdates", func(t *testing.T) { runLostUpdates(t, newStore) })
	t.Run("Lifecycle", func(t *testing.T) { runLifecycle(t, newStore) })
}

// base is a fixed, second-aligned time for records; times round-trip
// through the store and must come back Equal.
var base = time.Date(2030, 1, 2, 3, 4, 5, 600_000_000, time.UTC)

func ctx() context.Context { return context.Background() }

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func randomDigest(t testing.TB) []byte {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func newUser(t testing.TB, email string) *keystore.User {
	return &keystore.User{
		ID:           randomHex(t, 16),
		Email:        email,
		DisplayName:  "Person " + email,
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2g",
		Roles:        []string{"dev", "ops"},
		Active:       true,
		Verified:     true,
		CreatedAt:    base,
		UpdatedAt:    base.Add(time.Second),
		// Sub-second on purpose: the credential policy compares it with
		// creation times at full precision.
		EmailVerifiedAt: base.Add(1500*time.Millisecond + 7),
	}
}

func mustCreateUser(t testing.TB, s keystore.Store, email string) *keystore.User {
	t.Helper()
	u := newUser(t, email)
	if err := s.CreateUser(ctx(), u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u
}

func newSession(t testing.TB, userID string) *keystore.Session {
	return &keystore.Session{
		Digest:     randomDigest(t),
		UserID:     userID,
		Kind:       "session",
		AuthMethod: "password",
		CreatedAt:  base,
		ExpiresAt:  base.Add(time.Hour),
		LastSeenAt: base,
		UserAgent:  "test-agent/1.0",
	}
}

func mustCreateSession(t testing.TB, s keystore.Store, userID string) *keystore.Session {
	t.Helper()
	sess := newSession(t, userID)
	if err := s.CreateSession(ctx(), sess); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return sess
}

func newAPIKey(t testing.TB, userID string, created time.Time) *keystore.APIKey {
	return &keystore.APIKey{
		KeyID:     randomHex(t, 9),
		UserID:    userID,
		Name:      "ci",
		Env:       "live",
		Digest:    randomDigest(t),
		Scopes:    []string{"read", "write"},
		CreatedAt: created,
	}
}

func mustCreateAPIKey(t testing.TB, s keystore.Store, userID string, created time.Time) *keystore.APIKey {
	t.Helper()
	k := newAPIKey(t, userID, created)
	if err := s.CreateAPIKey(ctx(), k); err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	return k
}

func newOAuthLink(t testing.TB, provider, userID string) *keystore.OAuthLink {
	return &keystore.OAuthLink{
		Provider:  provider,
		Subject:   randomHex(t, 8),
		UserID:    userID,
		Email:     "linked@idp.test",
		CreatedAt: base,
	}
}

func mustCreateOAuthLink(t testing.TB, s keystore.Store, provider, userID string) *keystore.OAuthLink {
	t.Helper()
	l := newOAuthLink(t, provider, userID)
	if err := s.CreateOAuthLink(ctx(), l); err != nil {
		t.Fatalf("CreateOAuthLink: %v", err)
	}
	return l
}

// wantErr fails t unless err matches target under errors.Is.
func wantErr(t testing.TB, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

func noErr(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Field comparisons treat nil and empty slices alike and times by Equal,
// since back-ends need not keep locations or nil-ness.

func sameStrings(a, b []string) bool { return len(a) == 0 && len(b) == 0 || slices.Equal(a, b) }

func diffUser(got, want *keystore.User) string {
	switch {
	case got == nil:
		return "nil user"
	case got.ID != want.ID:
		return fmt.Sprintf("ID %q, want %q", got.ID, want.ID)
	case got.Email != want.Email:
		return "Email differs"
	case got.DisplayName != want.DisplayName:
		return "DisplayName differs"
	case got.PasswordHash != want.PasswordHash:
		return "PasswordHash differs"
	case !sameStrings(got.Roles, want.Roles):
		return fmt.Sprintf("Roles %q, want %q", got.Roles, want.Roles)
	case got.Superuser != want.Superuser, got.Active != want.Active, got.Verified != want.Verified, got.TOTPEnabled != want.TOTPEnabled:
		return "a flag differs"
	case got.TOTPSecret != want.TOTPSecret, got.TOTPPending != want.TOTPPending:
		return "a TOTP envelope differs"
	case !got.CreatedAt.Equal(want.CreatedAt), !got.UpdatedAt.Equal(want.UpdatedAt):
		return "a time differs"
	case !got.EmailVerifiedAt.Equal(want.EmailVerifiedAt):
		return fmt.Sprintf("EmailVerifiedAt %v, want %v", got.EmailVerifiedAt, want.EmailVerifiedAt)
	}
	return ""
}

func diffSession(got, want *keystore.Session) string {
	switch {
	case got == nil:
		return "nil session"
	case string(got.Digest) != string(want.Digest):
		return "Digest differs"
	case got.UserID != want.UserID, got.Kind != want.Kind, got.AuthMethod != want.AuthMethod,
		got.ChainID != want.ChainID, got.UserAgent != want.UserAgent:
		return "a string field differs"
	case !got.CreatedAt.Equal(want.CreatedAt), !got.ExpiresAt.Equal(want.ExpiresAt),
		!got.LastSeenAt.Equal(want.LastSeenAt), !got.StepUpUntil.Equal(want.StepUpUntil):
		return "a time differs"
	}
	return ""
}

func diffAPIKey(got, want *keystore.APIKey) string {
	switch {
	case got == nil:
		return "nil key"
	case got.KeyID != want.KeyID, got.UserID != want.UserID, got.Name != want.Name, got.Env != want.Env:
		return "an id or name differs"
	case string(got.Digest) != string(want.Digest):
		return "Digest differs"
	case !sameStrings(got.Scopes, want.Scopes):
		return fmt.Sprintf("Scopes %q, want %q", got.Scopes, want.Scopes)
	case got.SigningRequired != want.SigningRequired, got.SigningSecret != want.SigningSecret:
		return "signing fields differ"
	case !got.CreatedAt.Equal(want.CreatedAt), !got.ExpiresAt.Equal(want.ExpiresAt),
		!got.RevokedAt.Equal(want.RevokedAt), !got.LastUsedAt.Equal(want.LastUsedAt):
		return "a time differs"
	}
	return ""
}

func diffOAuthLink(got, want *keystore.OAuthLink) string {
	switch {
	case got == nil:
		return "nil link"
	case got.Provider != want.Provider, got.Subject != want.Subject, got.UserID != want.UserID, got.Email != want.Email:
		return "an id field differs"
	case got.AccessToken != want.AccessToken, got.RefreshToken != want.RefreshToken:
		return "a token envelope differs"
	case !got.CreatedAt.Equal(want.CreatedAt):
		return "CreatedAt differs"
	}
	return ""
}
