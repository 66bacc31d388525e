package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/proctest"
)

// freePort asks the kernel for a free loopback port and releases it.
func freePort(t testing.TB) int { return proctest.FreePort(t) }

// proc is a started server process, stopped by PID when the test ends.
type proc = proctest.Proc

// startProc starts cmd, registers a cleanup that stops it and prints its
// output when the test failed.
func startProc(t testing.TB, name string, cmd *exec.Cmd) *proc {
	t.Helper()
	return proctest.Start(t, name, cmd)
}

// waitTCP polls addr until it accepts a connection or the process dies.
func waitTCP(t testing.TB, p *proc, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if p != nil && p.Exited() {
			t.Fatalf("%s exited before listening on %s:\n%s", p.Name, addr, p.Output())
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	name := addr
	if p != nil {
		name = p.Name + " at " + addr
	}
	t.Fatalf("%s not ready after 20s", name)
}

// gatehouse is one running instance with its config, users and CLI.
type gatehouse struct {
	t          testing.TB
	dir        string
	configPath string
	verifier   string // host:port
	portal     string // host:port
	admin      string // host:port
	proc       *proc
}

// Accounts created in every instance.
const (
	userEmail     = "user@example.test"
	adminEmail    = "admin@example.test"
	userPassword  = "correct horse battery staple"
	adminPassword = "admin horse battery staple"
)

// startGatehouse writes a config with ports picked now, creates a user and
// an admin with the CLI and starts `gatehouse serve`.
func startGatehouse(t testing.TB) *gatehouse {
	t.Helper()
	return startGatehouseWith(t, "", "")
}

// startGatehouseWith is startGatehouse with more rules, placed before the
// standard ones (YAML list items), and more top-level YAML.
func startGatehouseWith(t testing.TB, rules, extra string) *gatehouse {
	t.Helper()
	needGatehouse(t)
	dir := t.TempDir()
	g := &gatehouse{
		t:        t,
		dir:      dir,
		verifier: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		portal:   fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		admin:    fmt.Sprintf("127.0.0.1:%d", freePort(t)),
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`mode: development
data_dir: %s
listen:
  verifier: %s
  portal: %s
  admin: %s
public_url: http://%s
trusted_proxies: [127.0.0.0/8]
trusted_hops: 1
default_policy: deny
passwords:
  memory: 8192
  time: 1
  threads: 1
rules:
%s  - name: public
    paths: ["/public/"]
    policy: bypass
  - name: admin-area
    paths: ["/admin/"]
    policy: authenticated
    roles_any: [admin]
  - name: everything-else
    policy: authenticated
api_keys:
  enabled: true
  allowed_scopes: [read, write]
  scope_subset_check: false
%s`, data, g.verifier, g.portal, g.admin, g.portal, rules, extra)
	g.configPath = filepath.Join(dir, "gatehouse.yaml")
	if err := os.WriteFile(g.configPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	g.cli(userPassword+"\n", "user", "add", "--email", userEmail, "--password-stdin", "--roles", "staff", "--verified")
	g.cli(adminPassword+"\n", "user", "add", "--email", adminEmail, "--password-stdin", "--roles", "admin,staff", "--superuser", "--verified")
	g.start()
	return g
}

// start runs `gatehouse serve` and waits for both listeners.
func (g *gatehouse) start() {
	g.t.Helper()
	cmd := exec.Command(gatehouseBin, "serve", "--config", g.configPath)
	cmd.Dir = g.dir
	g.proc = startProc(g.t, "gatehouse", cmd)
	waitTCP(g.t, g.proc, g.verifier)
	waitTCP(g.t, g.proc, g.portal)
}

// stop ends `gatehouse serve` (the proxies must then deny).
func (g *gatehouse) stop() { g.proc.Stop() }

// cli runs a gatehouse subcommand against this instance and returns stdout.
func (g *gatehouse) cli(stdin string, args ...string) string {
	g.t.Helper()
	args = append(args, "--config", g.configPath)
	cmd := exec.Command(gatehouseBin, args...)
	cmd.Dir = g.dir
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cmd.Run() }()
	select {
	case err := <-done:
		if err != nil {
			g.t.Fatalf("gatehouse %s: %v\nstderr: %s", args[0]+" "+args[1], err, stderr.String())
		}
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		g.t.Fatalf("gatehouse %s: timed out", args[0])
	}
	return stdout.String()
}

// proxyconf renders a proxy config through the CLI.
func (g *gatehouse) proxyconf(proxy string, flags ...string) []byte {
	g.t.Helper()
	return []byte(g.cli("", append([]string{"proxyconf", proxy}, flags...)...))
}

// accessToken issues an access JWT for email with the CLI.
func (g *gatehouse) accessToken(email string) string {
	g.t.Helper()
	tok := strings.TrimSpace(g.cli("", "token", "issue", "--user", email))
	if strings.Count(tok, ".") != 2 {
		g.t.Fatalf("token issue printed something that is not a JWT (%d bytes)", len(tok))
	}
	return tok
}

// apiKey creates an API key for email with the CLI; the raw key is line 1.
func (g *gatehouse) apiKey(email string) string {
	g.t.Helper()
	out := g.cli("", "apikey", "create", "--user", email, "--name", "integration", "--scopes", "read")
	key, _, _ := strings.Cut(out, "\n")
	key = strings.TrimSpace(key)
	if key == "" || strings.ContainsAny(key, " \t") {
		g.t.Fatal("apikey create did not print a key on its first line")
	}
	return key
}

// sessionCookie logs in through the portal JSON API and returns the
// session cookie as "name=value".
func (g *gatehouse) sessionCookie(email, password string) string {
	g.t.Helper()
	body, _ := json.Marshal(map[string]string{"identifier": email, "password": password})
	req, _ := http.NewRequest(http.MethodPost, "http://"+g.portal+"/api/auth/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := noRedirectClient.Do(req)
	if err != nil {
		g.t.Fatalf("portal login: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		g.t.Fatalf("portal login: status %d: %s", resp.StatusCode, b)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "gatehouse_session" && c.Value != "" {
			return c.Name + "=" + c.Value
		}
	}
	g.t.Fatal("portal login set no gatehouse_session cookie")
	return ""
}

// noRedirectClient never follows redirects and never uses a proxy.
var noRedirectClient = &http.Client{
	Timeout:   15 * time.Second,
	Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// echoed is what the upstream saw.
type echoed struct {
	Method  string              `json:"method"`
	URI     string              `json:"uri"`
	Host    string              `json:"host"`
	Headers map[string][]string `json:"headers"`
}

// upstream is an in-process echo server that answers every request with
// the request's headers as JSON.
type upstream struct {
	srv  *httptest.Server
	hits atomic.Int64
}

func startUpstream(t testing.TB) *upstream {
	t.Helper()
	u := &upstream{}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Echo", "1")
		_ = json.NewEncoder(w).Encode(echoed{Method: r.Method, URI: r.RequestURI, Host: r.Host, Headers: r.Header})
	}))
	t.Cleanup(u.srv.Close)
	return u
}

// values returns every value the upstream received under a header name
// that an application could take for name: the same letters in any case,
// with every character other than a letter or digit interchangeable
// ('-', '_', '.': CGI, WSGI and PHP fold them all to HTTP_X_Y).
func (e *echoed) values(name string) []string {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
				return r
			case r >= 'A' && r <= 'Z':
				return r + ('a' - 'A')
			default:
				return '-'
			}
		}, s)
	}
	var out []string
	for k, vs := range e.Headers {
		if norm(k) == norm(name) {
			out = append(out, vs...)
		}
	}
	return out
}
