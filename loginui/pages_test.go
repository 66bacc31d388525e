package loginui_test

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui"
)

// formLogin fetches /login (for the pre-session CSRF cookie) and posts the
// form; it returns the answer.
func (c *client) formLogin(email, pw, rd string) resp {
	c.h.t.Helper()
	c.do("GET", "/login?rd="+url.QueryEscape(rd), nil)
	return c.do("POST", "/login", url.Values{"identifier": {email}, "password": {pw}, "rd": {rd}, "csrf": {c.cookie("gatehouse_csrf")}})
}

func TestLoginPageRedirects(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("page@example.test", false)
	home := h.srv.URL + "/"
	for _, tc := range []struct {
		name, rd, want string
	}{
		{"valid loopback rd in development", "http://127.0.0.1:8080/app?x=1", "http://127.0.0.1:8080/app?x=1"},
		{"hostile rd lands home", "https://evil.test/", home},
		{"userinfo trick lands home", "http://127.0.0.1:8080@evil.test/", home},
		{"scheme-relative lands home", "//evil.test/", home},
		{"no rd", "", home},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := h.client()
			r := c.formLogin("page@example.test", testPassword, tc.rd)
			if r.status != 303 || r.header.Get("Location") != tc.want {
				t.Fatalf("got %d Location %q, want %q", r.status, r.header.Get("Location"), tc.want)
			}
			wantStatus(t, c.do("GET", "/api/users/me", nil), 200, "")
		})
	}
	// A hostile rd is not even carried into the form.
	r := h.client().do("GET", "/login?rd="+url.QueryEscape("https://evil.test/"), nil)
	if strings.Contains(string(r.body), "evil.test") {
		t.Fatal("hostile rd rendered into the login page")
	}
}

func TestLoginPageBadPasswordIsAccessibleError(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("err@example.test", false)
	c := h.client()
	r := c.formLogin("err@example.test", "wrong password", "")
	body := string(r.body)
	if r.status != 400 || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, `aria-invalid="true"`) || !strings.Contains(body, `<label for="password">`) {
		t.Fatalf("%d %s", r.status, body)
	}
	if strings.Contains(body, "wrong password") {
		t.Fatal("password echoed")
	}
}

func TestAccountPageNeedsLogin(t *testing.T) {
	h := newHarness(t, nil)
	r := h.client().do("GET", "/account", nil)
	if r.status != 303 || !strings.HasPrefix(r.header.Get("Location"), "/login?rd=") {
		t.Fatalf("%d %q", r.status, r.header.Get("Location"))
	}
	r = h.client().do("GET", "/", nil)
	if r.status != 303 || r.header.Get("Location") != "/login" {
		t.Fatalf("home: %d %q", r.status, r.header.Get("Location"))
	}
}

func TestAccountPageFlows(t *testing.T) {
	h := newHarness(t, func(o *loginui.Options) {
		o.AccountSections = []loginui.AccountSection{{Title: "Two-factor authentication", Render: func(*http.Request, *keystore.User) (template.HTML, error) {
			return template.HTML("<p id=\"tfa\">not enabled</p>"), nil
		}}}
	})
	h.addUser("acc@example.test", false)
	c := h.client()
	if r := c.formLogin("acc@example.test", testPassword, ""); r.status != 303 {
		t.Fatalf("login %d", r.status)
	}
	other := h.client()
	other.login("acc@example.test", testPassword)
	r := c.do("GET", "/account", nil)
	body := string(r.body)
	if r.status != 200 || !strings.Contains(body, "acc@example.test") || !strings.Contains(body, `id="tfa"`) || !strings.Contains(body, "(this session)") {
		t.Fatalf("account page: %d", r.status)
	}
	csrf := c.cookie("gatehouse_csrf")
	// Form without CSRF: refused.
	r = c.do("POST", "/account/password", url.Values{"current_password": {testPassword}, "new_password": {"new password here"}})
	if r.status != 403 {
		t.Fatalf("no csrf: %d", r.status)
	}
	r = c.do("POST", "/account/password", url.Values{"current_password": {"wrong"}, "new_password": {"new password here"}, "csrf": {csrf}})
	if r.status != 400 || !strings.Contains(string(r.body), "current password is wrong") {
		t.Fatalf("wrong current: %d", r.status)
	}
	r = c.do("POST", "/account/password", url.Values{"current_password": {testPassword}, "new_password": {"new password here"}, "csrf": {csrf}})
	if r.status != 303 || r.header.Get("Location") != "/account?done=password" {
		t.Fatalf("change: %d %s", r.status, r.body)
	}
	wantStatus(t, other.do("GET", "/api/users/me", nil), 401, loginui.CodeAuthenticationFailed)
	r = c.do("POST", "/account/profile", url.Values{"display_name": {"Acc"}, "email": {"acc@example.test"}, "csrf": {csrf}})
	if r.status != 303 {
		t.Fatalf("profile: %d %s", r.status, r.body)
	}
	r = c.do("POST", "/logout", url.Values{"csrf": {csrf}})
	if r.status != 303 || r.header.Get("Location") != "/login?done=logged_out" {
		t.Fatalf("logout: %d", r.status)
	}
	wantStatus(t, c.do("GET", "/api/users/me", nil), 401, loginui.CodeAuthenticationFailed)
}

func TestAdminPages(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("boss@example.test", true)
	target := h.addUser("emp@example.test", false)
	a := h.client()
	a.formLogin("boss@example.test", testPassword, "")
	r := a.do("GET", "/admin?q=emp", nil)
	if r.status != 200 || !strings.Contains(string(r.body), "emp@example.test") || strings.Contains(string(r.body), "boss@example.test</a>") {
		t.Fatalf("admin search: %d", r.status)
	}
	csrf := a.cookie("gatehouse_csrf")
	r = a.do("POST", "/admin/users/"+target.ID, url.Values{"roles": {"editor, viewer"}, "active": {"1"}, "current_password": {testPassword}, "csrf": {csrf}})
	if r.status != 303 {
		t.Fatalf("admin save: %d %s", r.status, r.body)
	}
	if got := h.user(target.ID); len(got.Roles) != 2 || got.Roles[1] != "viewer" || got.Verified {
		t.Fatalf("saved %v verified=%v", got.Roles, got.Verified)
	}
	r = a.do("POST", "/admin/users/"+target.ID, url.Values{"roles": {""}, "current_password": {testPassword}, "csrf": {csrf}})
	if r.status != 303 || h.user(target.ID).Active {
		t.Fatal("disable failed")
	}
	e := h.client()
	e.formLogin("emp@example.test", testPassword, "")
	if r := e.do("GET", "/admin", nil); r.status != 303 {
		// not logged in (disabled): sent to login
		t.Fatalf("disabled user reached admin: %d", r.status)
	}
	r = a.do("POST", "/admin/users/"+target.ID+"/delete", url.Values{"current_password": {testPassword}, "csrf": {csrf}})
	if r.status != 303 {
		t.Fatalf("delete: %d", r.status)
	}
	h2 := h.client()
	h.addUser("plain@example.test", false)
	h2.formLogin("plain@example.test", testPassword, "")
	if r := h2.do("GET", "/admin", nil); r.status != 403 {
		t.Fatalf("non-admin: %d", r.status)
	}
}

func TestSetupPage(t *testing.T) {
	const tok = "setup-token-0123456789abcdef"
	h := newHarness(t, func(o *loginui.Options) { o.SetupToken = tok })
	c := h.client()
	if r := c.do("GET", "/setup?token=wrong", nil); r.status != 404 {
		t.Fatalf("wrong token: %d", r.status)
	}
	r := c.do("GET", "/setup?token="+tok, nil)
	if r.status != 200 {
		t.Fatalf("setup page: %d", r.status)
	}
	form := url.Values{"token": {tok}, "email": {"first@example.test"}, "password": {"short"}, "csrf": {c.cookie("gatehouse_csrf")}}
	if r := c.do("POST", "/setup", form); r.status != 400 {
		t.Fatalf("short password: %d", r.status)
	}
	form.Set("password", testPassword)
	r = c.do("POST", "/setup", form)
	if r.status != 303 || r.header.Get("Location") != "/account?done=setup" {
		t.Fatalf("setup: %d %s", r.status, r.body)
	}
	u, err := h.store.GetUserByEmail(t.Context(), "first@example.test")
	if err != nil || !u.Superuser || !u.Verified {
		t.Fatalf("admin not created: %v", err)
	}
	wantStatus(t, c.do("GET", "/api/users", nil), 200, "")
	// Single use.
	c2 := h.client()
	if r := c2.do("GET", "/setup?token="+tok, nil); r.status != 404 {
		t.Fatalf("second use page: %d", r.status)
	}
	form.Set("email", "second@example.test")
	form.Set("csrf", c.cookie("gatehouse_csrf"))
	if r := c.do("POST", "/setup", form); r.status != 404 {
		t.Fatalf("second use: %d", r.status)
	}
}

func TestSetupTokenExpires(t *testing.T) {
	const tok = "setup-token-expiring-0123456789"
	var h *harness
	h = newHarness(t, func(o *loginui.Options) {
		o.SetupToken = tok
		o.SetupTokenExpires = time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC)
	})
	if r := h.client().do("GET", "/setup?token="+tok, nil); r.status != 200 {
		t.Fatalf("before expiry: %d", r.status)
	}
	h.clock.Advance(2 * time.Hour)
	if r := h.client().do("GET", "/setup?token="+tok, nil); r.status != 404 {
		t.Fatalf("after expiry: %d", r.status)
	}
	h2 := newHarness(t, nil)
	if r := h2.client().do("GET", "/setup?token=", nil); r.status != 404 {
		t.Fatalf("disabled: %d", r.status)
	}
}

func TestRegisterVerifyResetPages(t *testing.T) {
	h := newHarness(t, nil)
	c := h.client()
	c.do("GET", "/register", nil)
	r := c.do("POST", "/register", url.Values{"email": {"pg@example.test"}, "password": {testPassword}, "csrf": {c.cookie("gatehouse_csrf")}})
	if r.status != 202 {
		t.Fatalf("register page: %d", r.status)
	}
	link := h.mail.next(t, loginui.EventVerify).Link
	u, _ := url.Parse(link)
	r = c.do("GET", u.RequestURI(), nil)
	if r.status != 200 || !strings.Contains(string(r.body), `name="token"`) {
		t.Fatalf("verify page %d", r.status)
	}
	r = c.do("POST", "/verify", url.Values{"token": {u.Query().Get("token")}, "csrf": {c.cookie("gatehouse_csrf")}})
	if r.status != 200 || !strings.Contains(string(r.body), "confirmed") {
		t.Fatalf("verify post %d", r.status)
	}
	c.do("GET", "/forgot-password", nil)
	r = c.do("POST", "/forgot-password", url.Values{"email": {"pg@example.test"}, "csrf": {c.cookie("gatehouse_csrf")}})
	if r.status != 202 {
		t.Fatalf("forgot page %d", r.status)
	}
	rl, _ := url.Parse(h.mail.next(t, loginui.EventReset).Link)
	c.do("GET", rl.RequestURI(), nil)
	r = c.do("POST", "/reset-password", url.Values{"token": {rl.Query().Get("token")}, "password": {"my fresh password"}, "csrf": {c.cookie("gatehouse_csrf")}})
	if r.status != 200 {
		t.Fatalf("reset page %d %s", r.status, r.body)
	}
	if r := c.formLogin("pg@example.test", "my fresh password", ""); r.status != 303 {
		t.Fatalf("login after reset: %d", r.status)
	}
}
