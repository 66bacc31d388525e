package verifier

import (
	"net/url"
	"strings"
	"testing"
)

func TestRedirectPolicy(t *testing.T) {
	prod := redirectPolicy{cookieDomain: "example.test", publicHost: "auth.portal.test"}
	dev := redirectPolicy{dev: true, cookieDomain: "example.test", publicHost: "127.0.0.1"}
	cases := []struct {
		p    *redirectPolicy
		u    string
		want bool
	}{
		{&prod, "https://example.test/", true},
		{&prod, "https://app.example.test/a?b=c#d", true},
		{&prod, "https://APP.EXAMPLE.TEST:8443/a", true},
		{&prod, "https://auth.portal.test/account", true},
		{&prod, "https://app.example.test", true},
		{&prod, "https://app.example.test/%3A?t=12%3A00", true},
		{&prod, "http://app.example.test/", false},
		{&prod, "https://evil.test/", false},
		{&prod, "https://evilexample.test/", false},
		{&prod, "https://example.test.evil.test/", false},
		{&prod, "https://user@app.example.test/", false},
		{&prod, "https://app.example.test@evil.test/", false},
		{&prod, "https://app.example.test//evil.test/", false},
		{&prod, "//evil.test/", false},
		{&prod, "/relative", false},
		{&prod, "https://app.example.test\\@evil.test/", false},
		{&prod, "https://app.example.test/\\evil", false},
		{&prod, "https://app.example.test/\x00", false},
		{&prod, "https://app.example.test/a\r\nLocation: x", false},
		{&prod, "https://app.example.test/ space", false},
		{&prod, "https://app.example.test/%2F%2Fevil.test", false},
		{&prod, "https://app.example.test/%5Cevil", false},
		{&prod, "https://app.example.test/%252F", false},
		{&prod, "https://app.example.test/%0d%0a", false},
		{&prod, "https://app.example.test/%zz", false},
		{&prod, "https%3A%2F%2Fevil.test", false},
		{&prod, "javascript:alert(1)", false},
		{&prod, "https://app.example.test:99999/", false},
		{&prod, "https://%61pp.example.test/", false},
		{&prod, "https://" + strings.Repeat("a", 5000) + ".example.test/", false},
		{&dev, "http://localhost:3000/x", true},
		{&dev, "http://127.0.0.1/x", true},
		{&dev, "http://[::1]:8080/x", true},
		{&dev, "http://app.example.test/x", false},
		{&dev, "http://localhost.evil.test/x", false},
		{&dev, "https://app.example.test/x", true},
		{&prod, "http://localhost:3000/x", false},
	}
	for _, c := range cases {
		if got := c.p.valid([]byte(c.u)); got != c.want {
			t.Errorf("valid(%q, dev=%v) = %v, want %v", c.u, c.p.dev, got, c.want)
		}
	}
}

// FuzzRedirectTarget: whatever the policy accepts parses as an absolute
// URL on an allowed host, without userinfo, backslashes or control bytes.
func FuzzRedirectTarget(f *testing.F) {
	for _, s := range []string{"https://app.example.test/x", "https://u@h/", "http://localhost:1/", "https://a.example.test//evil", "https://a.example.test/%2f", "https:\\\\evil"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, u string, devMode bool) {
		p := redirectPolicy{dev: devMode, cookieDomain: "example.test", publicHost: "auth.portal.test"}
		if !p.valid([]byte(u)) {
			return
		}
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatalf("accepted unparsable %q: %v", u, err)
		}
		if pu.User != nil || pu.Opaque != "" || strings.ContainsAny(u, "\\\x00\r\n\t ") {
			t.Fatalf("accepted %q", u)
		}
		host := strings.ToLower(pu.Hostname())
		switch pu.Scheme {
		case "https":
			if host != "example.test" && !strings.HasSuffix(host, ".example.test") && host != "auth.portal.test" {
				t.Fatalf("accepted foreign host %q in %q", host, u)
			}
		case "http":
			if !devMode || (host != "localhost" && host != "127.0.0.1" && host != "::1") {
				t.Fatalf("accepted http %q", u)
			}
		default:
			t.Fatalf("accepted scheme %q", pu.Scheme)
		}
		if strings.HasPrefix(pu.Path, "//") {
			t.Fatalf("accepted network-path %q", u)
		}
		// Escaping for the rd parameter round-trips.
		esc := appendQueryEscape(nil, []byte(u))
		back, err := url.QueryUnescape(string(esc))
		if err != nil || back != u {
			t.Fatalf("escape round-trip %q -> %q", u, esc)
		}
	})
}
