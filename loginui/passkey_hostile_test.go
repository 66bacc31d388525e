package loginui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/webauthntest"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui"
)

// passkeyFixture is a user with one passkey and a logged-in session.
type passkeyFixture struct {
	h *harness
	u *keystore.User
	c *client
	a *webauthntest.Authenticator
}

func newPasskeyFixture(t *testing.T) *passkeyFixture {
	h := newHarness(t, withPasskeys(t, nil))
	u := h.addUser("host@example.test", false)
	c := h.client()
	c.login("host@example.test", testPassword)
	a := webauthntest.New()
	c.registerPasskey(a, "Key")
	// Another passkey needs a fresh proof now that the user has one.
	c.stepUpWithPasskey(a)
	return &passkeyFixture{h: h, u: u, c: c, a: a}
}

func (f *passkeyFixture) stored(t *testing.T) *keystore.Passkey {
	t.Helper()
	p, err := f.h.store.GetPasskey(context.Background(), f.a.Creds[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func finishBody(state string, ans []byte) map[string]any {
	return map[string]any{"state": state, "credential": json.RawMessage(ans)}
}

// TestPasskeyHostileAnswersAreRefusedWithTheirCode: each refused answer
// has its code, and the store keeps what it had.
func TestPasskeyHostileAnswersAreRefusedWithTheirCode(t *testing.T) {
	cases := []struct {
		name  string
		run   func(t *testing.T, f *passkeyFixture) resp
		code  string
		audit bool // passkey_login_failed
	}{
		{"replayed passwordless ceremony", func(t *testing.T, f *passkeyFixture) resp {
			c := f.h.client()
			b := c.begin("/api/auth/webauthn/login/begin", map[string]any{})
			ans, _ := f.a.Get(b.Options, pkGood)
			c.adoptSession(c.do("POST", "/api/auth/webauthn/login/finish", finishBody(b.State, ans)))
			return f.h.client().do("POST", "/api/auth/webauthn/login/finish", finishBody(b.State, ans))
		}, "WEBAUTHN_CEREMONY_REPLAYED", false},
		{"replayed registration", func(t *testing.T, f *passkeyFixture) resp {
			b := f.c.begin("/api/auth/webauthn/register/begin", map[string]string{"name": "2"})
			other := webauthntest.New()
			ans, _, _ := other.Create(b.Options, pkGood)
			wantStatus(t, f.c.do("POST", "/api/auth/webauthn/register/finish", finishBody(b.State, ans)), 201, "")
			ans2, _, _ := webauthntest.New().Create(b.Options, pkGood)
			return f.c.do("POST", "/api/auth/webauthn/register/finish", finishBody(b.State, ans2))
		}, "WEBAUTHN_CEREMONY_REPLAYED", false},
		{"registration state of another user's session", func(t *testing.T, f *passkeyFixture) resp {
			f.h.addUser("mal@example.test", false)
			m := f.h.client()
			m.login("mal@example.test", testPassword)
			b := m.begin("/api/auth/webauthn/register/begin", map[string]string{"name": "x"})
			ans, _, _ := webauthntest.New().Create(b.Options, pkGood)
			return f.c.do("POST", "/api/auth/webauthn/register/finish", finishBody(b.State, ans))
		}, "WEBAUTHN_STATE_INVALID", false},
		{"passwordless state of another client", func(t *testing.T, f *passkeyFixture) resp {
			b := f.h.client().begin("/api/auth/webauthn/login/begin", map[string]any{})
			ans, _ := f.a.Get(b.Options, pkGood)
			return f.h.client().do("POST", "/api/auth/webauthn/login/finish", finishBody(b.State, ans), "User-Agent", "other-client")
		}, "WEBAUTHN_STATE_INVALID", true},
		{"step-up state as a passwordless login", func(t *testing.T, f *passkeyFixture) resp {
			b := f.c.begin("/api/auth/webauthn/step-up/begin", map[string]any{})
			ans, _ := f.a.Get(b.Options, pkGood)
			return f.h.client().do("POST", "/api/auth/webauthn/login/finish", finishBody(b.State, ans))
		}, "WEBAUTHN_STATE_INVALID", false},
		{"another origin", func(t *testing.T, f *passkeyFixture) resp {
			return f.h.client().passwordless(f.a, webauthntest.Options{Origin: "https://evil.example"}, "")
		}, "WEBAUTHN_VERIFICATION_FAILED", true},
		{"another RP ID", func(t *testing.T, f *passkeyFixture) resp {
			return f.h.client().passwordless(f.a, webauthntest.Options{Origin: pkOrigin, RPID: "evil.example"}, "")
		}, "WEBAUTHN_VERIFICATION_FAILED", true},
		{"registration from another origin", func(t *testing.T, f *passkeyFixture) resp {
			b := f.c.begin("/api/auth/webauthn/register/begin", map[string]string{"name": "x"})
			ans, _, _ := webauthntest.New().Create(b.Options, webauthntest.Options{Origin: "https://evil.example"})
			return f.c.do("POST", "/api/auth/webauthn/register/finish", finishBody(b.State, ans))
		}, "WEBAUTHN_VERIFICATION_FAILED", false},
		{"unknown credential", func(t *testing.T, f *passkeyFixture) resp {
			stranger := webauthntest.New()
			b := f.c.begin("/api/auth/webauthn/register/begin", map[string]string{"name": "x"})
			if _, _, err := stranger.Create(b.Options, pkGood); err != nil { // made, never registered
				t.Fatal(err)
			}
			return f.h.client().passwordless(stranger, pkGood, "")
		}, "WEBAUTHN_UNKNOWN_CREDENTIAL", true},
		{"malformed credential", func(t *testing.T, f *passkeyFixture) resp {
			b := f.h.client().begin("/api/auth/webauthn/login/begin", map[string]any{})
			return f.h.client().do("POST", "/api/auth/webauthn/login/finish", map[string]any{"state": b.State, "credential": map[string]any{"id": "x", "type": "public-key"}})
		}, "WEBAUTHN_VERIFICATION_FAILED", true},
		{"forged state", func(t *testing.T, f *passkeyFixture) resp {
			b := f.h.client().begin("/api/auth/webauthn/login/begin", map[string]any{})
			ans, _ := f.a.Get(b.Options, pkGood)
			return f.h.client().do("POST", "/api/auth/webauthn/login/finish", finishBody(b.State[:len(b.State)-4]+"AAAA", ans))
		}, "WEBAUTHN_STATE_INVALID", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newPasskeyFixture(t)
			before := f.stored(t)
			r := tc.run(t, f)
			if n := f.h.passkeyCount(f.u.ID); n != 1 && tc.name != "replayed registration" {
				t.Fatalf("%d passkeys stored", n)
			}
			if tc.audit && !strings.Contains(f.h.logs.String(), `"audit":"passkey_login_failed"`) {
				t.Fatal("refused login not audited")
			}
			if r.status != 400 || r.code() != tc.code {
				t.Fatalf("got %d %s, want 400 %s", r.status, r.body, tc.code)
			}
			if r.header.Get("Set-Cookie") != "" && strings.Contains(r.header.Get("Set-Cookie"), "gatehouse_session=") {
				t.Fatal("a refused answer set a session cookie")
			}
			after := f.stored(t)
			if strings.Contains(tc.name, "replayed passwordless") {
				return // the first answer was a real login
			}
			if after.SignCount != before.SignCount || !after.LastUsedAt.Equal(before.LastUsedAt) {
				t.Fatalf("stored passkey changed: %d -> %d", before.SignCount, after.SignCount)
			}
		})
	}
}

// TestPasskeyLoweredSignCountIsRefusedAndAudited: an assertion whose
// counter did not increase (a cloned authenticator) opens nothing and
// changes nothing.
func TestPasskeyLoweredSignCountIsRefusedAndAudited(t *testing.T) {
	f := newPasskeyFixture(t)
	c := f.h.client()
	c.adoptSession(c.passwordless(f.a, pkGood, ""))
	before := f.stored(t)
	if before.SignCount == 0 {
		t.Fatal("counter not recorded")
	}
	f.a.Creds[0].SignCount = before.SignCount - 1 // the clone's counter
	r := f.h.client().passwordless(f.a, pkGood, "")
	wantStatus(t, r, 400, "WEBAUTHN_SIGN_COUNT_INVALID")
	if after := f.stored(t); after.SignCount != before.SignCount || !after.LastUsedAt.Equal(before.LastUsedAt) {
		t.Fatalf("stored counter changed: %d -> %d", before.SignCount, after.SignCount)
	}
	if !strings.Contains(f.h.logs.String(), `"audit":"passkey_clone_refused","user_id":"`+f.u.ID+`"`) {
		t.Fatalf("clone not audited: %s", f.h.logs.String())
	}
	// The same on the second step.
	r = f.h.client().do("POST", "/api/auth/login", map[string]string{"identifier": "host@example.test", "password": testPassword})
	var out struct {
		Token string `json:"pending_token"`
	}
	r.json(t, &out)
	pc := f.h.client()
	b := pc.begin("/api/auth/webauthn/login/begin", map[string]string{"pending_token": out.Token})
	f.a.Creds[0].SignCount = 0
	ans, _ := f.a.Get(b.Options, pkGood)
	wantStatus(t, pc.do("POST", "/api/auth/webauthn/login/finish", map[string]any{"state": b.State, "credential": json.RawMessage(ans), "pending_token": out.Token}), 400, "WEBAUTHN_SIGN_COUNT_INVALID")
}

// TestPasskeyLoginOfAnInactiveUserIsRefused: passwordless and second step.
func TestPasskeyLoginOfAnInactiveUserIsRefused(t *testing.T) {
	f := newPasskeyFixture(t)
	r := f.h.client().do("POST", "/api/auth/login", map[string]string{"identifier": "host@example.test", "password": testPassword})
	var out struct {
		Token string `json:"pending_token"`
	}
	r.json(t, &out)
	if _, err := f.h.store.UpdateUser(context.Background(), f.u.ID, func(u *keystore.User) error { u.Active = false; return nil }); err != nil {
		t.Fatal(err)
	}
	r = f.h.client().passwordless(f.a, pkGood, "")
	wantStatus(t, r, 400, loginui.CodeLoginAccountUnavailable)
	if strings.Contains(r.header.Get("Set-Cookie"), "gatehouse_session=") {
		t.Fatal("session cookie for an inactive user")
	}
	wantStatus(t, f.h.client().do("POST", "/api/auth/webauthn/login/begin", map[string]string{"pending_token": out.Token}), 400, loginui.CodeTOTPPendingBadToken)
}

// TestPasskeyBodiesRefuseMalformedJSONAndUnknownFields: every passkey
// route answers a body it cannot take with WEBAUTHN_PAYLOAD_INVALID.
func TestPasskeyBodiesRefuseMalformedJSONAndUnknownFields(t *testing.T) {
	f := newPasskeyFixture(t)
	routes := []string{
		"/api/auth/webauthn/register/begin", "/api/auth/webauthn/register/finish",
		"/api/auth/webauthn/login/begin", "/api/auth/webauthn/login/finish",
		"/api/auth/webauthn/step-up/begin", "/api/auth/webauthn/step-up/finish",
	}
	bodies := []struct{ name, body string }{
		{"not JSON", `{"state":`},
		{"unknown field", `{"state":"s","credential":{},"extra":1}`},
		{"array", `[]`},
		{"trailing data", `{} {}`},
		{"wrong type", `{"state":1,"name":2,"pending_token":3}`},
	}
	for _, path := range routes {
		for _, b := range bodies {
			r := f.c.do("POST", path, b.body)
			if r.status != http.StatusUnprocessableEntity || r.code() != "WEBAUTHN_PAYLOAD_INVALID" {
				t.Errorf("%s, %s: %d %s", path, b.name, r.status, r.body)
			}
		}
	}
	for _, path := range []string{"/api/auth/webauthn/register/finish", "/api/auth/webauthn/login/finish", "/api/auth/webauthn/step-up/finish"} {
		wantStatus(t, f.c.do("POST", path, `{}`), 422, "WEBAUTHN_PAYLOAD_INVALID")
	}
	wantStatus(t, f.c.do("POST", "/api/auth/webauthn/login/finish?transport=smoke", `{"state":"s","credential":{}}`), 422, "WEBAUTHN_PAYLOAD_INVALID")
	if n := f.h.passkeyCount(f.u.ID); n != 1 {
		t.Fatalf("%d passkeys", n)
	}
}

// TestPasskeyRoutesNeedTheirCaller: registration needs a cookie session
// with CSRF; bearer callers cannot add passkeys.
func TestPasskeyRoutesNeedTheirCaller(t *testing.T) {
	f := newPasskeyFixture(t)
	anon := f.h.client()
	wantStatus(t, anon.do("POST", "/api/auth/webauthn/register/begin", map[string]string{}), 401, "")
	wantStatus(t, anon.do("GET", "/api/auth/webauthn/credentials", nil), 401, "")
	noCSRF := *f.c
	noCSRF.csrf = ""
	wantStatus(t, noCSRF.do("POST", "/api/auth/webauthn/register/begin", map[string]string{}), 403, loginui.CodeCSRFFailed)
	tk := f.h.loginBearerPending(t, f.a)
	wantStatus(t, f.h.bearer(tk).do("POST", "/api/auth/webauthn/register/begin", map[string]string{}), 403, loginui.CodeAuthorizationDenied)
	wantStatus(t, f.h.bearer(tk).do("GET", "/api/auth/webauthn/credentials", nil), 200, "")
}

// loginBearerPending logs in with password and passkey over bearer.
func (h *harness) loginBearerPending(t *testing.T, a *webauthntest.Authenticator) string {
	t.Helper()
	c := h.client()
	r := c.do("POST", "/api/auth/login", map[string]string{"identifier": "host@example.test", "password": testPassword})
	var out struct {
		Token string `json:"pending_token"`
	}
	r.json(t, &out)
	b := c.begin("/api/auth/webauthn/login/begin", map[string]string{"pending_token": out.Token})
	ans, _ := a.Get(b.Options, pkGood)
	r = c.do("POST", "/api/auth/webauthn/login/finish?transport=bearer", map[string]any{"state": b.State, "credential": json.RawMessage(ans), "pending_token": out.Token})
	wantStatus(t, r, 200, "")
	var tk tokens
	r.json(t, &tk)
	return tk.AccessToken
}
