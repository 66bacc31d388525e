package loginui_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/webauthntest"
	"github.com/gatehouse/gatehouse/loginui"
)

var (
	reOptions = regexp.MustCompile(`<form id="(passkey-[a-z]+-form)" method="post" action="([^"]+)" data-options="([^"]*)">`)
	reState   = regexp.MustCompile(`name="state" value="([^"]*)"`)
)

// pageCeremony is the ceremony a page's passkey form carries.
func pageCeremony(t *testing.T, r resp, formID string) (options []byte, state, action string) {
	t.Helper()
	m := reOptions.FindSubmatch(r.body)
	if m == nil || string(m[1]) != formID {
		t.Fatalf("no %s on the page: %s", formID, r.body)
	}
	s := reState.FindSubmatch(r.body[strings.Index(string(r.body), string(m[0])):])
	if s == nil {
		t.Fatal("no state field")
	}
	return []byte(html.UnescapeString(string(m[3]))), html.UnescapeString(string(s[1])), string(m[2])
}

const scriptSrc = "script-src 'self'; connect-src 'self'"

// TestPasskeyScriptCSPOnlyOnPagesThatIncludeIt: the pages that run the
// passkey script get script-src 'self'; every other page keeps the
// policy it had, and a portal without passkeys has no script anywhere.
func TestPasskeyScriptCSPOnlyOnPagesThatIncludeIt(t *testing.T) {
	plain := newHarness(t, withTOTP(t, nil))
	base := plain.client().do("GET", "/login", nil)
	strict := base.header.Get("Content-Security-Policy")
	if strings.Contains(strict, "script-src") || strings.Contains(string(base.body), "<script") || strings.Contains(string(base.body), "webauthn") {
		t.Fatalf("a portal without passkeys has a script: %s", strict)
	}

	h := newHarness(t, withPasskeys(t, nil))
	h.addUser("csp@example.test", false)
	c := h.client()
	strict = c.do("GET", "/logout", nil).header.Get("Content-Security-Policy")
	if strict != strings.Replace(base.header.Get("Content-Security-Policy"), plain.srv.URL, h.srv.URL, 1) {
		t.Fatalf("pages without the script changed their policy: %q", strict)
	}
	login := c.do("GET", "/login", nil)
	if got := login.header.Get("Content-Security-Policy"); got != strings.Replace(strict, "default-src 'none';", "default-src 'none'; "+scriptSrc+";", 1) {
		t.Fatalf("login page CSP %q", got)
	}
	for _, want := range []string{`<script src="/static/passkey.js" defer></script>`, `autocomplete="username webauthn"`, `id="passkey-login"`} {
		if !strings.Contains(string(login.body), want) {
			t.Errorf("login page lacks %s", want)
		}
	}
	c.login("csp@example.test", testPassword)
	acct := c.do("GET", "/account", nil)
	if !strings.Contains(acct.header.Get("Content-Security-Policy"), scriptSrc) || !strings.Contains(string(acct.body), `id="passkey-add"`) {
		t.Fatalf("account page: %q", acct.header.Get("Content-Security-Policy"))
	}
	// The TOTP enrolment page keeps img-src data: and gets the script.
	r := c.do("POST", "/account/2fa/enable", url.Values{"csrf": {c.cookie("gatehouse_csrf")}})
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data:") || !strings.Contains(csp, scriptSrc) {
		t.Fatalf("enrolment page CSP %q", csp)
	}
	for _, path := range []string{"/logout", "/static/style.css", "/api/auth/webauthn/credentials", "/2fa"} {
		r := c.do("GET", path, nil)
		if csp := r.header.Get("Content-Security-Policy"); csp != strict {
			t.Errorf("%s: CSP %q, want the strict policy", path, csp)
		}
	}
	js := c.do("GET", "/static/passkey.js", nil)
	if js.status != 200 || !strings.HasPrefix(js.header.Get("Content-Type"), "text/javascript") || !strings.Contains(string(js.body), "isConditionalMediationAvailable") {
		t.Fatalf("script: %d %q", js.status, js.header.Get("Content-Type"))
	}
}

func TestPasskeyLoginPageSignsInWithoutAPassword(t *testing.T) {
	h := newHarness(t, withPasskeys(t, nil))
	h.addUser("page@example.test", false)
	c := h.client()
	c.login("page@example.test", testPassword)
	a := webauthntest.New()
	c.registerPasskey(a, "Laptop")

	b := h.client()
	opts, st, action := pageCeremony(t, b.do("GET", "/login", nil), "passkey-login-form")
	if action != "/login/passkey" {
		t.Fatalf("action %q", action)
	}
	ans, err := a.Get(opts, pkGood)
	if err != nil {
		t.Fatal(err)
	}
	// Another browser cannot post it: the ceremony is bound to this
	// page's CSRF token.
	other := h.client()
	other.do("GET", "/login", nil)
	r := other.do("POST", "/login/passkey", url.Values{"csrf": {other.cookie("gatehouse_csrf")}, "state": {st}, "credential": {string(ans)}})
	if r.status != http.StatusBadRequest || other.cookie("gatehouse_session") != "" {
		t.Fatalf("other browser: %d", r.status)
	}
	b2 := h.client()
	opts, st, _ = pageCeremony(t, b2.do("GET", "/login", nil), "passkey-login-form")
	ans, _ = a.Get(opts, pkGood)
	r = b2.do("POST", "/login/passkey", url.Values{"csrf": {b2.cookie("gatehouse_csrf")}, "state": {st}, "credential": {string(ans)}, "rd": {"http://127.0.0.1:8080/app"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "http://127.0.0.1:8080/app" || b2.cookie("gatehouse_session") == "" {
		t.Fatalf("passkey login: %d %q", r.status, r.header.Get("Location"))
	}
	b2.csrf = b2.cookie("gatehouse_csrf")
	if m := b2.currentAuthMethod(t); m != "passkey+uv" {
		t.Fatalf("auth method %q", m)
	}
	// Without the page's CSRF token the form is refused.
	b3 := h.client()
	opts, st, _ = pageCeremony(t, b3.do("GET", "/login", nil), "passkey-login-form")
	ans, _ = a.Get(opts, pkGood)
	wantStatusPage(t, b3.do("POST", "/login/passkey", url.Values{"state": {st}, "credential": {string(ans)}}), http.StatusForbidden)
}

func wantStatusPage(t *testing.T, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("got %d, want %d: %s", r.status, status, r.body)
	}
}

func TestPasskeySecondStepPage(t *testing.T) {
	h := newHarness(t, withPasskeys(t, nil))
	h.addUser("two@example.test", false)
	c := h.client()
	c.login("two@example.test", testPassword)
	a := webauthntest.New()
	c.registerPasskey(a, "Key")

	b := h.client()
	r := b.formLogin("two@example.test", testPassword, "")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/2fa") {
		t.Fatalf("password step: %d %q", r.status, r.header.Get("Location"))
	}
	page := b.do("GET", "/2fa", nil)
	if strings.Contains(string(page.body), `id="code"`) {
		t.Fatal("a user without TOTP is asked for a code")
	}
	if !strings.Contains(page.header.Get("Content-Security-Policy"), scriptSrc) || !strings.Contains(string(page.body), `id="passkey-second"`) {
		t.Fatal("no passkey on /2fa")
	}
	opts, st, action := pageCeremony(t, page, "passkey-second-form")
	ans, err := a.Get(opts, pkGood)
	if err != nil {
		t.Fatal(err)
	}
	r = b.do("POST", action, url.Values{"csrf": {b.cookie("gatehouse_csrf")}, "state": {st}, "credential": {string(ans)}})
	if r.status != http.StatusSeeOther || b.cookie("gatehouse_session") == "" {
		t.Fatalf("second step: %d %s", r.status, r.body)
	}
	b.csrf = b.cookie("gatehouse_csrf")
	if m := b.currentAuthMethod(t); m != "password+passkey" {
		t.Fatalf("auth method %q", m)
	}
}

func TestPasskeyAccountSectionRemovalNeedsStepUp(t *testing.T) {
	h := newHarness(t, withPasskeys(t, nil))
	u := h.addUser("acct@example.test", false)
	c := h.client()
	c.login("acct@example.test", testPassword)
	a := webauthntest.New()
	v := c.registerPasskey(a, "Work <laptop>")
	page := c.do("GET", "/account", nil)
	for _, want := range []string{`id="passkeys"`, "Work &lt;laptop&gt;", "never", `action="/account/passkeys/remove"`, `value="` + v.ID + `"`, `id="passkey-stepup"`} {
		if !strings.Contains(string(page.body), want) {
			t.Errorf("account page lacks %s", want)
		}
	}
	remove := url.Values{"csrf": {c.cookie("gatehouse_csrf")}, "id": {v.ID}}
	r := c.do("POST", "/account/passkeys/remove", remove)
	if r.status != http.StatusForbidden || h.passkeyCount(u.ID) != 1 {
		t.Fatalf("removal without step-up: %d", r.status)
	}
	c.stepUpWithPasskey(a)
	r = c.do("POST", "/account/passkeys/remove", remove)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/account?done=passkey_removed" || h.passkeyCount(u.ID) != 0 {
		t.Fatalf("removal: %d %q", r.status, r.header.Get("Location"))
	}
}

// TestOAuthThenPasskeyIsNotAPasswordSession: a provider login of a user
// with a passkey goes through /2fa, where the passkey completes it as
// "oauth:<provider>+passkey", which is not a password session.
func TestOAuthThenPasskeyIsNotAPasswordSession(t *testing.T) {
	s := newOAuthSetup(t, func(o *loginui.Options, p *loginui.OAuthProvider) {
		withPasskeys(t, nil)(o)
		p.AssociateByEmail = true
	})
	h := s.h
	h.addUser("alice@example.test", false)
	c := h.client()
	c.login("alice@example.test", testPassword)
	a := webauthntest.New()
	c.registerPasskey(a, "Key")

	b := h.client()
	r := b.oauthLogin(t, "idp", "")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/2fa") {
		t.Fatalf("oauth step: %d %q", r.status, r.header.Get("Location"))
	}
	opts, st, action := pageCeremony(t, b.do("GET", "/2fa", nil), "passkey-second-form")
	ans, err := a.Get(opts, pkGood)
	if err != nil {
		t.Fatal(err)
	}
	r = b.do("POST", action, url.Values{"csrf": {b.cookie("gatehouse_csrf")}, "state": {st}, "credential": {string(ans)}})
	if r.status != http.StatusSeeOther || b.cookie("gatehouse_session") == "" {
		t.Fatalf("second step: %d %s", r.status, r.body)
	}
	b.csrf = b.cookie("gatehouse_csrf")
	if m := b.currentAuthMethod(t); m != "oauth:idp+passkey" {
		t.Fatalf("auth method %q", m)
	}
	wantStatus(t, b.do("POST", "/api/auth/2fa/enable", nil), 403, loginui.CodeAuthorizationDenied)
}
