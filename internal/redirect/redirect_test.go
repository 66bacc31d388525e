package redirect_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/policytest"
	"github.com/gatehouse/gatehouse/internal/redirect"
)

func TestPolicy(t *testing.T) {
	prod := redirect.New(false, ".Example.test", "Auth.Portal.test:8443")
	dev := redirect.New(true, "example.test", "127.0.0.1")
	for _, c := range policytest.Redirect {
		p := prod
		if c.Dev {
			p = dev
		}
		if got := p.ValidString(c.URL); got != c.Want {
			t.Errorf("ValidString(%q, dev=%v) = %v, want %v", c.URL, c.Dev, got, c.Want)
		}
		if got := p.Valid([]byte(c.URL)); got != c.Want {
			t.Errorf("Valid(%q, dev=%v) = %v, want %v", c.URL, c.Dev, got, c.Want)
		}
	}
}

// '@' after the authority is no userinfo; the browser stays on the host.
func TestAtSignInFragmentIsNoUserinfo(t *testing.T) {
	p := redirect.New(false, "example.test", "")
	if !p.ValidString("https://app.example.test/#@evil.test") || p.ValidString("https://app.example.test#@evil.test@x") == false {
		t.Fatal("refused a fragment with '@'")
	}
}

func TestValidZeroAllocs(t *testing.T) {
	p := redirect.New(false, "example.test", "auth.example.test")
	u := []byte("https://app.example.test:8443/a/b?c=d#e")
	n := testing.AllocsPerRun(200, func() {
		if !p.Valid(u) {
			t.Fatal("refused")
		}
	})
	if n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

// FuzzPolicy: whatever the policy accepts parses (net/url) as an
// absolute URL on an allowed host, without userinfo, backslashes, white
// space or control bytes, and no network-path after the authority.
func FuzzPolicy(f *testing.F) {
	for _, c := range policytest.Redirect {
		f.Add(c.URL, c.Dev)
	}
	f.Fuzz(func(t *testing.T, u string, dev bool) {
		p := redirect.New(dev, "example.test", "auth.portal.test")
		if !p.ValidString(u) {
			return
		}
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatalf("accepted unparsable %q: %v", u, err)
		}
		if pu.User != nil || pu.Opaque != "" || len(u) > redirect.MaxLen || strings.ContainsAny(u, "\\\x00\r\n\t ") {
			t.Fatalf("accepted %q", u)
		}
		host := strings.ToLower(pu.Hostname())
		switch strings.ToLower(pu.Scheme) {
		case "https":
			if host != "example.test" && !strings.HasSuffix(host, ".example.test") && host != "auth.portal.test" {
				t.Fatalf("accepted foreign host %q in %q", host, u)
			}
		case "http":
			if !dev || (host != "localhost" && host != "127.0.0.1" && host != "::1") {
				t.Fatalf("accepted http %q", u)
			}
		default:
			t.Fatalf("accepted scheme %q", pu.Scheme)
		}
		if strings.HasPrefix(pu.Path, "//") {
			t.Fatalf("accepted network-path %q", u)
		}
	})
}
