package loginui_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui"
	"github.com/gatehouse/gatehouse/signing"
)

func testKeyring(t testing.TB) *signing.Keyring {
	t.Helper()
	k, err := signing.GenerateFernetKey()
	if err != nil {
		t.Fatal(err)
	}
	kr, err := signing.NewKeyring("k1", map[string]string{"k1": k})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// withTOTP turns TOTP on with generous rate limits; mod runs after.
func withTOTP(t testing.TB, mod func(*loginui.Options)) func(*loginui.Options) {
	kr := testKeyring(t)
	return func(o *loginui.Options) {
		o.TOTP = loginui.TOTPOptions{Enabled: true, Issuer: "Gatehouse Test", Keyring: kr}
		o.Secrets.TOTPPending = secret("tp")
		o.Secrets.RecoveryCodeLookup = secret("rl")
		o.RateLimits[loginui.SlotTOTPVerify] = loginui.RateLimit{Max: 1000, Window: time.Minute}
		o.RateLimits[loginui.SlotTOTPEnable] = loginui.RateLimit{Max: 1000, Window: time.Minute}
		if mod != nil {
			mod(o)
		}
	}
}

// code advances the clock one step (so no two calls share a counter)
// and returns the current code of sec.
func (h *harness) code(sec []byte) string {
	h.clock.Advance(30 * time.Second)
	return signing.HOTP(signing.TOTPSHA256, sec, signing.TOTPCounter(h.clock.Now()), 6)
}

type enrollAnswer struct {
	Secret string `json:"secret"`
	URI    string `json:"otpauth_uri"`
	Token  string `json:"enrollment_token"`
}

// enrol turns TOTP on for c's user and returns the secret and codes.
func (c *client) enrol() ([]byte, []string) {
	t := c.h.t
	t.Helper()
	r := c.do("POST", "/api/auth/2fa/enable", nil)
	if r.status != 200 {
		t.Fatalf("enable: %d %s", r.status, r.body)
	}
	var en enrollAnswer
	r.json(t, &en)
	sec, err := signing.DecodeTOTPSecret(en.Secret)
	if err != nil {
		t.Fatal(err)
	}
	r = c.do("POST", "/api/auth/2fa/enable/confirm", map[string]string{"enrollment_token": en.Token, "code": c.h.code(sec)})
	if r.status != 200 {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	var out struct {
		Codes []string `json:"recovery_codes"`
	}
	r.json(t, &out)
	return sec, out.Codes
}

// pending logs in with a password and expects the 202 second step.
func (c *client) pending(email string, hdr ...string) string {
	t := c.h.t
	t.Helper()
	r := c.do("POST", "/api/auth/login", map[string]string{"identifier": email, "password": testPassword}, hdr...)
	if r.status != 202 {
		t.Fatalf("login: want 202, got %d %s", r.status, r.body)
	}
	var out struct {
		Required bool   `json:"totp_required"`
		Token    string `json:"pending_token"`
	}
	r.json(t, &out)
	if !out.Required || out.Token == "" {
		t.Fatalf("login answer %s", r.body)
	}
	return out.Token
}

// totpUser creates a user with TOTP on; it returns the secret and codes.
func (h *harness) totpUser(email string, superuser bool) (*keystore.User, []byte, []string) {
	h.t.Helper()
	u := h.addUser(email, superuser)
	c := h.client()
	c.login(email, testPassword)
	sec, codes := c.enrol()
	return u, sec, codes
}

func TestTOTPEnrollAndLogin(t *testing.T) {
	h := newHarness(t, withTOTP(t, nil))
	u := h.addUser("tia@example.test", false)
	c := h.client()
	c.login("tia@example.test", testPassword)

	r := c.do("POST", "/api/auth/2fa/enable", nil)
	wantStatus(t, r, 200, "")
	var en enrollAnswer
	r.json(t, &en)
	sec, err := signing.DecodeTOTPSecret(en.Secret)
	if err != nil || len(sec) < 20 {
		t.Fatalf("secret: %v", err)
	}
	if !strings.HasPrefix(en.URI, "otpauth://totp/Gatehouse%20Test:tia@example.test?") || !strings.Contains(en.URI, "algorithm=SHA256") || !strings.Contains(en.URI, "secret="+en.Secret) {
		t.Fatalf("uri %s", en.URI)
	}
	stored := h.user(u.ID)
	if stored.TOTPEnabled || stored.TOTPPending == "" || strings.Contains(stored.TOTPPending, en.Secret) {
		t.Fatal("pending secret not sealed server-side")
	}
	// Not on until confirmed: login still needs only the password.
	wantStatus(t, h.client().do("POST", "/api/auth/login", map[string]string{"identifier": "tia@example.test", "password": testPassword}), 200, "")

	wantStatus(t, c.do("POST", "/api/auth/2fa/enable/confirm", map[string]string{"enrollment_token": en.Token, "code": "000000"}), 400, loginui.CodeTOTPCodeInvalid)
	wantStatus(t, c.do("POST", "/api/auth/2fa/enable/confirm", map[string]string{"enrollment_token": en.Token, "code": "12345"}), 400, loginui.CodeTOTPCodeInvalid)
	wantStatus(t, c.do("POST", "/api/auth/2fa/enable/confirm", `{"enrollment_token":"x","code":"1","extra":1}`), 422, loginui.CodeRequestBodyInvalid)
	r = c.do("POST", "/api/auth/2fa/enable/confirm", map[string]string{"enrollment_token": en.Token, "code": h.code(sec)})
	wantStatus(t, r, 200, "")
	var conf struct {
		Enabled bool     `json:"totp_enabled"`
		Codes   []string `json:"recovery_codes"`
	}
	r.json(t, &conf)
	if !conf.Enabled || len(conf.Codes) != 10 || len(conf.Codes[0]) != 28 {
		t.Fatalf("confirm answer %s", r.body)
	}
	stored = h.user(u.ID)
	if !stored.TOTPEnabled || stored.TOTPSecret == "" || stored.TOTPPending != "" || strings.Contains(stored.TOTPSecret, en.Secret) || strings.Contains(stored.TOTPSecret, conf.Codes[0]) {
		t.Fatal("stored record wrong or not sealed")
	}
	wantStatus(t, c.do("POST", "/api/auth/2fa/enable", nil), 400, loginui.CodeTOTPAlreadyEnabled)
	wantStatus(t, c.do("POST", "/api/auth/2fa/enable/confirm", map[string]string{"enrollment_token": en.Token, "code": h.code(sec)}), 400, loginui.CodeTOTPAlreadyEnabled)

	// Cookie login: 202, then the code.
	b := h.client()
	tok := b.pending("tia@example.test")
	r = b.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": tok, "code": h.code(sec)})
	wantStatus(t, r, 200, "")
	var sess struct {
		CSRF string `json:"csrf_token"`
	}
	r.json(t, &sess)
	b.csrf = sess.CSRF
	wantStatus(t, b.do("GET", "/api/users/me", nil), 200, "")
	var list struct {
		Sessions []struct {
			AuthMethod string `json:"auth_method"`
			Current    bool   `json:"current"`
		} `json:"sessions"`
	}
	b.do("GET", "/api/auth/sessions", nil).json(t, &list)
	found := false
	for _, s := range list.Sessions {
		if s.Current {
			found = s.AuthMethod == "password+totp"
		}
	}
	if !found {
		t.Fatalf("current session is not a totp session: %+v", list)
	}

	// Bearer login through the second step.
	bc := h.client()
	tok = bc.pending("tia@example.test")
	r = bc.do("POST", "/api/auth/2fa/verify?transport=bearer", map[string]string{"pending_token": tok, "code": h.code(sec)})
	wantStatus(t, r, 200, "")
	var tk tokens
	r.json(t, &tk)
	if tk.AccessToken == "" || tk.RefreshToken == "" {
		t.Fatalf("bearer answer %s", r.body)
	}
	wantStatus(t, h.bearer(tk.AccessToken).do("GET", "/api/users/me", nil), 200, "")
	// A password alone never opens a session any more.
	wantStatus(t, h.client().do("POST", "/api/auth/login?transport=bearer", map[string]string{"identifier": "tia@example.test", "password": testPassword}), 202, "")
}

func TestTOTPVerifyRefusesBadPendingTokens(t *testing.T) {
	h := newHarness(t, withTOTP(t, nil))
	_, sec, _ := h.totpUser("pat@example.test", false)
	other := h.addUser("ola@example.test", false)
	oc := h.client()
	oc.login("ola@example.test", testPassword)
	enrollTok := func() string {
		var en enrollAnswer
		oc.do("POST", "/api/auth/2fa/enable", nil).json(t, &en)
		return en.Token
	}()
	_ = other

	c := h.client()
	cases := []struct {
		name string
		tok  func() string
		hdr  []string
		code string
	}{
		{"empty", func() string { return "" }, nil, loginui.CodeTOTPPendingBadToken},
		{"garbage", func() string { return "a.b.c" }, nil, loginui.CodeTOTPPendingBadToken},
		{"huge", func() string { return strings.Repeat("a", 5000) }, nil, loginui.CodeTOTPPendingBadToken},
		{"wrong audience (enrollment token)", func() string { return enrollTok }, nil, loginui.CodeTOTPPendingBadToken},
		{"wrong audience (access token)", func() string { return h.loginBearer("ola@example.test", testPassword).AccessToken }, nil, loginui.CodeTOTPPendingBadToken},
		{"from another IP", func() string { return c.pending("pat@example.test") }, []string{"X-Forwarded-For", "203.0.113.9"}, loginui.CodeTOTPPendingBadToken},
		{"from another User-Agent", func() string { return c.pending("pat@example.test") }, []string{"User-Agent", "other-agent/1"}, loginui.CodeTOTPPendingBadToken},
		{"expired", func() string {
			tok := c.pending("pat@example.test")
			h.clock.Advance(6 * time.Minute)
			return tok
		}, nil, loginui.CodeTOTPPendingBadToken},
		{"tampered", func() string {
			tok := c.pending("pat@example.test")
			return tok[:len(tok)-2] + "AA"
		}, nil, loginui.CodeTOTPPendingBadToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := tc.tok()
			wantStatus(t, c.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": tok, "code": h.code(sec)}, tc.hdr...), 400, tc.code)
		})
	}

	t.Run("replayed after use", func(t *testing.T) {
		tok := c.pending("pat@example.test")
		wantStatus(t, c.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": tok, "code": h.code(sec)}), 200, "")
		wantStatus(t, c.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": tok, "code": h.code(sec)}), 400, loginui.CodeTOTPPendingBadToken)
	})
	t.Run("a typo does not spend the token", func(t *testing.T) {
		tok := c.pending("pat@example.test")
		wantStatus(t, c.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": tok, "code": "999999x"}), 400, loginui.CodeTOTPCodeInvalid)
		wantStatus(t, c.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": tok, "code": h.code(sec)}), 200, "")
	})
	t.Run("password change kills pending tokens", func(t *testing.T) {
		tok := c.pending("pat@example.test")
		u, _ := h.store.GetUserByEmail(context.Background(), "pat@example.test")
		hash, _ := h.hasher.Hash("another password 123")
		if _, err := h.store.UpdateUser(context.Background(), u.ID, func(x *keystore.User) error { x.PasswordHash = hash; return nil }); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, c.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": tok, "code": h.code(sec)}), 400, loginui.CodeTOTPPendingBadToken)
	})
	wantStatus(t, c.do("POST", "/api/auth/2fa/verify", `{"pending_token":"x","code":"1","x":1}`), 422, loginui.CodeRequestBodyInvalid)
	wantStatus(t, c.do("POST", "/api/auth/2fa/verify?transport=smoke", map[string]string{}), 422, loginui.CodeRequestBodyInvalid)
}

func TestTOTPReplayedCodeRefused(t *testing.T) {
	h := newHarness(t, withTOTP(t, nil))
	_, sec, _ := h.totpUser("rex@example.test", false)
	c := h.client()
	code := h.code(sec)
	wantStatus(t, c.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": c.pending("rex@example.test"), "code": code}), 200, "")
	// Same code, fresh pending token, same 30 s step: refused.
	wantStatus(t, c.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": c.pending("rex@example.test"), "code": code}), 400, loginui.CodeTOTPCodeInvalid)
	// The same code stays refused while it is inside the ±1 window.
	h.clock.Advance(30 * time.Second)
	wantStatus(t, c.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": c.pending("rex@example.test"), "code": code}), 400, loginui.CodeTOTPCodeInvalid)
	// Codes from outside the window never pass.
	h.clock.Advance(30 * time.Second)
	stale := signing.HOTP(signing.TOTPSHA256, sec, signing.TOTPCounter(h.clock.Now())-2, 6)
	wantStatus(t, c.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": c.pending("rex@example.test"), "code": stale}), 400, loginui.CodeTOTPCodeInvalid)
}

func TestTOTPRecoveryCodeLoginSingleUse(t *testing.T) {
	h := newHarness(t, withTOTP(t, nil))
	_, _, codes := h.totpUser("rita@example.test", false)
	c := h.client()
	grouped := strings.ToUpper(codes[3][:14]) + "-" + codes[3][14:]
	wantStatus(t, c.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": c.pending("rita@example.test"), "code": grouped}), 200, "")
	wantStatus(t, c.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": c.pending("rita@example.test"), "code": codes[3]}), 400, loginui.CodeTOTPCodeInvalid)
	for _, bad := range []string{"", "0123456789abcdef0123456789ab", codes[4] + "0", "not-a-code", strings.Repeat("f", 200)} {
		wantStatus(t, c.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": c.pending("rita@example.test"), "code": bad}), 400, loginui.CodeTOTPCodeInvalid)
	}
	wantStatus(t, c.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": c.pending("rita@example.test"), "code": codes[4]}), 200, "")
}

// TestTOTPRecoveryCodeConcurrentUseHasOneWinner races one recovery code
// through several pending logins at once.
func TestTOTPRecoveryCodeConcurrentUseHasOneWinner(t *testing.T) {
	h := newHarness(t, withTOTP(t, nil))
	_, _, codes := h.totpUser("cora@example.test", false)
	const n = 8
	toks := make([]string, n)
	clients := make([]*client, n)
	for i := range toks {
		clients[i] = h.client()
		toks[i] = clients[i].pending("cora@example.test")
	}
	var wg sync.WaitGroup
	statuses := make([]int, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			statuses[i] = clients[i].do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": toks[i], "code": codes[0]}).status
		}(i)
	}
	close(start)
	wg.Wait()
	wins := 0
	for _, s := range statuses {
		switch s {
		case 200:
			wins++
		case 400:
		default:
			t.Fatalf("unexpected status %d", s)
		}
	}
	if wins != 1 {
		t.Fatalf("%d winners, want exactly 1 (%v)", wins, statuses)
	}
}

func TestTOTPEnrollmentTokenRefusals(t *testing.T) {
	h := newHarness(t, withTOTP(t, nil))
	h.addUser("eve@example.test", false)
	h.addUser("finn@example.test", false)
	e, f := h.client(), h.client()
	e.login("eve@example.test", testPassword)
	f.login("finn@example.test", testPassword)
	start := func(c *client) (enrollAnswer, []byte) {
		var en enrollAnswer
		c.do("POST", "/api/auth/2fa/enable", nil).json(t, &en)
		sec, err := signing.DecodeTOTPSecret(en.Secret)
		if err != nil {
			t.Fatal(err)
		}
		return en, sec
	}
	confirm := func(c *client, tok, code string) resp {
		return c.do("POST", "/api/auth/2fa/enable/confirm", map[string]string{"enrollment_token": tok, "code": code})
	}
	t.Run("expired", func(t *testing.T) {
		en, sec := start(e)
		h.clock.Advance(6 * time.Minute)
		wantStatus(t, confirm(e, en.Token, h.code(sec)), 400, loginui.CodeTOTPEnrollBadToken)
	})
	t.Run("for another user", func(t *testing.T) {
		enE, _ := start(e)
		_, secF := start(f)
		wantStatus(t, confirm(f, enE.Token, h.code(secF)), 400, loginui.CodeTOTPEnrollBadToken)
	})
	t.Run("superseded by a new enrollment", func(t *testing.T) {
		old, _ := start(e)
		_, sec := start(e)
		wantStatus(t, confirm(e, old.Token, h.code(sec)), 400, loginui.CodeTOTPEnrollBadToken)
	})
	t.Run("garbage and wrong audience", func(t *testing.T) {
		_, sec := start(e)
		for _, tok := range []string{"", "x.y.z", strings.Repeat("a", 3000), h.loginBearer("eve@example.test", testPassword).AccessToken} {
			wantStatus(t, confirm(e, tok, h.code(sec)), 400, loginui.CodeTOTPEnrollBadToken)
		}
	})
	t.Run("code of another secret", func(t *testing.T) {
		en, _ := start(e)
		other, _ := signing.NewTOTPSecret()
		wantStatus(t, confirm(e, en.Token, h.code(other)), 400, loginui.CodeTOTPCodeInvalid)
	})
}

func TestTOTPEnrollNeedsPasswordSessionAndFeature(t *testing.T) {
	h := newHarness(t, withTOTP(t, nil))
	h.addUser("bo@example.test", false)
	wantStatus(t, h.client().do("POST", "/api/auth/2fa/enable", nil), 401, loginui.CodeAuthenticationFailed)
	tk := h.loginBearer("bo@example.test", testPassword)
	wantStatus(t, h.bearer(tk.AccessToken).do("POST", "/api/auth/2fa/enable", nil), 403, loginui.CodeAuthorizationDenied)
	c := h.client()
	c.login("bo@example.test", testPassword)
	csrf := c.csrf
	c.csrf = ""
	wantStatus(t, c.do("POST", "/api/auth/2fa/enable", nil), 403, loginui.CodeCSRFFailed)
	c.csrf = csrf
	wantStatus(t, c.do("POST", "/api/auth/2fa/enable", `{"x":1}`), 422, loginui.CodeRequestBodyInvalid)
	wantStatus(t, c.do("POST", "/api/auth/2fa/enable", "{}"), 200, "")
}

func TestTOTPDisabledInOptions(t *testing.T) {
	kr := testKeyring(t)
	mod := func(o *loginui.Options) {
		o.TOTP = loginui.TOTPOptions{Enabled: false, Keyring: kr}
		o.Secrets.TOTPPending, o.Secrets.RecoveryCodeLookup = secret("tp"), secret("rl")
	}
	// Enrol while enabled, then restart the portal with enrollment off
	// on the same store.
	h := newHarness(t, withTOTP(t, func(o *loginui.Options) { o.TOTP.Keyring = kr }))
	_, sec, _ := h.totpUser("dora@example.test", false)
	h.addUser("dan@example.test", false)
	opts := h.opts
	mod(&opts)
	p2, err := loginui.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close(context.Background())
	h.srv.Config.Handler = p2

	d := h.client()
	d.login("dan@example.test", testPassword)
	wantStatus(t, d.do("POST", "/api/auth/2fa/enable", nil), 403, loginui.CodeAuthorizationDenied)
	if body := string(d.do("GET", "/account", nil).body); strings.Contains(body, "Two-factor") {
		t.Fatal("section shown while enrollment is off")
	}
	// A user who has TOTP on still needs it.
	c := h.client()
	tok := c.pending("dora@example.test")
	r := c.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": tok, "code": h.code(sec)})
	wantStatus(t, r, 200, "")
	var s struct {
		CSRF string `json:"csrf_token"`
	}
	r.json(t, &s)
	c.csrf = s.CSRF
	if body := string(c.do("GET", "/account", nil).body); !strings.Contains(body, "Two-factor") {
		t.Fatal("section hidden from a user who has TOTP on")
	}
}

func TestTOTPLoginFailsClosedWithoutConfig(t *testing.T) {
	h := newHarness(t, nil)
	u := h.addUser("zed@example.test", false)
	if _, err := h.store.UpdateUser(context.Background(), u.ID, func(x *keystore.User) error { x.TOTPEnabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, h.client().do("POST", "/api/auth/login", map[string]string{"identifier": "zed@example.test", "password": testPassword}), 503, loginui.CodeTokenProcessingFailed)
	r := h.client().formLogin("zed@example.test", testPassword, "")
	if r.status != 503 || r.header.Get("Set-Cookie") != "" && strings.Contains(r.header.Get("Set-Cookie"), "gatehouse_session=") {
		t.Fatalf("form login: %d", r.status)
	}
}

func TestNewRefusesIncompleteTOTPConfig(t *testing.T) {
	kr := testKeyring(t)
	cases := []struct {
		name string
		mod  func(*loginui.Options)
	}{
		{"enabled without keyring", func(o *loginui.Options) {
			o.TOTP.Enabled = true
			o.Secrets.TOTPPending, o.Secrets.RecoveryCodeLookup = secret("tp"), secret("rl")
		}},
		{"keyring without pending secret", func(o *loginui.Options) {
			o.TOTP.Keyring = kr
			o.Secrets.RecoveryCodeLookup = secret("rl")
		}},
		{"short lookup secret", func(o *loginui.Options) {
			o.TOTP = loginui.TOTPOptions{Enabled: true, Keyring: kr}
			o.Secrets.TOTPPending, o.Secrets.RecoveryCodeLookup = secret("tp"), signing.NewSecret([]byte("short"))
		}},
		{"unknown algorithm", func(o *loginui.Options) {
			o.TOTP = loginui.TOTPOptions{Enabled: true, Keyring: kr, Algorithm: "MD5"}
			o.Secrets.TOTPPending, o.Secrets.RecoveryCodeLookup = secret("tp"), secret("rl")
		}},
	}
	h := newHarness(t, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := h.opts
			tc.mod(&o)
			if _, err := loginui.New(o); err != loginui.ErrTOTPConfig {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestTOTPStepUpWindow(t *testing.T) {
	h := newHarness(t, withTOTP(t, nil))
	_, sec, codes := h.totpUser("sue@example.test", false)
	c := h.client()
	r := c.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": c.pending("sue@example.test"), "code": h.code(sec)})
	var s struct {
		CSRF string `json:"csrf_token"`
	}
	r.json(t, &s)
	c.csrf = s.CSRF
	patch := func(email string) resp {
		return c.do("PATCH", "/api/users/me", map[string]string{"email": email, "current_password": testPassword})
	}
	wantStatus(t, patch("sue2@example.test"), 403, loginui.CodeTOTPStepUpRequired)
	wantStatus(t, c.do("POST", "/api/auth/2fa/step-up", map[string]string{"code": "000000"}), 400, loginui.CodeTOTPCodeInvalid)
	wantStatus(t, c.do("POST", "/api/auth/2fa/step-up", map[string]string{}), 400, loginui.CodeTOTPCodeInvalid)
	r = c.do("POST", "/api/auth/2fa/step-up", map[string]string{"code": h.code(sec)})
	wantStatus(t, r, 200, "")
	var su struct {
		Until time.Time `json:"step_up_until"`
	}
	r.json(t, &su)
	if !su.Until.Equal(h.clock.Now().Add(5 * time.Minute).Truncate(time.Second)) {
		t.Fatalf("step_up_until %v", su.Until)
	}
	h.clock.Advance(4 * time.Minute)
	wantStatus(t, patch("sue2@example.test"), 200, "")
	h.clock.Advance(2 * time.Minute)
	wantStatus(t, patch("sue3@example.test"), 403, loginui.CodeTOTPStepUpRequired)
	// A recovery code also steps up.
	wantStatus(t, c.do("POST", "/api/auth/2fa/step-up", map[string]string{"code": codes[0]}), 200, "")
	wantStatus(t, patch("sue3@example.test"), 200, "")

	// Bearer callers cannot step up; users without TOTP have nothing to prove.
	h.addUser("nat@example.test", false)
	n := h.client()
	n.login("nat@example.test", testPassword)
	wantStatus(t, n.do("POST", "/api/auth/2fa/step-up", map[string]string{"code": "123456"}), 400, loginui.CodeTOTPCodeInvalid)
	nb := h.loginBearer("nat@example.test", testPassword)
	wantStatus(t, h.bearer(nb.AccessToken).do("POST", "/api/auth/2fa/step-up", map[string]string{"code": "123456"}), 403, loginui.CodeAuthorizationDenied)
	wantStatus(t, h.client().do("POST", "/api/auth/2fa/step-up", map[string]string{"code": "123456"}), 401, loginui.CodeAuthenticationFailed)
}

// loginTOTP finishes a cookie login through the second step.
func (c *client) loginTOTP(email string, sec []byte) {
	c.h.t.Helper()
	r := c.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": c.pending(email), "code": c.h.code(sec)})
	if r.status != 200 {
		c.h.t.Fatalf("verify: %d %s", r.status, r.body)
	}
	var s struct {
		CSRF string `json:"csrf_token"`
	}
	r.json(c.h.t, &s)
	c.csrf = s.CSRF
}

func TestTOTPAdminChangesNeedStepUp(t *testing.T) {
	h := newHarness(t, withTOTP(t, nil))
	_, sec, _ := h.totpUser("root@example.test", true)
	plain := h.addUser("pleb@example.test", false)
	a := h.client()
	a.loginTOTP("root@example.test", sec)
	wantStatus(t, a.do("GET", "/api/users", nil), 403, loginui.CodeTOTPStepUpRequired)
	wantStatus(t, a.do("PATCH", "/api/users/"+plain.ID, map[string]any{"current_password": testPassword, "roles": []string{"x"}}), 403, loginui.CodeTOTPStepUpRequired)
	wantStatus(t, a.do("POST", "/api/auth/2fa/step-up", map[string]string{"code": h.code(sec)}), 200, "")
	wantStatus(t, a.do("GET", "/api/users", nil), 200, "")
	wantStatus(t, a.do("PATCH", "/api/users/"+plain.ID, map[string]any{"current_password": testPassword, "roles": []string{"x"}}), 200, "")
}

func TestTOTPDisable(t *testing.T) {
	h := newHarness(t, withTOTP(t, nil))
	u, sec, _ := h.totpUser("dina@example.test", false)
	c := h.client()
	c.loginTOTP("dina@example.test", sec)
	dis := func(body map[string]string) resp { return c.do("POST", "/api/auth/2fa/disable", body) }
	wantStatus(t, dis(map[string]string{"current_password": testPassword}), 403, loginui.CodeTOTPStepUpRequired)
	wantStatus(t, dis(map[string]string{"current_password": testPassword, "code": "000000"}), 400, loginui.CodeTOTPCodeInvalid)
	wantStatus(t, dis(map[string]string{"current_password": "wrong password!!", "code": h.code(sec)}), 400, loginui.CodeUpdateInvalidPassword)
	if !h.user(u.ID).TOTPEnabled {
		t.Fatal("disabled with a wrong password")
	}
	// The step-up from the previous attempt is still valid: the password suffices now.
	wantStatus(t, dis(map[string]string{"current_password": testPassword}), 200, "")
	got := h.user(u.ID)
	if got.TOTPEnabled || got.TOTPSecret != "" || got.TOTPPending != "" {
		t.Fatal("TOTP material left behind")
	}
	wantStatus(t, dis(map[string]string{"current_password": testPassword}), 400, loginui.CodeTOTPCodeInvalid)
	wantStatus(t, h.client().do("POST", "/api/auth/login", map[string]string{"identifier": "dina@example.test", "password": testPassword}), 200, "")
	tk := h.loginBearer("dina@example.test", testPassword)
	wantStatus(t, h.bearer(tk.AccessToken).do("POST", "/api/auth/2fa/disable", map[string]string{"current_password": testPassword}), 403, loginui.CodeAuthorizationDenied)
}

func TestTOTPRegenerateRecoveryCodes(t *testing.T) {
	h := newHarness(t, withTOTP(t, nil))
	_, sec, old := h.totpUser("reg@example.test", false)
	c := h.client()
	c.loginTOTP("reg@example.test", sec)
	wantStatus(t, c.do("POST", "/api/auth/2fa/recovery-codes/regenerate", nil), 403, loginui.CodeTOTPStepUpRequired)
	r := c.do("POST", "/api/auth/2fa/recovery-codes/regenerate", map[string]string{"code": h.code(sec)})
	wantStatus(t, r, 200, "")
	var out struct {
		Codes []string `json:"recovery_codes"`
	}
	r.json(t, &out)
	if len(out.Codes) != 10 || out.Codes[0] == old[0] {
		t.Fatalf("regenerate answer %s", r.body)
	}
	// Within the step-up window no code is needed.
	r = c.do("POST", "/api/auth/2fa/recovery-codes/regenerate", "{}")
	wantStatus(t, r, 200, "")
	r.json(t, &out)
	x := h.client()
	wantStatus(t, x.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": x.pending("reg@example.test"), "code": old[1]}), 400, loginui.CodeTOTPCodeInvalid)
	wantStatus(t, x.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": x.pending("reg@example.test"), "code": out.Codes[1]}), 200, "")
}

func TestTOTPRateLimits(t *testing.T) {
	h := newHarness(t, withTOTP(t, func(o *loginui.Options) {
		o.RateLimits[loginui.SlotTOTPVerify] = loginui.RateLimit{Max: 3, Window: time.Hour}
		o.RateLimits[loginui.SlotTOTPEnable] = loginui.RateLimit{Max: 2, Window: time.Hour}
	}))
	h.addUser("lim@example.test", false)
	c := h.client()
	c.login("lim@example.test", testPassword)
	wantStatus(t, c.do("POST", "/api/auth/2fa/enable", nil), 200, "")
	wantStatus(t, c.do("POST", "/api/auth/2fa/enable", nil), 200, "")
	r := c.do("POST", "/api/auth/2fa/enable", nil)
	wantStatus(t, r, 429, loginui.CodeRateLimited)
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	x := h.client()
	for i := 0; i < 3; i++ {
		wantStatus(t, x.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": "bad", "code": "000000"}), 400, loginui.CodeTOTPPendingBadToken)
	}
	r = x.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": "bad", "code": "000000"})
	wantStatus(t, r, 429, loginui.CodeRateLimited)
	if r.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
}

// TestTOTPSecretsNeverLogged runs the whole flow and searches the log
// for every secret, code and token it saw.
func TestTOTPSecretsNeverLogged(t *testing.T) {
	h := newHarness(t, withTOTP(t, nil))
	h.addUser("log@example.test", false)
	c := h.client()
	c.login("log@example.test", testPassword)
	r := c.do("POST", "/api/auth/2fa/enable", nil)
	var en enrollAnswer
	r.json(t, &en)
	sec, _ := signing.DecodeTOTPSecret(en.Secret)
	code := h.code(sec)
	r = c.do("POST", "/api/auth/2fa/enable/confirm", map[string]string{"enrollment_token": en.Token, "code": code})
	var conf struct {
		Codes []string `json:"recovery_codes"`
	}
	r.json(t, &conf)
	x := h.client()
	tok := x.pending("log@example.test")
	wantStatus(t, x.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": tok, "code": "111111"}), 400, "")
	wantStatus(t, x.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": tok, "code": conf.Codes[0]}), 200, "")
	logs := h.logs.String()
	if !strings.Contains(logs, "totp_enabled") || !strings.Contains(logs, "recovery_code_used") {
		t.Fatalf("audit events missing: %s", logs)
	}
	for _, s := range append([]string{en.Secret, strings.ToLower(en.Secret), en.Token, tok, code, "log@example.test"}, conf.Codes...) {
		if strings.Contains(logs, s) {
			t.Fatalf("log contains a secret, code, token or address")
		}
	}
}

func TestTOTPAccountSectionShowsState(t *testing.T) {
	h := newHarness(t, withTOTP(t, nil))
	h.addUser("acc@example.test", false)
	c := h.client()
	c.login("acc@example.test", testPassword)
	r := c.do("GET", "/account", nil)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `id="enable-submit"`) {
		t.Fatalf("account page: %d", r.status)
	}
}
