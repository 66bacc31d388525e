package loginui_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/loginui"
	"github.com/gatehouse/gatehouse/signing"
)

func newEdKey(t *testing.T, kid string) signing.JWTKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signing.JWTKey{KID: kid, Alg: signing.AlgEdDSA, Ed25519Private: priv}
}

// jwtHeaderKID is the kid of a compact JWS header.
func jwtHeaderKID(t *testing.T, tok string) string {
	t.Helper()
	seg, _, ok := strings.Cut(tok, ".")
	if !ok {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		KID string `json:"kid"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h.KID
}

// publicOnly strips the private half, as the verifier holds keys.
func publicOnly(k signing.JWTKey) signing.JWTKey {
	return signing.JWTKey{KID: k.KID, Alg: k.Alg, Ed25519Public: k.Ed25519Private.Public().(ed25519.PublicKey)}
}

// TestPortalSignsWithActiveKidAfterRotation: after a new key is added and
// made active, the portal's access tokens carry (and are signed with) the
// new kid wherever it sorts among the keys, and keep verifying; the
// retired key's tokens still verify until it is removed.
func TestPortalSignsWithActiveKidAfterRotation(t *testing.T) {
	old, cur := newEdKey(t, "2025-key"), newEdKey(t, "2026-key")
	cases := []struct {
		name   string
		keys   []signing.JWTKey
		active string
	}{
		{"before rotation", []signing.JWTKey{old}, "2025-key"},
		{"new key sorts last", []signing.JWTKey{old, cur}, "2026-key"},
		{"new key sorts first", []signing.JWTKey{cur, old}, "2026-key"},
		{"rolled back", []signing.JWTKey{old, cur}, "2025-key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(o *loginui.Options) {
				o.AccessKeys, o.AccessActiveKID = tc.keys, tc.active
			})
			h.addUser("rota@example.test", false)
			tk := h.loginBearer("rota@example.test", testPassword)
			if kid := jwtHeaderKID(t, tk.AccessToken); kid != tc.active {
				t.Fatalf("access token kid %q, want the active %q", kid, tc.active)
			}
			// Signed by that key: a verifier holding only its public half
			// accepts it.
			var pub signing.JWTKey
			for _, k := range tc.keys {
				if k.KID == tc.active {
					pub = publicOnly(k)
				}
			}
			v, err := signing.NewJWTVerifier(signing.JWTVerifierConfig{Issuer: h.srv.URL, Audience: "gatehouse:access", Keys: []signing.JWTKey{pub}})
			if err != nil {
				t.Fatal(err)
			}
			var s signing.JWTScratch
			var cl signing.AccessClaims
			if err := v.Verify([]byte(tk.AccessToken), h.clock.Now(), &s, &cl); err != nil {
				t.Fatalf("token does not verify under the active key: %v", err)
			}
			wantStatus(t, h.bearer(tk.AccessToken).do("GET", "/api/users/me", nil), 200, "")
			// A refreshed token is signed with the active key too.
			h.clock.Advance(time.Second)
			r := h.client().do("POST", "/api/auth/refresh", map[string]string{"refresh_token": tk.RefreshToken})
			wantStatus(t, r, 200, "")
			var rt struct {
				AccessToken string `json:"access_token"`
			}
			r.json(t, &rt)
			if kid := jwtHeaderKID(t, rt.AccessToken); kid != tc.active {
				t.Fatalf("refreshed token kid %q, want %q", kid, tc.active)
			}
		})
	}
}

// TestPortalRefusesActiveKidThatNamesNoKey: a portal whose active kid is
// not among its keys does not start (it never signs with some other key).
func TestPortalRefusesActiveKidThatNamesNoKey(t *testing.T) {
	k1, k2 := newEdKey(t, "k1"), newEdKey(t, "k2")
	for _, active := range []string{"", "k3"} {
		o := newHarness(t, nil).opts
		o.AccessKeys, o.AccessActiveKID = []signing.JWTKey{k1, k2}, active
		if _, err := loginui.New(o); !errors.Is(err, signing.ErrJWTKey) {
			t.Fatalf("active kid %q: New err = %v, want ErrJWTKey", active, err)
		}
	}
}
