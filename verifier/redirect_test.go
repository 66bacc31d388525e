package verifier

import (
	"net/url"
	"testing"

	"github.com/gatehouse/gatehouse/internal/redirect"
)

// FuzzRedirectTarget: whatever the shared policy accepts survives the
// verifier's escaping for the rd parameter unchanged. (The policy itself
// is tested in internal/redirect.)
func FuzzRedirectTarget(f *testing.F) {
	for _, s := range []string{"https://app.example.test/x", "https://u@h/", "http://localhost:1/", "https://a.example.test/%3A?x=%20#y"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, u string, devMode bool) {
		p := redirect.New(devMode, "example.test", "auth.portal.test")
		if !p.ValidString(u) {
			return
		}
		esc := appendQueryEscape(nil, []byte(u))
		back, err := url.QueryUnescape(string(esc))
		if err != nil || back != u {
			t.Fatalf("escape round-trip %q -> %q", u, esc)
		}
	})
}
