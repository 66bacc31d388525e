package redirect_test

import (
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

func FuzzPolicy(f *testing.F) {
	for _, c := range policytest.Redirect {
		f.Add(c.URL)
	}
	p := redirect.New(false, "example.test", "auth.portal.test")
	f.Fuzz(func(t *testing.T, u string) {
		if !p.ValidString(u) {
			return
		}
		lo := strings.ToLower(u)
		if !strings.HasPrefix(lo, "https://") || strings.ContainsAny(u, "@\\ \t\r\n") || len(u) > redirect.MaxLen {
			t.Fatalf("accepted %q", u)
		}
		rest := lo[len("https://"):]
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			rest = rest[:i]
		}
		if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.HasSuffix(rest, "]") {
			rest = rest[:i]
		}
		if rest != "auth.portal.test" && rest != "example.test" && !strings.HasSuffix(rest, ".example.test") {
			t.Fatalf("accepted %q for host %q", u, rest)
		}
	})
}
