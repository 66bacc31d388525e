package loginui_test

import (
	"encoding/base64"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/boombuler/barcode/qr"

	"github.com/gatehouse/gatehouse/loginui/internal/qrcheck"
)

var (
	reQRImg    = regexp.MustCompile(`<img id="totp-qr" src="data:image/png;base64,([^"]+)"`)
	reKeyGroup = regexp.MustCompile(`<code id="totp-key-groups" class="totp-key">([A-Z2-7 ]+)</code>`)
)

// TestTOTPEnrolmentPageShowsTheQRCodeOfExactlyTheURI: the enrolment page
// inlines a PNG whose QR modules are those of exactly the otpauth URI it
// shows in full (level M, automatic mode, 4-module quiet zone, checked by
// qrcheck against boombuler's matrix instead of a QR decoder), the key in
// blocks of four, and the issuer and account labels; no script.
func TestTOTPEnrolmentPageShowsTheQRCodeOfExactlyTheURI(t *testing.T) {
	h := newHarness(t, withTOTP(t, nil))
	h.addUser("qr@example.test", false)
	c := h.client()
	c.login("qr@example.test", testPassword)
	form := func(path string, v url.Values) resp {
		v.Set("csrf", c.cookie("gatehouse_csrf"))
		return c.do("POST", path, v)
	}
	check := func(name string, r resp) {
		t.Helper()
		body := string(r.body)
		ms, mu, mq, mg := reSecret.FindStringSubmatch(body), reURI.FindStringSubmatch(body), reQRImg.FindStringSubmatch(body), reKeyGroup.FindStringSubmatch(body)
		if ms == nil || mu == nil || mq == nil || mg == nil {
			t.Fatalf("%s: %d, secret %v uri %v qr %v groups %v", name, r.status, ms != nil, mu != nil, mq != nil, mg != nil)
		}
		uri := html.UnescapeString(mu[1])
		if !strings.HasPrefix(uri, "otpauth://totp/Gatehouse%20Test:qr@example.test?") || !strings.Contains(uri, "secret="+ms[1]) {
			t.Fatalf("%s: uri %s", name, uri)
		}
		p, err := base64.StdEncoding.DecodeString(html.UnescapeString(mq[1]))
		if err != nil {
			t.Fatal(err)
		}
		if err := qrcheck.PNGIsText(p, uri, qr.M, qr.Auto, 4); err != nil {
			t.Fatalf("%s: QR image: %v", name, err)
		}
		if strings.ReplaceAll(mg[1], " ", "") != ms[1] || len(strings.Fields(mg[1])[0]) != 4 {
			t.Fatalf("%s: grouped key %q", name, mg[1])
		}
		for _, b := range strings.Fields(mg[1]) {
			if len(b) > 4 {
				t.Fatalf("%s: block %q", name, b)
			}
		}
		if !strings.Contains(body, `<strong id="totp-issuer">Gatehouse Test</strong>`) || !strings.Contains(body, `<strong id="totp-account">qr@example.test</strong>`) {
			t.Fatalf("%s: labels missing", name)
		}
		if !strings.Contains(body, `<pre class="totp-wrap"><code id="totp-uri">`) || strings.Contains(body, "<script") {
			t.Fatalf("%s: URI box or a script", name)
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data:;") || !strings.Contains(csp, "default-src 'none'") {
			t.Fatalf("%s: CSP %q", name, csp)
		}
	}
	r := form("/account/2fa/enable", url.Values{})
	check("enable", r)
	mt := reEnrolTok.FindStringSubmatch(string(r.body))
	// A wrong code shows the same key and QR code again.
	r = form("/account/2fa/confirm", url.Values{"enrollment_token": {mt[1]}, "code": {"000000"}})
	if r.status != 400 {
		t.Fatalf("wrong code: %d", r.status)
	}
	check("retry", r)
}

// TestCSPDataImagesOnlyOnTheEnrolmentPage: img-src data: is sent with the
// enrolment page and nowhere else (other pages, the JSON enrolment, a
// failed form, static files).
func TestCSPDataImagesOnlyOnTheEnrolmentPage(t *testing.T) {
	h := newHarness(t, withTOTP(t, nil))
	h.addUser("csp@example.test", false)
	c := h.client()
	c.login("csp@example.test", testPassword)
	strict := func(name string, r resp) {
		t.Helper()
		csp := r.header.Get("Content-Security-Policy")
		if strings.Contains(csp, "data:") || !strings.Contains(csp, "img-src 'self';") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: CSP %q", name, csp)
		}
	}
	for _, path := range []string{"/login", "/account", "/register", "/static/style.css", "/2fa", "/api/users/me", "/api/nope"} {
		strict("GET "+path, c.do("GET", path, nil))
	}
	strict("JSON enable", c.do("POST", "/api/auth/2fa/enable", map[string]string{}))
	strict("bad confirm token", c.do("POST", "/account/2fa/confirm", url.Values{"csrf": {c.cookie("gatehouse_csrf")}, "enrollment_token": {"x"}, "code": {"123456"}}))
	strict("enable without a session", h.client().do("POST", "/account/2fa/enable", url.Values{}))
	if r := c.do("POST", "/account/2fa/enable", url.Values{"csrf": {c.cookie("gatehouse_csrf")}}); !strings.Contains(r.header.Get("Content-Security-Policy"), "img-src 'self' data:;") {
		t.Fatalf("enrolment page CSP %q", r.header.Get("Content-Security-Policy"))
	}
	// The relaxed policy of one answer does not stick to the next.
	strict("GET /account after enrolment", c.do("GET", "/account", nil))
}
