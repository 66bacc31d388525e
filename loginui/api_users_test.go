package loginui_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui"
)

// TestChangePasswordRevokesOtherSessionsAndJWTs: after a change from one
// session, other sessions, refresh tokens and every earlier JWT stop
// working; the current session keeps working.
func TestChangePasswordRevokesOtherSessionsAndJWTs(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("mia@example.test", false)
	a, b := h.client(), h.client()
	a.login("mia@example.test", testPassword)
	b.login("mia@example.test", testPassword)
	tk := h.loginBearer("mia@example.test", testPassword)

	const newPW = "another long password"
	wantStatus(t, a.do("POST", "/api/users/me/change-password", map[string]string{"current_password": "wrong", "new_password": newPW}), 400, loginui.CodeUpdateInvalidPassword)
	wantStatus(t, a.do("POST", "/api/users/me/change-password", map[string]string{"current_password": testPassword, "new_password": "short"}), 400, loginui.CodeUpdateInvalidPassword)
	wantStatus(t, a.do("POST", "/api/users/me/change-password", `{"current_password":"x","new_password":"y","z":1}`), 422, loginui.CodeRequestBodyInvalid)
	wantStatus(t, a.do("POST", "/api/users/me/change-password", map[string]string{"current_password": testPassword, "new_password": newPW}), 200, "")
	h.mail.next(t, loginui.EventPasswordChanged)

	wantStatus(t, a.do("GET", "/api/users/me", nil), 200, "")
	wantStatus(t, b.do("GET", "/api/users/me", nil), 401, loginui.CodeAuthenticationFailed)
	wantStatus(t, h.bearer(tk.AccessToken).do("GET", "/api/users/me", nil), 401, loginui.CodeAuthenticationFailed)
	wantStatus(t, h.client().do("POST", "/api/auth/refresh", map[string]string{"refresh_token": tk.RefreshToken}), 401, loginui.CodeRefreshTokenInvalid)
	h.client().login("mia@example.test", newPW)
}

func TestChangePasswordByBearer(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("ned@example.test", false)
	tk := h.loginBearer("ned@example.test", testPassword)
	b := h.bearer(tk.AccessToken)
	wantStatus(t, b.do("POST", "/api/users/me/change-password", map[string]string{"current_password": testPassword, "new_password": "yet another password"}), 200, "")
	wantStatus(t, b.do("GET", "/api/users/me", nil), 401, loginui.CodeAuthenticationFailed)
}

func TestPatchMe(t *testing.T) {
	h := newHarness(t, nil)
	u := h.addUser("olga@example.test", false)
	h.addUser("taken@example.test", false)
	c := h.client()
	c.login("olga@example.test", testPassword)
	tk := h.loginBearer("olga@example.test", testPassword)

	wantStatus(t, c.do("PATCH", "/api/users/me", map[string]string{"display_name": "Olga"}), 200, "")
	if h.user(u.ID).DisplayName != "Olga" {
		t.Fatal("display name not stored")
	}
	wantStatus(t, c.do("PATCH", "/api/users/me", map[string]string{"email": "olga2@example.test"}), 400, loginui.CodeUpdateInvalidPassword)
	wantStatus(t, c.do("PATCH", "/api/users/me", map[string]string{"email": "taken@example.test", "current_password": testPassword}), 400, loginui.CodeUpdateEmailExists)
	wantStatus(t, c.do("PATCH", "/api/users/me", `{"password":"new one please"}`), 422, loginui.CodeRequestBodyInvalid)
	wantStatus(t, c.do("PATCH", "/api/users/me", map[string]string{"display_name": "bad\x00name"}), 422, loginui.CodeRequestBodyInvalid)
	wantStatus(t, c.do("PATCH", "/api/users/me", map[string]string{"email": "olga2@example.test", "current_password": testPassword}), 200, "")
	h.mail.next(t, loginui.EventVerify)
	got := h.user(u.ID)
	if got.Email != "olga2@example.test" || got.Verified {
		t.Fatalf("email change not applied: %+v", got.Email)
	}
	// The email is in the fingerprint: earlier JWTs are dead.
	wantStatus(t, h.bearer(tk.AccessToken).do("GET", "/api/users/me", nil), 401, loginui.CodeAuthenticationFailed)
}

func TestPatchMeEmailNeedsStepUpWithTOTP(t *testing.T) {
	h := newHarness(t, nil)
	u := h.addUser("pia@example.test", false)
	c := h.client()
	c.login("pia@example.test", testPassword)
	// TOTP turned on after this session was opened (a login would now
	// need the second step; totp_test.go covers that path).
	if _, err := h.store.UpdateUser(t.Context(), u.ID, func(x *keystore.User) error { x.TOTPEnabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, c.do("PATCH", "/api/users/me", map[string]string{"email": "pia2@example.test", "current_password": testPassword}), 403, loginui.CodeTOTPStepUpRequired)
}

func TestAdminRoutes(t *testing.T) {
	h := newHarness(t, nil)
	admin := h.addUser("root@example.test", true)
	plain := h.addUser("quinn@example.test", false)
	for i := 0; i < 3; i++ {
		h.addUser(fmt.Sprintf("member%d@example.test", i), false)
	}
	a := h.client()
	a.login("root@example.test", testPassword)
	q := h.client()
	q.login("quinn@example.test", testPassword)

	t.Run("non-superuser refused", func(t *testing.T) {
		wantStatus(t, q.do("GET", "/api/users", nil), 403, loginui.CodeAuthorizationDenied)
		wantStatus(t, q.do("GET", "/api/users/"+admin.ID, nil), 403, loginui.CodeAuthorizationDenied)
		wantStatus(t, h.client().do("GET", "/api/users", nil), 401, loginui.CodeAuthenticationFailed)
	})
	t.Run("list and search", func(t *testing.T) {
		var out struct {
			Users []struct{ Email string } `json:"users"`
		}
		r := a.do("GET", "/api/users?q=MEMBER", nil)
		wantStatus(t, r, 200, "")
		r.json(t, &out)
		if len(out.Users) != 3 {
			t.Fatalf("search found %d", len(out.Users))
		}
		r = a.do("GET", "/api/users?limit=2", nil)
		r.json(t, &out)
		if len(out.Users) != 2 {
			t.Fatalf("limit gave %d", len(out.Users))
		}
	})
	t.Run("get", func(t *testing.T) {
		wantStatus(t, a.do("GET", "/api/users/"+plain.ID, nil), 200, "")
		wantStatus(t, a.do("GET", "/api/users/"+strings.Repeat("0", 32), nil), 404, loginui.CodeUserNotFound)
		wantStatus(t, a.do("GET", "/api/users/short", nil), 404, loginui.CodeUserNotFound)
	})
	t.Run("patch", func(t *testing.T) {
		wantStatus(t, a.do("PATCH", "/api/users/"+plain.ID, map[string]any{"roles": []string{"editor"}}), 400, loginui.CodeUpdateInvalidPassword)
		wantStatus(t, a.do("PATCH", "/api/users/"+plain.ID, map[string]any{"roles": []string{"bad role"}, "current_password": testPassword}), 422, loginui.CodeRequestBodyInvalid)
		wantStatus(t, a.do("PATCH", "/api/users/"+plain.ID, map[string]any{"nope": 1, "current_password": testPassword}), 422, loginui.CodeRequestBodyInvalid)
		wantStatus(t, a.do("PATCH", "/api/users/"+plain.ID, map[string]any{"roles": []string{"editor"}, "current_password": testPassword}), 200, "")
		if r := h.user(plain.ID).Roles; len(r) != 1 || r[0] != "editor" {
			t.Fatalf("roles = %v", r)
		}
		wantStatus(t, a.do("PATCH", "/api/users/"+admin.ID, map[string]any{"is_active": false, "current_password": testPassword}), 403, loginui.CodeAuthorizationDenied)
		wantStatus(t, a.do("PATCH", "/api/users/"+plain.ID, map[string]any{"email": "member0@example.test", "current_password": testPassword}), 400, loginui.CodeUpdateEmailExists)
		// Disabling signs the user out.
		wantStatus(t, a.do("PATCH", "/api/users/"+plain.ID, map[string]any{"is_active": false, "current_password": testPassword}), 200, "")
		wantStatus(t, q.do("GET", "/api/users/me", nil), 401, loginui.CodeAuthenticationFailed)
		wantStatus(t, h.client().do("POST", "/api/auth/login", map[string]string{"identifier": "quinn@example.test", "password": testPassword}), 400, loginui.CodeLoginAccountUnavailable)
	})
	t.Run("delete", func(t *testing.T) {
		wantStatus(t, a.do("DELETE", "/api/users/"+admin.ID, map[string]string{"current_password": testPassword}), 403, loginui.CodeSuperuserCannotDelete)
		wantStatus(t, a.do("DELETE", "/api/users/"+plain.ID, map[string]string{"current_password": "wrong"}), 400, loginui.CodeUpdateInvalidPassword)
		wantStatus(t, a.do("DELETE", "/api/users/"+plain.ID, map[string]string{"current_password": testPassword}), 204, "")
		wantStatus(t, a.do("DELETE", "/api/users/"+plain.ID, map[string]string{"current_password": testPassword}), 404, loginui.CodeUserNotFound)
	})
	t.Run("step-up with TOTP", func(t *testing.T) {
		if _, err := h.store.UpdateUser(t.Context(), admin.ID, func(x *keystore.User) error { x.TOTPEnabled = true; return nil }); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, a.do("GET", "/api/users", nil), 403, loginui.CodeTOTPStepUpRequired)
	})
}

func TestSessionsRoutes(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("rae@example.test", false)
	h.addUser("sam@example.test", false)
	a, b, other := h.client(), h.client(), h.client()
	a.login("rae@example.test", testPassword)
	b.login("rae@example.test", testPassword)
	other.login("sam@example.test", testPassword)
	tk := h.loginBearer("rae@example.test", testPassword)

	type sess struct {
		ID      string `json:"id"`
		Kind    string `json:"kind"`
		Current bool   `json:"current"`
	}
	list := func(c *client) []sess {
		var out struct{ Sessions []sess }
		r := c.do("GET", "/api/auth/sessions", nil)
		wantStatus(t, r, 200, "")
		r.json(t, &out)
		return out.Sessions
	}
	ss := list(a)
	if len(ss) != 3 {
		t.Fatalf("%d sessions, want 3", len(ss))
	}
	var bID string
	current := 0
	for _, s := range ss {
		if s.Current {
			current++
		} else if s.Kind == "session" {
			bID = s.ID
		}
	}
	if current != 1 || bID == "" {
		t.Fatalf("sessions: %+v", ss)
	}
	// Another user's session id is not reachable.
	oid := list(other)[0].ID
	wantStatus(t, a.do("DELETE", "/api/auth/sessions/"+oid, nil), 404, loginui.CodeAuthorizationDenied)
	wantStatus(t, other.do("GET", "/api/users/me", nil), 200, "")

	wantStatus(t, a.do("DELETE", "/api/auth/sessions/"+bID, nil), 204, "")
	wantStatus(t, b.do("GET", "/api/users/me", nil), 401, loginui.CodeAuthenticationFailed)

	r := a.do("POST", "/api/auth/sessions/revoke-others", nil)
	wantStatus(t, r, 200, "")
	wantStatus(t, h.client().do("POST", "/api/auth/refresh", map[string]string{"refresh_token": tk.RefreshToken}), 401, loginui.CodeRefreshTokenInvalid)
	if n := len(list(a)); n != 1 {
		t.Fatalf("%d sessions left", n)
	}
}
