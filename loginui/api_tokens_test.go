package loginui_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui"
)

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	tok := u.Query().Get("token")
	if tok == "" {
		t.Fatalf("no token in link")
	}
	return tok
}

// TestRegisterEnumerationIdenticalAnswers: a taken address gets the same
// answer as a free one, and no mail.
func TestRegisterEnumerationIdenticalAnswers(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("taken@example.test", true)
	c := h.client()
	fresh := c.do("POST", "/api/auth/register", map[string]string{"email": "new@example.test", "password": testPassword})
	msg := h.mail.next(t, loginui.EventVerify)
	if msg.To != "new@example.test" || msg.UserID == "" {
		t.Fatalf("verify mail %+v", msg)
	}
	taken := c.do("POST", "/api/auth/register", map[string]string{"email": "TAKEN@example.test", "password": testPassword})
	wantStatus(t, fresh, 202, "")
	if taken.status != fresh.status || string(taken.body) != string(fresh.body) {
		t.Fatalf("answers differ: %s vs %s", fresh.body, taken.body)
	}
	h.mail.none(t, 100*time.Millisecond)
	// The owner of the taken address keeps their superuser account.
	u, err := h.store.GetUserByEmail(t.Context(), "taken@example.test")
	if err != nil || !u.Superuser {
		t.Fatal("existing account changed")
	}
}

func TestRegisterErrors(t *testing.T) {
	h := newHarness(t, nil)
	c := h.client()
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"short password", map[string]string{"email": "a@example.test", "password": "short"}, 400, loginui.CodeRegisterFailed},
		{"bad email", map[string]string{"email": "not-an-email", "password": testPassword}, 400, loginui.CodeRegisterFailed},
		{"header injection", map[string]string{"email": "a@example.test\r\nBcc: x@evil.test", "password": testPassword}, 400, loginui.CodeRegisterFailed},
		{"unknown field", `{"email":"a@example.test","password":"` + testPassword + `","is_superuser":true}`, 422, loginui.CodeRequestBodyInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantStatus(t, c.do("POST", "/api/auth/register", tc.body), tc.status, tc.code)
		})
	}
	h2 := newHarness(t, func(o *loginui.Options) { o.RegistrationDisabled = true })
	wantStatus(t, h2.client().do("POST", "/api/auth/register", map[string]string{"email": "a@example.test", "password": testPassword}), 403, loginui.CodeRegisterFailed)
}

func TestVerifyFlow(t *testing.T) {
	h := newHarness(t, nil)
	c := h.client()
	wantStatus(t, c.do("POST", "/api/auth/register", map[string]string{"email": "v@example.test", "password": testPassword}), 202, "")
	tok := tokenOf(t, h.mail.next(t, loginui.EventVerify).Link)

	// A second request mails another link while unverified; unknown
	// addresses get the same answer.
	a := c.do("POST", "/api/auth/request-verify-token", map[string]string{"email": "v@example.test"})
	b := c.do("POST", "/api/auth/request-verify-token", map[string]string{"email": "nobody@example.test"})
	wantStatus(t, a, 202, "")
	if string(a.body) != string(b.body) || a.status != b.status {
		t.Fatal("request-verify-token answers differ")
	}
	h.mail.next(t, loginui.EventVerify)

	wantStatus(t, c.do("POST", "/api/auth/verify", map[string]string{"token": "garbage"}), 400, loginui.CodeVerifyBadToken)
	wantStatus(t, c.do("POST", "/api/auth/verify", map[string]string{"token": tok}), 200, "")
	wantStatus(t, c.do("POST", "/api/auth/verify", map[string]string{"token": tok}), 400, loginui.CodeVerifyAlreadyVerified)
	wantStatus(t, c.do("POST", "/api/auth/verify", `{"token":"x","y":1}`), 422, loginui.CodeRequestBodyInvalid)
	u, _ := h.store.GetUserByEmail(t.Context(), "v@example.test")
	if !u.Verified {
		t.Fatal("not verified")
	}
}

// TestVerifyTokenDiesWithEmailChange and wrong audience / expiry.
func TestVerifyTokenRefusals(t *testing.T) {
	h := newHarness(t, nil)
	c := h.client()
	wantStatus(t, c.do("POST", "/api/auth/register", map[string]string{"email": "w@example.test", "password": testPassword}), 202, "")
	tok := tokenOf(t, h.mail.next(t, loginui.EventVerify).Link)
	// A reset token (other audience) is no verify token.
	wantStatus(t, c.do("POST", "/api/auth/forgot-password", map[string]string{"email": "w@example.test"}), 202, "")
	reset := tokenOf(t, h.mail.next(t, loginui.EventReset).Link)
	wantStatus(t, c.do("POST", "/api/auth/verify", map[string]string{"token": reset}), 400, loginui.CodeVerifyBadToken)
	h.clock.Advance(time.Hour + time.Minute)
	wantStatus(t, c.do("POST", "/api/auth/verify", map[string]string{"token": tok}), 400, loginui.CodeVerifyBadToken)
}

func TestForgotPasswordEnumerationIdenticalAnswers(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("kim@example.test", false)
	c := h.client()
	a := c.do("POST", "/api/auth/forgot-password", map[string]string{"email": "kim@example.test"})
	h.mail.next(t, loginui.EventReset)
	b := c.do("POST", "/api/auth/forgot-password", map[string]string{"email": "nobody@example.test"})
	wantStatus(t, a, 202, "")
	if a.status != b.status || string(a.body) != string(b.body) {
		t.Fatal("forgot-password answers differ")
	}
	h.mail.none(t, 100*time.Millisecond)
}

func TestResetPassword(t *testing.T) {
	h := newHarness(t, nil)
	u := h.addUser("lee@example.test", false)
	c := h.client()
	forgot := func() string {
		wantStatus(t, c.do("POST", "/api/auth/forgot-password", map[string]string{"email": "lee@example.test"}), 202, "")
		return tokenOf(t, h.mail.next(t, loginui.EventReset).Link)
	}
	const newPW = "a brand new password"

	t.Run("happy path, then dead after use", func(t *testing.T) {
		other := h.client()
		other.login("lee@example.test", testPassword)
		tok := forgot()
		wantStatus(t, c.do("POST", "/api/auth/reset-password", map[string]string{"token": tok, "password": "short"}), 400, loginui.CodeResetInvalidPassword)
		wantStatus(t, c.do("POST", "/api/auth/reset-password", map[string]string{"token": tok, "password": newPW}), 200, "")
		h.mail.next(t, loginui.EventPasswordChanged)
		wantStatus(t, c.do("POST", "/api/auth/reset-password", map[string]string{"token": tok, "password": newPW + "2"}), 400, loginui.CodeResetBadToken)
		// Sessions did not survive the reset.
		wantStatus(t, other.do("GET", "/api/users/me", nil), 401, loginui.CodeAuthenticationFailed)
		h.client().login("lee@example.test", newPW)
	})
	t.Run("dead after a password change", func(t *testing.T) {
		tok := forgot()
		s := h.client()
		s.login("lee@example.test", newPW)
		wantStatus(t, s.do("POST", "/api/users/me/change-password", map[string]string{"current_password": newPW, "new_password": testPassword}), 200, "")
		wantStatus(t, c.do("POST", "/api/auth/reset-password", map[string]string{"token": tok, "password": newPW}), 400, loginui.CodeResetBadToken)
	})
	t.Run("dead after an hour", func(t *testing.T) {
		tok := forgot()
		h.clock.Advance(time.Hour + 31*time.Second)
		wantStatus(t, c.do("POST", "/api/auth/reset-password", map[string]string{"token": tok, "password": newPW}), 400, loginui.CodeResetBadToken)
	})
	t.Run("over 2048 bytes", func(t *testing.T) {
		tok := forgot()
		long := tok + "." + strings.Repeat("A", 2100)
		wantStatus(t, c.do("POST", "/api/auth/reset-password", map[string]string{"token": long, "password": newPW}), 400, loginui.CodeResetBadToken)
	})
	t.Run("wrong audience", func(t *testing.T) {
		if _, err := h.store.UpdateUser(t.Context(), u.ID, func(x *keystore.User) error { x.Verified = false; return nil }); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, c.do("POST", "/api/auth/request-verify-token", map[string]string{"email": "lee@example.test"}), 202, "")
		vtok := tokenOf(t, h.mail.next(t, loginui.EventVerify).Link)
		wantStatus(t, c.do("POST", "/api/auth/reset-password", map[string]string{"token": vtok, "password": newPW}), 400, loginui.CodeResetBadToken)
	})
	t.Run("garbage and unknown fields", func(t *testing.T) {
		wantStatus(t, c.do("POST", "/api/auth/reset-password", map[string]string{"token": "a.b.c", "password": newPW}), 400, loginui.CodeResetBadToken)
		wantStatus(t, c.do("POST", "/api/auth/reset-password", `{"token":"a","password":"b","x":1}`), 422, loginui.CodeRequestBodyInvalid)
	})
}
