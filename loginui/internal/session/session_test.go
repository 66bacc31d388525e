package session_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/bolt"
	"github.com/gatehouse/gatehouse/keystore/memory"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/session"
	"github.com/gatehouse/gatehouse/signing"
)

func newService(t *testing.T) (*session.Service, *keystore.User) {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "s.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	sec := func(l string) signing.Secret { return signing.NewSecret([]byte(strings.Repeat(l, 40)[:40])) }
	access, err := session.NewJWT("https://auth.example.test", "gatehouse:access",
		[]signing.JWTKey{{Alg: signing.AlgHS256, HMAC: sec("at")}}, "", false)
	if err != nil {
		t.Fatal(err)
	}
	s := session.New(session.Config{Users: st, Sessions: st, Denylist: st, Markers: memory.New(memory.Options{}),
		TokenHash: sec("th"), Fingerprint: sec("fp"), Access: access,
		SessionLifetime: time.Hour, AccessLifetime: time.Minute, RefreshLifetime: 24 * time.Hour, Touch: time.Minute,
		Now: time.Now, Log: zerolog.Nop()})
	u := &keystore.User{ID: strings.Repeat("a", 32), Email: "s@example.test", Active: true, Verified: true, CreatedAt: time.Now()}
	if err := st.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return s, u
}

// TestCredentialKindsDoNotCross prevents one kind of credential from
// authenticating as another: a refresh token is no session cookie, a
// session token is no refresh token, and hostile tokens are refused
// before any lookup succeeds.
func TestCredentialKindsDoNotCross(t *testing.T) {
	s, u := newService(t)
	ctx := context.Background()
	cookieTok, _, err := s.Open(ctx, u, feature.MethodPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := s.OpenChain(ctx, u, feature.MethodPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, tok string
		cookie    bool // AuthCookie accepts it
		bearer    bool // AuthBearer accepts it
		refresh   bool // Rotate accepts it
	}{
		{"session token", cookieTok, true, false, false},
		{"refresh token", pair.RefreshToken, false, false, true},
		{"access token", pair.AccessToken, false, true, false},
		{"empty", "", false, false, false},
		{"oversize", strings.Repeat("A", 129), false, false, false},
		{"garbage", "not-a-token\x00", false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := s.AuthCookie(ctx, tc.tok)
			if got := err == nil; got != tc.cookie {
				t.Errorf("AuthCookie: %v, want ok=%v", err, tc.cookie)
			}
			if err == nil && (!c.ViaCookie || !c.PasswordSession || c.User.ID != u.ID) {
				t.Errorf("AuthCookie caller: %+v", c)
			}
			if err != nil && !errors.Is(err, session.ErrInvalid) {
				t.Errorf("AuthCookie error %v, want ErrInvalid", err)
			}
			b, err := s.AuthBearer(ctx, tc.tok)
			if got := err == nil; got != tc.bearer {
				t.Errorf("AuthBearer: %v, want ok=%v", err, tc.bearer)
			}
			if err == nil && (b.ViaCookie || b.PasswordSession || b.RefreshChain == "") {
				t.Errorf("AuthBearer caller: %+v", b)
			}
			if _, err := s.Rotate(ctx, tc.tok, "test"); (err == nil) != tc.refresh {
				t.Errorf("Rotate: %v, want ok=%v", err, tc.refresh)
			}
		})
	}
}

// TestRefreshReuseRevokesTheChain prevents a stolen refresh token from
// living on next to its owner's: the second use of a spent token fails
// and takes the whole chain with it, the winner's new tokens included.
func TestRefreshReuseRevokesTheChain(t *testing.T) {
	s, u := newService(t)
	ctx := context.Background()
	first, err := s.OpenChain(ctx, u, feature.MethodPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	next, err := s.Rotate(ctx, first.RefreshToken, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rotate(ctx, first.RefreshToken, "test"); !errors.Is(err, session.ErrRefreshInvalid) {
		t.Fatalf("reuse: %v, want ErrRefreshInvalid", err)
	}
	if _, err := s.Rotate(ctx, next.RefreshToken, "test"); !errors.Is(err, session.ErrRefreshInvalid) {
		t.Fatalf("the winner's refresh token after a reuse: %v, want ErrRefreshInvalid", err)
	}
	if _, err := s.AuthBearer(ctx, next.AccessToken); !errors.Is(err, session.ErrInvalid) {
		t.Fatalf("the winner's access token after a reuse: %v, want ErrInvalid", err)
	}
}
