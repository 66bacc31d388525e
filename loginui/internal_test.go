package loginui

import (
	"github.com/gatehouse/gatehouse/internal/accounts"
	rdpolicy "github.com/gatehouse/gatehouse/internal/redirect"
	"github.com/gatehouse/gatehouse/keystore"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// testPortal builds a Portal with only what the pure helpers need.
func testPortal(t testing.TB, dev bool) *Portal {
	t.Helper()
	pub, err := parsePublicURL("https://auth.example.test")
	if err != nil {
		t.Fatal(err)
	}
	o := Options{CookieDomain: "example.test", Development: dev, Now: time.Now, TrustedHops: 1}
	o.withDefaults()
	return &Portal{o: o, public: pub, csrfKey: []byte("0123456789abcdef0123456789abcdef")}
}

// TestSafeRedirectRefusesOpenRedirects: hostile rd values land on the
// portal home.
func TestSafeRedirectRefusesOpenRedirects(t *testing.T) {
	p := testPortal(t, false)
	dev := testPortal(t, true)
	cases := []struct {
		rd   string
		ok   bool
		dev  bool
		want string
	}{
		{rd: "https://app.example.test/x?y=1", ok: true},
		{rd: "https://example.test/", ok: true},
		{rd: "https://a.b.example.test:8443/p", ok: true},
		{rd: "https://auth.example.test/account", ok: true},
		{rd: "HTTPS://APP.EXAMPLE.TEST/", ok: true},
		{rd: "http://app.example.test/", ok: false},
		{rd: "http://127.0.0.1:8080/x", ok: false},
		{rd: "http://127.0.0.1:8080/x", ok: true, dev: true},
		{rd: "http://localhost/", ok: true, dev: true},
		{rd: "http://[::1]:9/", ok: true, dev: true},
		{rd: "http://evil.test/", ok: false, dev: true},
		{rd: "https://evil.test/"},
		{rd: "https://example.test.evil.test/"},
		{rd: "https://evilexample.test/"},
		{rd: "https://app.example.test@evil.test/"},
		{rd: "https://user:pw@app.example.test/"},
		{rd: "//evil.test/"},
		{rd: "/relative"},
		{rd: "https:/\\evil.test"},
		{rd: "https://evil.test\\@app.example.test/"},
		{rd: "https://app.example.test\t.evil.test/"},
		{rd: "https://app.example.test%2f@evil.test/"},
		{rd: "https%3A%2F%2Fevil.test"},
		{rd: "javascript:alert(1)"},
		{rd: "data:text/html,hi"},
		{rd: "https://app.example.test./"},
		{rd: "https://app.example.test:abc/"},
		{rd: "https://\u00e9vil.test/"},
		{rd: "https:///evil.test"},
		{rd: "https://app.example.test/\x00"},
		{rd: "https://app.example.test/" + strings.Repeat("a", 5000)},
		{rd: ""},
	}
	for _, tc := range cases {
		pp := p
		if tc.dev {
			pp = dev
		}
		got, ok := pp.safeRedirect(tc.rd)
		if ok != tc.ok {
			t.Errorf("safeRedirect(%q) = %q, %v; want ok=%v", tc.rd, got, ok, tc.ok)
		}
	}
}

// FuzzSafeRedirect: whatever is accepted is an absolute http(s) URL on an
// allowed host without userinfo.
func FuzzSafeRedirect(f *testing.F) {
	for _, s := range []string{"https://app.example.test/", "//evil", "https://a@b", "http://127.0.0.1:1/", "https://x.example.test\\@e"} {
		f.Add(s)
	}
	p := testPortal(f, true)
	f.Fuzz(func(t *testing.T, rd string) {
		got, ok := p.safeRedirect(rd)
		if !ok {
			return
		}
		u, err := url.Parse(got)
		if err != nil || u.User != nil || (u.Scheme != "https" && u.Scheme != "http") {
			t.Fatalf("accepted %q -> %q", rd, got)
		}
		h := strings.ToLower(u.Hostname())
		if u.Scheme == "http" && !rdpolicy.IsLoopbackHost(h) {
			t.Fatalf("accepted http to %q", h)
		}
		if u.Scheme == "https" && !(h == "example.test" || strings.HasSuffix(h, ".example.test")) {
			t.Fatalf("accepted https to %q", h)
		}
	})
}

func TestClientIP(t *testing.T) {
	p := testPortal(t, false)
	for _, tc := range []struct {
		remote, xff, want string
	}{
		{"127.0.0.1:5", "203.0.113.9", "203.0.113.9"},
		{"127.0.0.1:5", "198.51.100.1, 203.0.113.9", "203.0.113.9"},
		{"127.0.0.1:5", "garbage", "unknown:127.0.0.1"},
		{"192.0.2.7:5", "203.0.113.9", "192.0.2.7"},
		{"127.0.0.1:5", "", "unknown:127.0.0.1"},
		{"[::ffff:127.0.0.1]:5", "2001:db8::1", "2001:db8::1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := p.clientIP(r); got != tc.want {
			t.Errorf("clientIP(%s, %q) = %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
}

func TestValidEmailAndRoles(t *testing.T) {
	for _, s := range []string{"a@b", "x.y+z@example.test"} {
		if !keystore.ValidEmail(s) {
			t.Errorf("refused %q", s)
		}
	}
	for _, s := range []string{"", "ab", "a@", "@b", "a@b@c", "a b@c", "a@b\r\nBcc: x", "<a@b>", strings.Repeat("a", 250) + "@b.test"} {
		if keystore.ValidEmail(s) {
			t.Errorf("accepted %q", s)
		}
	}
	if !accounts.ValidRoles([]string{"admin", "team:ops", "a.b-c_d"}) || accounts.ValidRoles([]string{"a b"}) || accounts.ValidRoles([]string{""}) {
		t.Fatal("role validation")
	}
}

var _ http.Handler = (*Portal)(nil)
