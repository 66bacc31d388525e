package loginui_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/webauthntest"
	"github.com/gatehouse/gatehouse/loginui"
)

// The passkey origin and RP ID of the tests: the portal's public URL is a
// loopback IP, which no RP ID may be, so the tests name the RP.
const (
	pkRPID   = "localhost"
	pkOrigin = "https://auth.localhost"
)

// withPasskeys turns passkeys (and TOTP) on; mod runs after.
func withPasskeys(t testing.TB, mod func(*loginui.Options)) func(*loginui.Options) {
	return withTOTP(t, func(o *loginui.Options) {
		o.Passkey = loginui.PasskeyOptions{Enabled: true, RPID: pkRPID, Origins: []string{pkOrigin}}
		if mod != nil {
			mod(o)
		}
	})
}

var pkGood = webauthntest.Options{Origin: pkOrigin}

type ceremonyAnswer struct {
	Options json.RawMessage `json:"options"`
	State   string          `json:"state"`
}

type passkeyView struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	CreatedAt      string   `json:"created_at"`
	LastUsedAt     *string  `json:"last_used_at"`
	BackupEligible bool     `json:"backup_eligible"`
	BackupState    bool     `json:"backup_state"`
	Transports     []string `json:"transports"`
}

func (c *client) begin(path string, body any) ceremonyAnswer {
	c.h.t.Helper()
	r := c.do("POST", path, body)
	if r.status != 200 {
		c.h.t.Fatalf("%s: %d %s", path, r.status, r.body)
	}
	var a ceremonyAnswer
	r.json(c.h.t, &a)
	if len(a.Options) == 0 || a.State == "" {
		c.h.t.Fatalf("%s answer %s", path, r.body)
	}
	return a
}

// registerPasskey adds a passkey of a for c's (cookie) session.
func (c *client) registerPasskey(a *webauthntest.Authenticator, name string) passkeyView {
	t := c.h.t
	t.Helper()
	b := c.begin("/api/auth/webauthn/register/begin", map[string]string{"name": name})
	ans, _, err := a.Create(b.Options, pkGood)
	if err != nil {
		t.Fatal(err)
	}
	r := c.do("POST", "/api/auth/webauthn/register/finish", map[string]any{"state": b.State, "credential": json.RawMessage(ans), "name": name})
	if r.status != 201 {
		t.Fatalf("register finish: %d %s", r.status, r.body)
	}
	var v passkeyView
	r.json(t, &v)
	return v
}

// passwordless runs a passwordless login with a and returns the finish
// answer.
func (c *client) passwordless(a *webauthntest.Authenticator, o webauthntest.Options, query string) resp {
	t := c.h.t
	t.Helper()
	b := c.begin("/api/auth/webauthn/login/begin", map[string]any{})
	ans, err := a.Get(b.Options, o)
	if err != nil {
		t.Fatal(err)
	}
	return c.do("POST", "/api/auth/webauthn/login/finish"+query, map[string]any{"state": b.State, "credential": json.RawMessage(ans)})
}

// adoptSession keeps the CSRF token of a cookie login answer.
func (c *client) adoptSession(r resp) {
	c.h.t.Helper()
	wantStatus(c.h.t.(*testing.T), r, 200, "")
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	r.json(c.h.t, &out)
	if out.CSRF == "" {
		c.h.t.Fatalf("no csrf token: %s", r.body)
	}
	c.csrf = out.CSRF
}

func (h *harness) passkeyCount(userID string) int {
	h.t.Helper()
	pks, err := h.store.ListUserPasskeys(context.Background(), userID)
	if err != nil {
		h.t.Fatal(err)
	}
	return len(pks)
}

func (h *harness) wantAudit(t *testing.T, events ...string) {
	t.Helper()
	for _, e := range events {
		if !strings.Contains(h.logs.String(), `"audit":"`+e+`"`) {
			t.Errorf("audit event %s missing", e)
		}
	}
}

func TestPasskeyRegisterListAndPasswordlessLoginWithUVIsAPasswordSession(t *testing.T) {
	h := newHarness(t, withPasskeys(t, nil))
	u := h.addUser("pia@example.test", false)
	c := h.client()
	c.login("pia@example.test", testPassword)
	a := webauthntest.New()
	a.Backup = true
	v := c.registerPasskey(a, "Laptop")
	if v.Name != "Laptop" || v.ID != base64.RawURLEncoding.EncodeToString(a.Creds[0].ID) || v.LastUsedAt != nil || !v.BackupEligible || !v.BackupState || v.Transports == nil {
		t.Fatalf("registered view %+v", v)
	}
	r := c.do("GET", "/api/auth/webauthn/credentials", nil)
	wantStatus(t, r, 200, "")
	var list []passkeyView
	r.json(t, &list)
	if len(list) != 1 || list[0].ID != v.ID || list[0].CreatedAt == "" {
		t.Fatalf("list %s", r.body)
	}

	pl := h.client()
	pl.adoptSession(pl.passwordless(a, pkGood, ""))
	if m := pl.currentAuthMethod(t); m != "passkey+uv" {
		t.Fatalf("auth method %q, want passkey+uv", m)
	}
	// A password session may enrol TOTP.
	wantStatus(t, pl.do("POST", "/api/auth/2fa/enable", nil), 200, "")
	r = pl.do("GET", "/api/auth/webauthn/credentials", nil)
	r.json(t, &list)
	if list[0].LastUsedAt == nil {
		t.Fatalf("last use not recorded: %s", r.body)
	}
	// Bearer transport.
	r = h.client().passwordless(a, pkGood, "?transport=bearer")
	wantStatus(t, r, 200, "")
	var tk tokens
	r.json(t, &tk)
	if tk.AccessToken == "" || tk.RefreshToken == "" {
		t.Fatalf("bearer answer %s", r.body)
	}
	h.wantAudit(t, "passkey_registered", "login_ok")
	if strings.Contains(h.logs.String(), v.ID) {
		t.Fatal("a credential id reached the log")
	}
	_ = u
}

func TestPasskeyWithoutUVIsNotAPasswordSession(t *testing.T) {
	h := newHarness(t, withPasskeys(t, nil))
	h.addUser("nuv@example.test", false)
	c := h.client()
	c.login("nuv@example.test", testPassword)
	a := webauthntest.New()
	a.NoUV = true
	c.registerPasskey(a, "Key")

	// No TOTP: the passkey was the user's second factor; the session opens
	// as "passkey", which is not a password session.
	pl := h.client()
	pl.adoptSession(pl.passwordless(a, pkGood, ""))
	if m := pl.currentAuthMethod(t); m != "passkey" {
		t.Fatalf("auth method %q, want passkey", m)
	}
	wantStatus(t, pl.do("POST", "/api/auth/2fa/enable", nil), 403, loginui.CodeAuthorizationDenied)
	wantStatus(t, pl.do("POST", "/api/auth/webauthn/register/begin", map[string]string{"name": "x"}), 403, loginui.CodeAuthorizationDenied)
}

func TestPasskeyWithoutUVTakesTheTOTPSecondStep(t *testing.T) {
	h := newHarness(t, withPasskeys(t, nil))
	_, sec, _ := h.totpUser("tot@example.test", false)
	c := h.client()
	c.loginTOTP("tot@example.test", sec)
	wantStatus(t, c.do("POST", "/api/auth/2fa/step-up", map[string]string{"code": h.code(sec)}), 200, "")
	a := webauthntest.New()
	a.NoUV = true
	c.registerPasskey(a, "Key")

	pl := h.client()
	r := pl.passwordless(a, pkGood, "")
	wantStatus(t, r, 202, "")
	var out struct {
		Required bool   `json:"totp_required"`
		Token    string `json:"pending_token"`
		Passkey  bool   `json:"passkey"`
	}
	r.json(t, &out)
	if !out.Required || out.Token == "" || out.Passkey {
		t.Fatalf("pending answer %s", r.body)
	}
	// The same factor twice is not two: a passkey cannot complete it.
	wantStatus(t, pl.do("POST", "/api/auth/webauthn/login/begin", map[string]string{"pending_token": out.Token}), 400, "WEBAUTHN_UNKNOWN_CREDENTIAL")
	pl.adoptSession(pl.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": out.Token, "code": h.code(sec)}))
	if m := pl.currentAuthMethod(t); m != "passkey+totp" {
		t.Fatalf("auth method %q, want passkey+totp", m)
	}
	// Not a password session.
	wantStatus(t, pl.do("POST", "/api/auth/2fa/enable", nil), 403, loginui.CodeAuthorizationDenied)
	h.wantAudit(t, "login_passkey_ok_totp_pending")
}

func TestPasskeyAsTheSecondStepAfterPassword(t *testing.T) {
	h := newHarness(t, withPasskeys(t, nil))
	h.addUser("sec@example.test", false)
	c := h.client()
	c.login("sec@example.test", testPassword)
	a := webauthntest.New()
	c.registerPasskey(a, "Key")

	// With a passkey the password alone no longer logs in.
	pl := h.client()
	r := pl.do("POST", "/api/auth/login", map[string]string{"identifier": "sec@example.test", "password": testPassword})
	wantStatus(t, r, 202, "")
	var out struct {
		Token   string `json:"pending_token"`
		Passkey bool   `json:"passkey"`
	}
	r.json(t, &out)
	if out.Token == "" || !out.Passkey {
		t.Fatalf("pending answer %s", r.body)
	}
	b := pl.begin("/api/auth/webauthn/login/begin", map[string]string{"pending_token": out.Token})
	ans, err := a.Get(b.Options, pkGood)
	if err != nil {
		t.Fatal(err)
	}
	finish := map[string]any{"state": b.State, "credential": json.RawMessage(ans), "pending_token": out.Token}
	pl.adoptSession(pl.do("POST", "/api/auth/webauthn/login/finish", finish))
	if m := pl.currentAuthMethod(t); m != "password+passkey" {
		t.Fatalf("auth method %q, want password+passkey", m)
	}
	// A password session: it may enrol TOTP.
	wantStatus(t, pl.do("POST", "/api/auth/2fa/enable", nil), 200, "")

	// The pending token is spent.
	wantStatus(t, h.client().do("POST", "/api/auth/webauthn/login/begin", map[string]string{"pending_token": out.Token}), 400, loginui.CodeTOTPPendingBadToken)
	// A TOTP code cannot complete it for a user without TOTP.
	r = h.client().do("POST", "/api/auth/login", map[string]string{"identifier": "sec@example.test", "password": testPassword})
	r.json(t, &out)
	wantStatus(t, h.client().do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": out.Token, "code": "123456"}), 400, loginui.CodeTOTPPendingBadToken)
}

func TestPasskeyStepUpAndRemovalNeedsIt(t *testing.T) {
	h := newHarness(t, withPasskeys(t, nil))
	u := h.addUser("rem@example.test", false)
	c := h.client()
	c.login("rem@example.test", testPassword)
	a := webauthntest.New()
	v := c.registerPasskey(a, "Key")

	// The user now has a second factor: removing needs a step-up proof.
	wantStatus(t, c.do("DELETE", "/api/auth/webauthn/credentials/"+v.ID, nil), 403, loginui.CodeTOTPStepUpRequired)
	c.stepUpWithPasskey(a)
	// Someone else's id is not found.
	wantStatus(t, c.do("DELETE", "/api/auth/webauthn/credentials/"+base64.RawURLEncoding.EncodeToString([]byte("nope")), nil), 404, "WEBAUTHN_CREDENTIAL_NOT_FOUND")
	wantStatus(t, c.do("DELETE", "/api/auth/webauthn/credentials/!!", nil), 404, "WEBAUTHN_CREDENTIAL_NOT_FOUND")
	wantStatus(t, c.do("DELETE", "/api/auth/webauthn/credentials/"+v.ID, nil), 204, "")
	if n := h.passkeyCount(u.ID); n != 0 {
		t.Fatalf("%d passkeys left", n)
	}
	h.wantAudit(t, "step_up", "passkey_removed")
	// Without passkeys (and TOTP) nothing needs a step-up any more.
	wantStatus(t, c.do("GET", "/api/auth/webauthn/credentials", nil), 200, "")
}

// TestPasskeyStepUpIsRefusedForBearerAndOtherSessions: a step-up proof
// belongs to the cookie session that began it.
func TestPasskeyStepUpIsRefusedForBearerAndOtherSessions(t *testing.T) {
	h := newHarness(t, withPasskeys(t, nil))
	h.addUser("two@example.test", false)
	c1, c2 := h.client(), h.client()
	c1.login("two@example.test", testPassword)
	a := webauthntest.New()
	c1.registerPasskey(a, "Key")
	c2.adoptSession(c2.passwordless(a, pkGood, ""))
	b := c1.begin("/api/auth/webauthn/step-up/begin", map[string]any{})
	ans, _ := a.Get(b.Options, pkGood)
	wantStatus(t, c2.do("POST", "/api/auth/webauthn/step-up/finish", map[string]any{"state": b.State, "credential": json.RawMessage(ans)}), 400, "WEBAUTHN_STATE_INVALID")
	tk := h.client().passwordless(a, pkGood, "?transport=bearer")
	var bt tokens
	tk.json(t, &bt)
	wantStatus(t, h.bearer(bt.AccessToken).do("POST", "/api/auth/webauthn/step-up/begin", map[string]any{}), 403, loginui.CodeAuthorizationDenied)
}

// stepUpWithPasskey gives c's cookie session a step-up proof with a.
func (c *client) stepUpWithPasskey(a *webauthntest.Authenticator) {
	t := c.h.t
	t.Helper()
	b := c.begin("/api/auth/webauthn/step-up/begin", map[string]any{})
	ans, err := a.Get(b.Options, pkGood)
	if err != nil {
		t.Fatal(err)
	}
	r := c.do("POST", "/api/auth/webauthn/step-up/finish", map[string]any{"state": b.State, "credential": json.RawMessage(ans)})
	if r.status != 200 {
		t.Fatalf("step-up: %d %s", r.status, r.body)
	}
}

// TestPasskeyUserNeedsStepUpForSensitiveChanges: a user whose only second
// factor is a passkey needs a step-up proof (here a passkey's) for the
// changes that need one with TOTP on (host.StepUp).
func TestPasskeyUserNeedsStepUpForSensitiveChanges(t *testing.T) {
	h := newHarness(t, withPasskeys(t, withAPIKeys(t, nil)))
	h.addUser("sens@example.test", false)
	c := h.client()
	c.login("sens@example.test", testPassword)
	wantStatus(t, c.do("POST", "/api/api-keys", map[string]any{"name": "before"}), 201, "")
	a := webauthntest.New()
	c.registerPasskey(a, "Key")
	wantStatus(t, c.do("POST", "/api/api-keys", map[string]any{"name": "k"}), 403, loginui.CodeTOTPStepUpRequired)
	c.stepUpWithPasskey(a)
	wantStatus(t, c.do("POST", "/api/api-keys", map[string]any{"name": "k"}), 201, "")
	h.clock.Advance(6 * time.Minute) // past the step-up
	wantStatus(t, c.do("POST", "/api/api-keys", map[string]any{"name": "k2"}), 403, loginui.CodeTOTPStepUpRequired)
}

// TestAddingAPasskeyNeedsAStepUpWhenTheUserHasASecondFactor prevents a
// hijacked session from adding a passkey (a whole login with user
// verification) without a fresh proof of the factor the user already has:
// a TOTP code, or one of their passkeys.
func TestAddingAPasskeyNeedsAStepUpWhenTheUserHasASecondFactor(t *testing.T) {
	h := newHarness(t, withPasskeys(t, nil))
	_, sec, _ := h.totpUser("tot2@example.test", false)
	c := h.client()
	c.loginTOTP("tot2@example.test", sec)
	wantStatus(t, c.do("POST", "/api/auth/webauthn/register/begin", map[string]string{"name": "x"}), 403, loginui.CodeTOTPStepUpRequired)
	wantStatus(t, c.do("POST", "/api/auth/2fa/step-up", map[string]string{"code": h.code(sec)}), 200, "")
	a := webauthntest.New()
	c.registerPasskey(a, "First")

	h.addUser("pk@example.test", false)
	p := h.client()
	p.login("pk@example.test", testPassword)
	b := webauthntest.New()
	p.registerPasskey(b, "First") // no second factor yet: the password session suffices
	wantStatus(t, p.do("POST", "/api/auth/webauthn/register/begin", map[string]string{"name": "y"}), 403, loginui.CodeTOTPStepUpRequired)
	p.stepUpWithPasskey(b)
	p.registerPasskey(webauthntest.New(), "Second")
}
