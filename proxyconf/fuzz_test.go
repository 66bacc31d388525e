package proxyconf_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/proxyconf"
)

// FuzzRenderValues feeds arbitrary flag values to every format. Render
// must either refuse them or accept only values that cannot break out of
// the token they are written into.
func FuzzRenderValues(f *testing.F) {
	f.Add("app.example.test", "http://127.0.0.1:8080", "127.0.0.1:9091", ":80", "Remote-User")
	f.Add("a;b", "http://x/\n", "h:1", "0.0.0.0:1", "X_Y")
	f.Add("app`)||Host(`x", "https://u@h:1", "[::1]:1", "1.2.3.4:65535", "A-b-C")
	f.Fuzz(func(t *testing.T, host, upstream, verifier, listen, header string) {
		p := proxyconf.Params{AppHost: host, Upstream: upstream, VerifierAddr: verifier, Listen: listen, IdentityHeaders: []string{header}}
		for _, name := range append(proxyconf.Names(), proxyconf.Variants()...) {
			out, err := proxyconf.Render(name, p)
			if err != nil {
				continue
			}
			if len(out) == 0 {
				t.Fatalf("%s: empty output", name)
			}
			for _, v := range []string{host, upstream, verifier, listen, header} {
				if strings.ContainsAny(v, "\r\n\t \"'`;{}$\\#%") {
					t.Fatalf("%s: accepted value %q with a special character", name, v)
				}
			}
		}
	})
}
