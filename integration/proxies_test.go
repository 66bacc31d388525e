package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/proctest"
	"github.com/gatehouse/gatehouse/proxyconf"
)

// traefikVersion is the Traefik release scripts/build-traefik.sh builds.
const traefikVersion = "v3.7.13"

// proxyStarter renders the proxy's config with r, starts the proxy in
// front of upstream and returns its base URL.
type proxyStarter func(t *testing.T, r renderer, upstream string) string

// renderOpts are the per-run values of a rendered proxy config.
type renderOpts struct {
	upstream, listen, luaPath string
}

// renderer produces a proxy config: through the gatehouse CLI in the
// end-to-end tests, through proxyconf.Render for the plumbing tests.
type renderer func(t *testing.T, proxy string, o renderOpts) []byte

// cliRenderer renders with `gatehouse proxyconf` against g's config. The
// app is served on 127.0.0.1 so the verifier accepts it as an rd target
// in development.
func cliRenderer(g *gatehouse) renderer {
	return func(t *testing.T, proxy string, o renderOpts) []byte {
		var flags []string
		if o.upstream != "" {
			flags = append(flags, "--app-host", "127.0.0.1", "--upstream", o.upstream, "--listen", o.listen)
		}
		if o.luaPath != "" {
			flags = append(flags, "--lua-path", o.luaPath)
		}
		return g.proxyconf(proxy, flags...)
	}
}

var proxies = []struct {
	name  string
	start proxyStarter
}{
	{"nginx", startNginx},
	{"caddy", startCaddy},
	{"haproxy", startHAProxy},
	{"traefik", startTraefik},
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func startNginx(t *testing.T, r renderer, upstream string) string {
	bin := needBinary(t, "nginx")
	dir := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	writeFile(t, filepath.Join(dir, "gatehouse.conf"), r(t, "nginx", renderOpts{upstream: upstream, listen: listen}))
	// The main context is the harness's: the generated file is what an
	// operator includes inside http {}.
	main := `master_process off;
pid nginx.pid;
error_log stderr notice;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
    include gatehouse.conf;
}
`
	writeFile(t, filepath.Join(dir, "nginx.conf"), []byte(main))
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, "nginx", exec.Command(bin, "-p", dir+"/", "-c", filepath.Join(dir, "nginx.conf"), "-g", "daemon off;"))
	waitTCP(t, p, listen)
	return "http://" + listen
}

func startCaddy(t *testing.T, r renderer, upstream string) string {
	bin := needBinary(t, "caddy")
	dir := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	site := r(t, "caddy", renderOpts{upstream: upstream, listen: listen})
	// Global options are the harness's: no admin endpoint, so parallel
	// instances do not fight over :2019.
	caddyfile := append([]byte("{\n\tadmin off\n}\n\n"), site...)
	path := filepath.Join(dir, "Caddyfile")
	writeFile(t, path, caddyfile)
	cmd := exec.Command(bin, "run", "--config", path, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	p := startProc(t, "caddy", cmd)
	waitTCP(t, p, listen)
	return "http://" + listen
}

func startHAProxy(t *testing.T, r renderer, upstream string) string {
	bin := needBinary(t, "haproxy")
	dir := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	lua := filepath.Join(dir, "gatehouse.lua")
	writeFile(t, lua, r(t, "haproxy-lua", renderOpts{}))
	cfg := filepath.Join(dir, "haproxy.cfg")
	writeFile(t, cfg, r(t, "haproxy", renderOpts{upstream: upstream, listen: listen, luaPath: lua}))
	p := startProc(t, "haproxy", exec.Command(bin, "-f", cfg, "-db"))
	waitTCP(t, p, listen)
	return "http://" + listen
}

// traefikBinary finds the wrapper build (see README.md): $GATEHOUSE_TRAEFIK,
// else the cache scripts/build-traefik.sh fills. With
// GATEHOUSE_REQUIRE_INTEGRATION=1 a missing binary is built.
func traefikBinary(t *testing.T) string {
	if p := os.Getenv("GATEHOUSE_TRAEFIK"); p != "" {
		return p
	}
	bin := filepath.Join(proctest.ToolsCache(), "traefik-"+traefikVersion, "traefik")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if !requireIntegration() {
		t.Skipf("Traefik test binary missing at %s: run scripts/build-traefik.sh", bin)
	}
	out, err := exec.Command("../scripts/build-traefik.sh").CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/build-traefik.sh: %v\n%s", err, out)
	}
	return bin
}

func startTraefik(t *testing.T, r renderer, upstream string) string {
	bin := traefikBinary(t)
	dir := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	path := filepath.Join(dir, "gatehouse.yml")
	writeFile(t, path, r(t, "traefik", renderOpts{upstream: upstream, listen: listen}))
	p := startProc(t, "traefik", exec.Command(bin, "--config", path, "--listen", listen))
	waitTCP(t, p, listen)
	return "http://" + listen
}

// identityHeaders are the names gatehouse's default config sends on every
// allow (Remote-Content-SHA256 and Gatehouse-Assertion only in some cases;
// proxyconf.DefaultIdentityHeaders lists all that are stripped).
var identityHeaders = []string{
	"Remote-User", "Remote-User-Id", "Remote-Email", "Remote-Name",
	"Remote-Groups", "Remote-Auth-Method", "Remote-Api-Key-Id", "Remote-Scopes",
	"Remote-Issuer",
}

// result is a proxy's answer with its body read.
type result struct {
	resp *http.Response
	body []byte
}

// call sends one request through the proxy.
func call(t *testing.T, method, rawURL string, hdr map[string][]string) result {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		// Set the map entry directly so names like Remote_User keep their
		// spelling on the wire.
		req.Header[k] = vs
	}
	resp, err := noRedirectClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return result{resp, b}
}

// upstreamSaw decodes the echo server's answer; it fails the test when
// the request did not reach the upstream.
func upstreamSaw(t *testing.T, r result) *echoed {
	t.Helper()
	resp, body := r.resp, r.body
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Echo") != "1" {
		t.Fatalf("status %d, want 200 from the upstream; body: %.300s", resp.StatusCode, body)
	}
	var e echoed
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("upstream answer: %v", err)
	}
	return &e
}

// wantOnly asserts that every spelling of name that reached the upstream
// carries exactly want (an absent header counts as empty).
func wantOnly(t *testing.T, e *echoed, name, want string) {
	t.Helper()
	vals := e.values(name)
	if len(vals) == 0 {
		vals = []string{""}
	}
	for _, v := range vals {
		if v != want {
			t.Errorf("upstream saw %s = %q (all spellings: %q), want only %q", name, v, vals, want)
			return
		}
	}
}

var (
	browserHeaders = map[string][]string{"Accept": {"text/html,application/xhtml+xml"}, "Sec-Fetch-Mode": {"navigate"}}
	apiHeaders     = map[string][]string{"Accept": {"application/json"}}
)

func with(base map[string][]string, kv ...string) map[string][]string {
	out := make(map[string][]string, len(base)+len(kv)/2)
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = append(out[kv[i]], kv[i+1])
	}
	return out
}

// spoofed are identity headers a client tries to smuggle, in the spellings
// proxies and frameworks treat differently.
var spoofed = []string{
	"Remote-User", "evil@example.test",
	"Remote_User", "evil@example.test",
	"remote-user", "evil@example.test",
	"Remote-Groups", "admin",
	"Remote_Groups", "admin",
	"Remote-Auth-Method", "cookie",
	"Remote-Api-Key-Id", "forged",
	"Remote-Issuer", "https://evil.example.test",
	"Remote_Issuer", "https://evil.example.test",
}

// TestProxies runs the same scenarios through every real proxy.
func TestProxies(t *testing.T) {
	for _, px := range proxies {
		t.Run(px.name, func(t *testing.T) {
			needGatehouse(t)
			g := startGatehouse(t)
			up := startUpstream(t)
			base := px.start(t, cliRenderer(g), up.srv.URL)
			runProxyScenarios(t, g, up, base)
		})
	}
}

func runProxyScenarios(t *testing.T, g *gatehouse, up *upstream, base string) {
	jwt := g.accessToken(userEmail)
	adminJWT := g.accessToken(adminEmail)
	key := g.apiKey(userEmail)

	t.Run("anonymous browser is sent to the login page", func(t *testing.T) {
		r := call(t, http.MethodGet, base+"/app/page?x=1", browserHeaders)
		resp, body := r.resp, r.body
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("status %d, want 302; body %.200s", resp.StatusCode, body)
		}
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || loc.Host != g.portal || loc.Path != "/login" {
			t.Fatalf("Location %q, want http://%s/login?rd=...", resp.Header.Get("Location"), g.portal)
		}
		if rd := loc.Query().Get("rd"); rd != base+"/app/page?x=1" {
			t.Errorf("rd = %q, want %q", rd, base+"/app/page?x=1")
		}
	})

	t.Run("anonymous API call gets 401 JSON", func(t *testing.T) {
		r := call(t, http.MethodGet, base+"/app/data", apiHeaders)
		resp, body := r.resp, r.body
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401; body %.200s", resp.StatusCode, body)
		}
		var e struct{ Code, Detail string }
		if err := json.Unmarshal(body, &e); err != nil || e.Code == "" {
			t.Errorf("body %.200q is not a {code,detail} JSON error", body)
		}
		if resp.Header.Get("X-Echo") != "" {
			t.Error("the upstream answered an anonymous request")
		}
	})

	t.Run("session cookie reaches the upstream as the user", func(t *testing.T) {
		cookie := g.sessionCookie(userEmail, userPassword)
		e := upstreamSaw(t, call(t, http.MethodGet, base+"/app/page", with(apiHeaders, "Cookie", cookie)))
		wantOnly(t, e, "Remote-User", userEmail)
		wantOnly(t, e, "Remote-Auth-Method", "cookie")
	})

	t.Run("bearer JWT reaches the upstream as the user", func(t *testing.T) {
		e := upstreamSaw(t, call(t, http.MethodGet, base+"/app/page", with(apiHeaders, "Authorization", "Bearer "+jwt)))
		wantOnly(t, e, "Remote-User", userEmail)
		wantOnly(t, e, "Remote-Email", userEmail)
		wantOnly(t, e, "Remote-Groups", "staff")
		wantOnly(t, e, "Remote-Auth-Method", "jwt")
		wantOnly(t, e, "Remote-Api-Key-Id", "")
	})

	t.Run("API key reaches the upstream with its id and scopes", func(t *testing.T) {
		e := upstreamSaw(t, call(t, http.MethodGet, base+"/app/page", with(apiHeaders, "Authorization", "Bearer "+key)))
		wantOnly(t, e, "Remote-User", userEmail)
		wantOnly(t, e, "Remote-Auth-Method", "api_key")
		wantOnly(t, e, "Remote-Scopes", "read")
		if ids := e.values("Remote-Api-Key-Id"); len(ids) != 1 || ids[0] == "" {
			t.Errorf("Remote-Api-Key-Id = %q, want the key id", ids)
		}
	})

	t.Run("client-sent identity headers never reach the upstream", func(t *testing.T) {
		e := upstreamSaw(t, call(t, http.MethodGet, base+"/app/page",
			with(apiHeaders, append([]string{"Authorization", "Bearer " + jwt}, spoofed...)...)))
		wantOnly(t, e, "Remote-User", userEmail)
		wantOnly(t, e, "Remote-Groups", "staff")
		wantOnly(t, e, "Remote-Auth-Method", "jwt")
		wantOnly(t, e, "Remote-Api-Key-Id", "")
		wantOnly(t, e, "Remote-Issuer", "")
	})

	t.Run("client-sent identity headers are dropped on a bypass path", func(t *testing.T) {
		e := upstreamSaw(t, call(t, http.MethodGet, base+"/public/info", with(apiHeaders, spoofed...)))
		for _, h := range proxyconf.DefaultIdentityHeaders() {
			wantOnly(t, e, h, "")
		}
	})

	t.Run("forged identity headers in every spelling never reach the upstream", func(t *testing.T) {
		checkForgedSpellings(t, base, "/app/page", with(apiHeaders, "Authorization", "Bearer "+jwt))
		checkForgedSpellings(t, base, "/app/page", with(apiHeaders, "Authorization", "Bearer "+key))
	})

	t.Run("forged identity headers in every spelling are dropped on a bypass path", func(t *testing.T) {
		checkForgedSpellings(t, base, "/public/info", apiHeaders)
		checkForgedSpellings(t, base, "/public/info", with(apiHeaders, "Authorization", "Bearer "+jwt[:len(jwt)-4]+"AAAA"))
	})

	t.Run("bypass path passes anonymously", func(t *testing.T) {
		upstreamSaw(t, call(t, http.MethodGet, base+"/public/info", apiHeaders))
	})

	t.Run("non-admin gets 403 on the admin rule", func(t *testing.T) {
		r := call(t, http.MethodGet, base+"/admin/users", with(apiHeaders, "Authorization", "Bearer "+jwt))
		resp, body := r.resp, r.body
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403; body %.200s", resp.StatusCode, body)
		}
	})

	t.Run("admin passes the admin rule", func(t *testing.T) {
		e := upstreamSaw(t, call(t, http.MethodGet, base+"/admin/users", with(apiHeaders, "Authorization", "Bearer "+adminJWT)))
		wantOnly(t, e, "Remote-User", adminEmail)
	})

	t.Run("invalid bearer token is refused", func(t *testing.T) {
		r := call(t, http.MethodGet, base+"/app/page", with(apiHeaders, "Authorization", "Bearer "+jwt[:len(jwt)-4]+"AAAA"))
		resp, body := r.resp, r.body
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401; body %.200s", resp.StatusCode, body)
		}
	})

	t.Run("gatehouse down denies", func(t *testing.T) {
		g.stop()
		before := up.hits.Load()
		for _, path := range []string{"/app/page", "/public/info"} {
			r := call(t, http.MethodGet, base+path, with(apiHeaders, "Authorization", "Bearer "+jwt))
			resp, body := r.resp, r.body
			if resp.StatusCode < 400 || resp.Header.Get("X-Echo") != "" {
				t.Errorf("%s with gatehouse down: status %d, body %.200s; want a deny", path, resp.StatusCode, body)
			}
		}
		if up.hits.Load() != before {
			t.Error("the upstream was reached while gatehouse was down")
		}
	})
}

// TestProxyconfCLIFormats checks that every format the CLI offers renders.
func TestProxyconfCLIFormats(t *testing.T) {
	needGatehouse(t)
	for _, name := range []string{"nginx", "traefik", "caddy", "envoy", "haproxy", "traefik-docker", "traefik-k8s", "nginx-ingress", "haproxy-lua"} {
		out, err := exec.Command(gatehouseBin, "proxyconf", name, "--app-host", "app.example.test").CombinedOutput()
		if err != nil {
			t.Errorf("proxyconf %s: %v\n%s", name, err, out)
			continue
		}
		if !strings.Contains(string(out), "gatehouse") {
			t.Errorf("proxyconf %s printed no config", name)
		}
	}
	if out, err := exec.Command(gatehouseBin, "proxyconf", "nginx", "--app-host", "x;\n}").CombinedOutput(); err == nil {
		t.Errorf("proxyconf accepted a hostile --app-host:\n%s", out)
	}
}

// forgedSpellings returns header lines that smuggle name in every
// spelling a back end may take for it: each word joined by '-', '_' or
// '.' in every combination, the name in lower and upper case, and the
// name itself twice. Values are "forged-<n>".
func forgedSpellings(name string) map[string][]string {
	words := strings.Split(name, "-")
	spellings := []string{words[0]}
	for _, w := range words[1:] {
		var next []string
		for _, s := range spellings {
			for _, sep := range []string{"-", "_", "."} {
				next = append(next, s+sep+w)
			}
		}
		spellings = next
	}
	spellings = append(spellings, strings.ToLower(name), strings.ToUpper(name))
	out := make(map[string][]string, len(spellings))
	for i, s := range spellings {
		out[s] = append(out[s], fmt.Sprintf("forged-%d", i))
	}
	out[name] = append(out[name], "forged-dup")
	return out
}

// checkForgedSpellings sends path once as is and then once per identity
// header with every forged spelling of it added; the upstream must see
// exactly what it saw without the forgeries (gatehouse's value or nothing).
func checkForgedSpellings(t *testing.T, base, path string, hdr map[string][]string) {
	t.Helper()
	clean := upstreamSaw(t, call(t, http.MethodGet, base+path, hdr))
	for _, h := range proxyconf.DefaultIdentityHeaders() {
		want := clean.values(h)
		for _, v := range want {
			// A proxy's own unexpanded placeholder, e.g. Caddy's
			// "{http.reverse_proxy.header.X}", is not gatehouse's value.
			if strings.ContainsAny(v, "{}$%") {
				t.Errorf("without forgeries the upstream saw %s = %q, which gatehouse never sends", h, v)
			}
		}
		if len(want) > 1 {
			t.Fatalf("without forgeries the upstream already saw %s %d times: %q", h, len(want), want)
		}
		wantVal := ""
		if len(want) == 1 {
			wantVal = want[0]
		}
		forged := forgedSpellings(h)
		req := make(map[string][]string, len(hdr)+len(forged))
		for k, v := range hdr {
			req[k] = v
		}
		for k, v := range forged {
			req[k] = v
		}
		e := upstreamSaw(t, call(t, http.MethodGet, base+path, req))
		wantOnly(t, e, h, wantVal)
	}
}

// checkAbsoluteForm sends "GET <absolute URL> HTTP/1.1" with a Host
// header naming another host. HTTP/1.1 says the request line wins; a
// proxy that checks one and reports the other to the verifier lets a
// client pick another host's rules. Either the proxy refuses, or the
// verifier and the upstream both see the app's host.
func checkAbsoluteForm(t *testing.T, v *scriptedVerifier, base string) {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET " + base + "/app/abs HTTP/1.1\r\nHost: other.example.test\r\n" +
		"Authorization: Bearer user\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.Header.Get("X-Echo") == "" {
		return // refused
	}
	if got, want := v.last(), "GET "+base+"/app/abs"; got != want {
		t.Errorf("verifier saw %q, want %q", got, want)
	}
	var e echoed
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatal(err)
	}
	if e.Host != u.Host {
		t.Errorf("upstream saw Host %q, want %q", e.Host, u.Host)
	}
}
