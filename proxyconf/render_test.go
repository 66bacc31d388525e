package proxyconf_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/proxyconf"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current templates")

// goldenCases covers every option that changes the output; each is
// rendered for every proxy and variant.
var goldenCases = []struct {
	suffix string
	params proxyconf.Params
}{
	{"", proxyconf.Params{}},
	{".body", proxyconf.Params{
		VerifierAddr: "10.0.0.5:9191",
		PortalURL:    "https://auth.example.com",
		AppHost:      "App.Example.com",
		Upstream:     "https://backend.internal:8443",
		Listen:       "127.0.0.1:8443",
		ForwardBody:  true,
		MaxBodyBytes: 2 << 20,
		CookieName:   "gh_sess",
		Timeout:      1500 * time.Millisecond,
		LuaPath:      "/usr/local/etc/haproxy/gh.lua",
		Namespace:    "apps",
	}},
	{".headers", proxyconf.Params{
		AppHost:         "127.0.0.1",
		Upstream:        "http://127.0.0.1:3000",
		Listen:          "127.0.0.1:8080",
		IdentityHeaders: []string{"X-Auth-User", "X-Auth-Groups", "X-Auth-Email"},
		Timeout:         250 * time.Millisecond,
	}},
}

func TestRenderGolden(t *testing.T) {
	all := append(proxyconf.Names(), proxyconf.Variants()...)
	for _, name := range all {
		for _, c := range goldenCases {
			t.Run(name+c.suffix, func(t *testing.T) {
				got, err := proxyconf.Render(name, c.params)
				if err != nil {
					t.Fatalf("Render: %v", err)
				}
				path := filepath.Join("testdata", name+c.suffix+".golden")
				if *update {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./proxyconf -update)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the template output (go test ./proxyconf -update to accept):\n%s", path, got)
				}
			})
		}
	}
}

// TestRenderStripsEveryIdentityHeader checks, per format, that each
// identity header is both removed from the client's request and copied
// from gatehouse's answer — the property the golden files must keep.
func TestRenderStripsEveryIdentityHeader(t *testing.T) {
	hs := []string{"Remote-User", "Remote-Groups", "X-Tenant-Id"}
	checkStrips(t, proxyconf.Params{IdentityHeaders: hs}, hs)
}

// TestProxyconfStripsEveryDefaultIdentityHeader: with the default header
// names (what `gatehouse proxyconf` prints for a default config) every
// template strips each client-supplied identity header, Remote-Issuer
// included, and copies gatehouse's value instead. Without this, a header
// added to the verifier's answer but not to the defaults would reach the
// upstream as the client sent it.
func TestProxyconfStripsEveryDefaultIdentityHeader(t *testing.T) {
	hs := proxyconf.DefaultIdentityHeaders()
	for _, must := range []string{"Remote-User", "Remote-Auth-Method", "Remote-Issuer", "Gatehouse-Assertion"} {
		if !slices.Contains(hs, must) {
			t.Fatalf("DefaultIdentityHeaders lacks %s: %q", must, hs)
		}
	}
	checkStrips(t, proxyconf.Params{}, hs)
}

// checkStrips renders every format with p and checks, for each of hs,
// the lines that strip the client's header and copy gatehouse's.
func checkStrips(t *testing.T, p proxyconf.Params, hs []string) {
	t.Helper()
	type check func(h string) []string
	traefikList := func(h string) []string { return []string{"- " + h + "\n"} }
	checks := map[string]check{
		"nginx": func(h string) []string {
			v := strings.ReplaceAll(strings.ToLower(h), "-", "_")
			return []string{"auth_request_set $gatehouse_" + v + " $upstream_http_" + v + ";", "proxy_set_header " + h + " $gatehouse_" + v + ";"}
		},
		"nginx-ingress":  func(h string) []string { return []string{h} },
		"traefik":        traefikList,
		"traefik-docker": func(h string) []string { return []string{h} },
		"traefik-k8s":    traefikList,
		"caddy": func(h string) []string {
			out := []string{" " + h}
			for _, s := range spellings(h) {
				out = append(out, "request_header -"+s+"\n")
			}
			return out
		},
		"envoy": func(h string) []string {
			out := []string{"- exact: " + strings.ToLower(h) + "\n"}
			for _, s := range spellings(h) {
				if !strings.Contains(s, "_") { // dropped by headers_with_underscores_action
					out = append(out, "- remove: "+strings.ToLower(s)+"\n")
				}
			}
			return out
		},
		"haproxy": func(h string) []string {
			v := strings.ReplaceAll(strings.ToLower(h), "-", "_")
			return []string{"set-header " + h + " %[var(txn.gatehouse_h_" + v + ")]"}
		},
		"haproxy-lua": func(h string) []string {
			return []string{`["` + strings.ToLower(h) + `"] = "txn.gatehouse_h_` + strings.ReplaceAll(strings.ToLower(h), "-", "_") + `"`}
		},
	}
	for _, name := range append(proxyconf.Names(), proxyconf.Variants()...) {
		c, ok := checks[name]
		if !ok {
			t.Errorf("no strip check for %s", name)
			continue
		}
		out, err := proxyconf.Render(name, p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, h := range hs {
			for _, want := range c(h) {
				if !strings.Contains(string(out), want) {
					t.Errorf("%s: header %s: missing %q", name, h, want)
				}
			}
		}
	}
}

// spellings returns h with each '-' as '-', '_' or '.', in every
// combination, plus h in upper and lower case.
func spellings(h string) []string {
	words := strings.Split(h, "-")
	all := []string{words[0]}
	for _, w := range words[1:] {
		var next []string
		for _, s := range all {
			next = append(next, s+"-"+w, s+"_"+w, s+"."+w)
		}
		all = next
	}
	return all
}

// TestAliasedIdentityHeadersAreStripped pins the pattern-based strips
// (Traefik's authResponseHeadersRegex, HAProxy's del-header -m reg): every
// spelling a CGI/WSGI/PHP back end folds into an identity header must
// match, in any case, and unrelated names must not.
func TestAliasedIdentityHeadersAreStripped(t *testing.T) {
	hs := []string{"Remote-User", "Remote-Api-Key-Id", "X-Tenant-Id", "Gatehouse-Assertion"}
	p := proxyconf.Params{IdentityHeaders: hs}
	others := []string{"Remote-Userx", "Xremote-User", "Remote-Use", "Remote--User", "Remote-User-Id", "X-Tenant", "Remote", "Accept"}

	// Traefik: one regexp, matched against Go-canonicalised names.
	for _, variant := range []string{"traefik", "traefik-k8s", "traefik-docker"} {
		out, err := proxyconf.Render(variant, p)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`authResponseHeadersRegex[:=] ?"?(\(\?i\)[^"\n]+)`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("%s: no authResponseHeadersRegex", variant)
		}
		// Compose's "$$" escape is still a valid anchor when left as is.
		re := regexp.MustCompile(string(m[1]))
		for _, h := range hs {
			for _, s := range spellings(h) {
				for _, form := range []string{s, strings.ToLower(s), strings.ToUpper(s), textproto.CanonicalMIMEHeaderKey(s)} {
					if !re.MatchString(form) {
						t.Errorf("%s: %q does not match %s", variant, form, re)
					}
				}
			}
		}
		for _, o := range others {
			if re.MatchString(o) {
				t.Errorf("%s: unrelated header %q matches %s", variant, o, re)
			}
		}
		if strings.Contains(string(out), "gatehouse-strip") {
			t.Errorf("%s: still refers to the removed gatehouse-strip middleware", variant)
		}
	}

	// HAProxy: one del-header -m reg per header, on lower-case names.
	out, err := proxyconf.Render("haproxy", p)
	if err != nil {
		t.Fatal(err)
	}
	var res []*regexp.Regexp
	for _, m := range regexp.MustCompile(`(?m)^\s*http-request del-header (\S+) -m reg$`).FindAllSubmatch(out, -1) {
		res = append(res, regexp.MustCompile(string(m[1])))
	}
	if len(res) != len(hs) {
		t.Fatalf("haproxy: %d del-header -m reg lines, want %d", len(res), len(hs))
	}
	matches := func(name string) bool {
		for _, re := range res {
			if re.MatchString(name) {
				return true
			}
		}
		return false
	}
	for _, h := range hs {
		for _, s := range spellings(h) {
			if !matches(strings.ToLower(s)) {
				t.Errorf("haproxy: %q is not deleted", strings.ToLower(s))
			}
		}
	}
	for _, o := range others {
		if matches(strings.ToLower(o)) && !slices.Contains(hs, o) {
			t.Errorf("haproxy: unrelated header %q is deleted", o)
		}
	}
}

func TestRenderForwardBody(t *testing.T) {
	cases := map[string]string{
		"traefik":        "forwardBody: true",
		"traefik-docker": "forwardauth.forwardBody=true",
		"traefik-k8s":    "forwardBody: true",
		"envoy":          "with_request_body:",
	}
	for name, marker := range cases {
		off, err := proxyconf.Render(name, proxyconf.Params{})
		if err != nil {
			t.Fatal(err)
		}
		on, err := proxyconf.Render(name, proxyconf.Params{ForwardBody: true})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(off), marker) {
			t.Errorf("%s: %q present without ForwardBody", name, marker)
		}
		if !strings.Contains(string(on), marker) {
			t.Errorf("%s: %q missing with ForwardBody", name, marker)
		}
	}
}

// TestRenderRefusesInjection feeds values that would add directives to a
// config file if they were interpolated; each must be refused.
func TestRenderRefusesInjection(t *testing.T) {
	cases := []struct {
		name string
		p    proxyconf.Params
	}{
		{"app host newline", proxyconf.Params{AppHost: "app.example.test;\n  location / { return 200; }"}},
		{"app host quote", proxyconf.Params{AppHost: `app"x`}},
		{"app host backtick", proxyconf.Params{AppHost: "app`) || Host(`evil"}},
		{"app host ipv6", proxyconf.Params{AppHost: "::1"}},
		{"app host empty label", proxyconf.Params{AppHost: "app..test"}},
		{"upstream user info", proxyconf.Params{Upstream: "http://user:pw@127.0.0.1:80"}},
		{"upstream path", proxyconf.Params{Upstream: "http://127.0.0.1:80/x"}},
		{"upstream query", proxyconf.Params{Upstream: "http://127.0.0.1:80?x"}},
		{"upstream scheme", proxyconf.Params{Upstream: "file:///etc/passwd"}},
		{"upstream newline", proxyconf.Params{Upstream: "http://127.0.0.1:80\nserver evil:80"}},
		{"upstream brace", proxyconf.Params{Upstream: "http://127.0.0.1:80}"}},
		{"portal path", proxyconf.Params{PortalURL: "https://auth.example.com/x"}},
		{"portal quote", proxyconf.Params{PortalURL: `https://auth.example.com"`}},
		{"verifier no port", proxyconf.Params{VerifierAddr: "127.0.0.1"}},
		{"verifier bad port", proxyconf.Params{VerifierAddr: "127.0.0.1:99999"}},
		{"verifier empty host", proxyconf.Params{VerifierAddr: ":9091"}},
		{"verifier host space", proxyconf.Params{VerifierAddr: "a b:9091"}},
		{"listen garbage", proxyconf.Params{Listen: "127.0.0.1:80;"}},
		{"listen port zero", proxyconf.Params{Listen: "127.0.0.1:0"}},
		{"header underscore", proxyconf.Params{IdentityHeaders: []string{"Remote_User"}}},
		{"header space", proxyconf.Params{IdentityHeaders: []string{"Remote User"}}},
		{"header newline", proxyconf.Params{IdentityHeaders: []string{"Remote-User\nX-Evil"}}},
		{"header colon", proxyconf.Params{IdentityHeaders: []string{"Remote-User:"}}},
		{"header duplicate", proxyconf.Params{IdentityHeaders: []string{"Remote-User", "remote-user"}}},
		{"header leading dash", proxyconf.Params{IdentityHeaders: []string{"-Remote"}}},
		{"cookie semicolon", proxyconf.Params{CookieName: "a;b"}},
		{"lua path relative", proxyconf.Params{LuaPath: "gatehouse.lua"}},
		{"lua path traversal", proxyconf.Params{LuaPath: "/etc/../tmp/x.lua"}},
		{"lua path space", proxyconf.Params{LuaPath: "/etc/ha proxy.lua"}},
		{"namespace upper", proxyconf.Params{Namespace: "Apps"}},
		{"timeout too small", proxyconf.Params{Timeout: time.Millisecond}},
		{"timeout fraction", proxyconf.Params{Timeout: 1500 * time.Microsecond}},
		{"body negative", proxyconf.Params{MaxBodyBytes: -1}},
		{"body too large", proxyconf.Params{MaxBodyBytes: 64<<20 + 1}},
		{"header too many words", proxyconf.Params{IdentityHeaders: []string{"X-A-B-C-D-E"}}},
		{"header dot", proxyconf.Params{IdentityHeaders: []string{"Remote.User"}}},
		{"header regexp", proxyconf.Params{IdentityHeaders: []string{"Remote-(User|.*)"}}},
		{"header too many", proxyconf.Params{IdentityHeaders: manyHeaders(65)}},
		{"timeout too long", proxyconf.Params{Timeout: time.Minute + time.Millisecond}},
		{"namespace dot", proxyconf.Params{Namespace: "a.b"}},
		{"portal userinfo", proxyconf.Params{PortalURL: "https://evil@auth.example.com"}},
		{"upstream dollar", proxyconf.Params{Upstream: "http://127.0.0.1:80$host"}},
		{"app host dollar", proxyconf.Params{AppHost: "$host"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, name := range append(proxyconf.Names(), proxyconf.Variants()...) {
				out, err := proxyconf.Render(name, c.p)
				if !errors.Is(err, proxyconf.ErrInvalidParams) {
					t.Fatalf("%s: err = %v, want ErrInvalidParams", name, err)
				}
				if out != nil {
					t.Fatalf("%s: partial output returned", name)
				}
			}
		})
	}
}

func TestRenderUnknownProxy(t *testing.T) {
	for _, name := range []string{"", "apache", "NGINX", "nginx.tmpl", "../nginx"} {
		if _, err := proxyconf.Render(name, proxyconf.Params{}); err == nil {
			t.Errorf("Render(%q) succeeded", name)
		}
	}
}

func TestNamesAreCopies(t *testing.T) {
	n := proxyconf.Names()
	n[0] = "mutated"
	if proxyconf.Names()[0] == "mutated" {
		t.Fatal("Names exposes its backing array")
	}
	want := []string{"nginx", "traefik", "caddy", "envoy", "haproxy"}
	if strings.Join(proxyconf.Names(), ",") != strings.Join(want, ",") {
		t.Fatalf("Names = %v", proxyconf.Names())
	}
}

func manyHeaders(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("X-H%d", i)
	}
	return out
}
