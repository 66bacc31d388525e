package loginui_test

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/signing"
)

var (
	reSecret   = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+)</code>`)
	reURI      = regexp.MustCompile(`<code id="totp-uri">([^<]+)</code>`)
	reEnrolTok = regexp.MustCompile(`name="enrollment_token" value="([^"]+)"`)
	reCodeLi   = regexp.MustCompile(`<li><code>([0-9a-f]{28})</code></li>`)
)

func TestTOTPPagesLoginFlow(t *testing.T) {
	h := newHarness(t, withTOTP(t, nil))
	_, sec, codes := h.totpUser("page2fa@example.test", false)
	rd := "http://127.0.0.1:8080/app?x=1"
	c := h.client()
	r := c.formLogin("page2fa@example.test", testPassword, rd)
	if r.status != 303 || r.header.Get("Location") != "/2fa?rd="+url.QueryEscape(rd) {
		t.Fatalf("password step: %d %q", r.status, r.header.Get("Location"))
	}
	if c.cookie("gatehouse_session") != "" {
		t.Fatal("a session was issued before the second step")
	}
	for _, ck := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(ck, "gatehouse_session_2fa=") && (!strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "Path=/2fa") || !strings.Contains(ck, "SameSite=Strict")) {
			t.Fatalf("pending cookie attributes: %s", ck)
		}
	}
	r = c.do("GET", "/2fa?rd="+url.QueryEscape(rd), nil)
	body := string(r.body)
	if r.status != 200 || !strings.Contains(body, `<label for="code">`) || !strings.Contains(body, `value="`+html.EscapeString(rd)+`"`) {
		t.Fatalf("2fa page: %d %s", r.status, body)
	}
	post := func(code, csrf string) resp {
		return c.do("POST", "/2fa", url.Values{"code": {code}, "rd": {rd}, "csrf": {csrf}})
	}
	r = post(h.code(sec), "forged")
	if r.status != 403 {
		t.Fatalf("bad csrf: %d", r.status)
	}
	r = post("000000", c.cookie("gatehouse_csrf"))
	if r.status != 400 || !strings.Contains(string(r.body), `role="alert"`) || !strings.Contains(string(r.body), `aria-invalid="true"`) {
		t.Fatalf("wrong code: %d", r.status)
	}
	r = post(codes[9], c.cookie("gatehouse_csrf"))
	if r.status != 303 || r.header.Get("Location") != rd {
		t.Fatalf("second step: %d %q %s", r.status, r.header.Get("Location"), r.body)
	}
	if c.cookie("gatehouse_session") == "" {
		t.Fatal("no session after the second step")
	}
	// The pending login is spent.
	r = post(h.code(sec), c.cookie("gatehouse_csrf"))
	if r.status != 303 && r.status != 400 {
		t.Fatalf("after use: %d", r.status)
	}
	// Without a pending login /2fa sends the visitor to log in.
	r = h.client().do("GET", "/2fa", nil)
	if r.status != 303 || r.header.Get("Location") != "/login" {
		t.Fatalf("no pending login: %d %q", r.status, r.header.Get("Location"))
	}
	// A hostile rd is dropped and the login lands at home.
	d := h.client()
	r = d.formLogin("page2fa@example.test", testPassword, "https://evil.example/")
	if r.header.Get("Location") != "/2fa" {
		t.Fatalf("hostile rd kept: %q", r.header.Get("Location"))
	}
	r = d.do("POST", "/2fa", url.Values{"code": {h.code(sec)}, "rd": {"https://evil.example/"}, "csrf": {d.cookie("gatehouse_csrf")}})
	if r.status != 303 || strings.Contains(r.header.Get("Location"), "evil") {
		t.Fatalf("hostile rd: %d %q", r.status, r.header.Get("Location"))
	}
}

func TestTOTPPagesAccountSection(t *testing.T) {
	h := newHarness(t, withTOTP(t, nil))
	u := h.addUser("sect@example.test", false)
	c := h.client()
	c.login("sect@example.test", testPassword)
	form := func(path string, v url.Values) resp {
		v.Set("csrf", c.cookie("gatehouse_csrf"))
		return c.do("POST", path, v)
	}
	r := form("/account/2fa/enable", url.Values{})
	body := string(r.body)
	ms, mu, mt := reSecret.FindStringSubmatch(body), reURI.FindStringSubmatch(body), reEnrolTok.FindStringSubmatch(body)
	if r.status != 200 || ms == nil || mu == nil || mt == nil {
		t.Fatalf("enable page: %d", r.status)
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "chart.googleapis") || strings.Count(body, "<img") != strings.Count(body, `<img id="totp-qr" src="data:image/png;base64,`) {
		t.Fatal("enrollment page uses scripts or an external QR service")
	}
	if !strings.Contains(html.UnescapeString(mu[1]), "secret="+ms[1]) {
		t.Fatal("URI does not carry the secret")
	}
	sec, err := signing.DecodeTOTPSecret(ms[1])
	if err != nil {
		t.Fatal(err)
	}
	r = form("/account/2fa/confirm", url.Values{"enrollment_token": {mt[1]}, "code": {"000000"}})
	if r.status != 400 || reSecret.FindStringSubmatch(string(r.body)) == nil || !strings.Contains(string(r.body), `role="alert"`) {
		t.Fatalf("wrong code: %d", r.status)
	}
	r = form("/account/2fa/confirm", url.Values{"enrollment_token": {mt[1]}, "code": {h.code(sec)}})
	codes := reCodeLi.FindAllStringSubmatch(string(r.body), -1)
	if r.status != 200 || len(codes) != 10 {
		t.Fatalf("confirm: %d, %d codes", r.status, len(codes))
	}
	if !h.user(u.ID).TOTPEnabled {
		t.Fatal("TOTP not on")
	}
	r = c.do("GET", "/account", nil)
	if b := string(r.body); reCodeLi.MatchString(b) || reSecret.MatchString(b) || !strings.Contains(b, "Recovery codes left: 10") {
		t.Fatal("account page shows codes or the secret again, or the wrong count")
	}
	// Step-up, regenerate within the window, then disable.
	r = form("/account/2fa/step-up", url.Values{"code": {"000000"}})
	if r.status != 400 {
		t.Fatalf("bad step-up code: %d", r.status)
	}
	r = form("/account/2fa/step-up", url.Values{"code": {h.code(sec)}})
	if r.status != 303 || r.header.Get("Location") != "/account?done=stepup" {
		t.Fatalf("step-up: %d", r.status)
	}
	r = form("/account/2fa/regenerate", url.Values{})
	if got := reCodeLi.FindAllStringSubmatch(string(r.body), -1); r.status != 200 || len(got) != 10 || got[0][1] == codes[0][1] {
		t.Fatalf("regenerate: %d", r.status)
	}
	r = form("/account/2fa/disable", url.Values{"current_password": {"wrong password!!"}})
	if r.status != 400 || !h.user(u.ID).TOTPEnabled {
		t.Fatalf("disable with a wrong password: %d", r.status)
	}
	r = form("/account/2fa/disable", url.Values{"current_password": {testPassword}})
	if r.status != 303 || r.header.Get("Location") != "/account?done=totp_off" || h.user(u.ID).TOTPEnabled {
		t.Fatalf("disable: %d", r.status)
	}
	// CSRF is checked on every account form.
	r = c.do("POST", "/account/2fa/enable", url.Values{"csrf": {"forged"}}, "X-CSRF-Token", "")
	if r.status != 403 {
		t.Fatalf("forged csrf: %d", r.status)
	}
}
