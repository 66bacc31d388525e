package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// gatehouseBin is the binary built once by TestMain for the process tests.
var gatehouseBin string

func TestMain(m *testing.M) {
	if os.Getenv(pingerEnv) != "" {
		os.Exit(m.Run()) // a helper process needs no binary
	}
	dir, err := os.MkdirTemp("", "gatehouse-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	gatehouseBin = filepath.Join(dir, "gatehouse")
	build := exec.Command("go", "build", "-o", gatehouseBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build gatehouse:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs the binary in dir and returns stdout, stderr and the exit code.
func cli(t *testing.T, dir, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(gatehouseBin, args...)
	cmd.Dir = dir
	cmd.Env = testEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// testEnv drops GATEHOUSE_* variables of the surrounding shell and makes
// password hashing cheap enough for tests.
func testEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GATEHOUSE_") {
			env = append(env, kv)
		}
	}
	return env
}

func mustCLI(t *testing.T, dir, stdin string, args ...string) string {
	t.Helper()
	out, errOut, code := cli(t, dir, stdin, args...)
	if code != 0 {
		t.Fatalf("gatehouse %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// syncBuffer collects a child's output safely across goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type proc struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error
}

// startServe runs `gatehouse serve args...` in dir and waits for the
// admin listener's /healthz.
func startServe(t *testing.T, dir, adminAddr string, args ...string) *proc {
	t.Helper()
	p, err := tryStartServe(t, dir, adminAddr, args...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// errPortTaken reports a serve that exited because a port freePort
// handed out was taken again before serve bound it (by another test
// process, or by an outbound connection's ephemeral port).
var errPortTaken = errors.New("a listener port was taken before serve bound it")

// tryStartServe is startServe returning an early exit as an error
// (errPortTaken when the cause is a port in use) instead of failing.
func tryStartServe(t *testing.T, dir, adminAddr string, args ...string) (*proc, error) {
	t.Helper()
	cmd := exec.Command(gatehouseBin, append([]string{"serve"}, args...)...)
	cmd.Dir = dir
	cmd.Env = testEnv()
	p := &proc{cmd: cmd, logs: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("serve output:\n%s", p.logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			p.done <- err
			if strings.Contains(p.logs.String(), "address already in use") {
				return nil, fmt.Errorf("%w: %v\n%s", errPortTaken, err, p.logs.String())
			}
			return nil, fmt.Errorf("serve exited early: %v\n%s", err, p.logs.String())
		default:
		}
		resp, err := http.Get("http://" + adminAddr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil, fmt.Errorf("serve did not become healthy\n%s", p.logs.String())
}

// startReplica picks fresh ports (verifier, portal, admin), writes a
// config for them with write and starts serve on it, trying again with
// new ports when one was taken in between. It returns the ports and the
// config's path.
func startReplica(t *testing.T, write func(ports [3]string) string) ([3]string, string) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		ports := [3]string{freePort(t), freePort(t), freePort(t)}
		cfg := write(ports)
		_, err := tryStartServe(t, filepath.Dir(cfg), ports[2], "--config", cfg)
		if err == nil {
			return ports, cfg
		}
		if !errors.Is(err, errPortTaken) || attempt == 3 {
			t.Fatal(err)
		}
		t.Logf("attempt %d: %v; picking new ports", attempt, errPortTaken)
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Fatalf("serve did not exit cleanly after SIGTERM: %v\n%s", err, p.logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20s of SIGTERM")
	}
}

// askNginx sends a forward-auth question as nginx would and returns the
// status and the Remote-User answer.
func askNginx(t *testing.T, verifierAddr, authorization string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+verifierAddr+"/auth/nginx", nil)
	req.Header.Set("X-Original-Method", "GET")
	req.Header.Set("X-Original-URL", "http://127.0.0.1:8080/app/page")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Remote-User")
}

// writeConfig writes a development config on the given ports with cheap
// password hashing and one rule that lets any authenticated user in.
func writeConfig(t *testing.T, dir string, ports [3]string, extra string) string {
	t.Helper()
	cfg := fmt.Sprintf(`mode: development
data_dir: %s
listen:
  verifier: %s
  portal: %s
  admin: %s
public_url: http://%s
passwords:
  memory: 1024
  time: 1
  threads: 1
api_keys:
  enabled: true
  allowed_scopes: [read, write]
rules:
  - name: everyone-signed-in
    policy: authenticated
%s`, filepath.Join(dir, "data"), ports[0], ports[1], ports[2], ports[1], extra)
	path := filepath.Join(dir, "gatehouse.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestZeroConfigStartTwiceReusesSecrets(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server twice")
	}
	dir := t.TempDir()
	for _, a := range []string{"127.0.0.1:9091", "127.0.0.1:9092", "127.0.0.1:9093"} {
		if l, err := net.Listen("tcp", a); err != nil {
			t.Fatalf("zero-config ports must be free for this test: %v", err)
		} else {
			l.Close()
		}
	}
	p := startServe(t, dir, "127.0.0.1:9093")
	if !strings.Contains(p.logs.String(), "/setup?token=") {
		t.Fatalf("first start did not print the setup link:\n%s", p.logs.String())
	}
	info, err := os.Stat(filepath.Join(dir, "gatehouse-data"))
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("data dir: %v mode %v", err, info)
	}
	secInfo, err := os.Stat(filepath.Join(dir, "gatehouse-data", "secrets.yaml"))
	if err != nil || secInfo.Mode().Perm() != 0o600 {
		t.Fatalf("secrets file: %v %v", err, secInfo)
	}
	secrets1, _ := os.ReadFile(filepath.Join(dir, "gatehouse-data", "secrets.yaml"))

	const pw = "correct horse battery staple"
	mustCLI(t, dir, pw+"\n", "user", "add", "--email", "Alice@Example.test", "--password-stdin", "--verified")
	jwt := strings.TrimSpace(mustCLI(t, dir, "", "token", "issue", "--user", "alice@example.test"))
	cookie := portalCookie(t, "127.0.0.1:9092", "alice@example.test", pw)
	if code := portalMe(t, "127.0.0.1:9092", "Bearer "+jwt, ""); code != 200 {
		t.Fatalf("JWT before restart: %d", code)
	}
	if code := portalMe(t, "127.0.0.1:9092", "", cookie); code != 200 {
		t.Fatalf("session cookie before restart: %d", code)
	}
	p.stop(t)

	p2 := startServe(t, dir, "127.0.0.1:9093")
	secrets2, _ := os.ReadFile(filepath.Join(dir, "gatehouse-data", "secrets.yaml"))
	if !bytes.Equal(secrets1, secrets2) {
		t.Fatal("secrets changed across restarts")
	}
	if strings.Contains(p2.logs.String(), "/setup?token=") {
		t.Fatal("second start printed a setup link although a user exists")
	}
	// The password check, the session cookie (token_hash secret) and the
	// access JWT (access_token secret) of the first run all still work.
	if code := portalLogin(t, "127.0.0.1:9092", "alice@example.test", pw); code != 200 {
		t.Fatalf("login after restart: %d", code)
	}
	if code := portalMe(t, "127.0.0.1:9092", "Bearer "+jwt, ""); code != 200 {
		t.Fatalf("JWT after restart: %d, want 200", code)
	}
	if code := portalMe(t, "127.0.0.1:9092", "", cookie); code != 200 {
		t.Fatalf("session cookie after restart: %d, want 200", code)
	}
	if code := portalMe(t, "127.0.0.1:9092", "Bearer "+jwt[:len(jwt)-2]+"AA", ""); code != 401 {
		t.Fatalf("tampered JWT: %d, want 401", code)
	}
	p2.stop(t)
	assertNoSecretsInLogs(t, p.logs.String()+p2.logs.String(), secrets1, pw, jwt, cookie, "alice@example.test", "Alice@Example.test")
}

// portalCookie logs in through the JSON API and returns the session cookie.
func portalCookie(t *testing.T, portalAddr, email, pw string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"identifier": email, "password": pw})
	resp, err := http.Post("http://"+portalAddr+"/api/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "gatehouse_session" && c.Value != "" {
			return c.Value
		}
	}
	t.Fatalf("login answered %s without a session cookie", resp.Status)
	return ""
}

// portalMe asks GET /api/users/me with a bearer token or a session cookie.
func portalMe(t *testing.T, portalAddr, authorization, cookie string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+portalAddr+"/api/users/me", nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "gatehouse_session", Value: cookie})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// portalLogin posts the JSON login and returns the status.
func portalLogin(t *testing.T, portalAddr, email, pw string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"identifier": email, "password": pw})
	resp, err := http.Post("http://"+portalAddr+"/api/auth/login?transport=bearer", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// assertNoSecretsInLogs fails when any secret value or identifier shows in
// the captured output.
func assertNoSecretsInLogs(t *testing.T, logs string, secretsYAML []byte, extra ...string) {
	t.Helper()
	needles := append([]string{}, extra...)
	sc := bufio.NewScanner(bytes.NewReader(secretsYAML))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, ": "); i > 0 {
			v := strings.Trim(strings.TrimSpace(line[i+2:]), `"'`)
			if len(v) >= 16 {
				needles = append(needles, v)
			}
		}
	}
	if len(needles) < 5 {
		t.Fatalf("found only %d secrets to look for; the secrets file format changed?", len(needles))
	}
	for _, n := range needles {
		if n != "" && strings.Contains(logs, n) {
			t.Errorf("logs contain a secret or identifier (%d chars starting %q)", len(n), n[:min(4, len(n))])
		}
	}
}

func TestProductionRefusesMissingSecrets(t *testing.T) {
	dir := t.TempDir()
	cfg := `mode: production
data_dir: ` + filepath.Join(dir, "data") + `
public_url: https://auth.example.test
cookie:
  domain: example.test
shared:
  backend: memory
  allow_in_memory: true
keyrings:
  totp_secrets: {active_key_id: k1, keys: {k1: "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="}}
`
	path := filepath.Join(dir, "prod.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"serve", "--config", path}, {"check-config", "--config", path}} {
		out, errOut, code := cli(t, dir, "", args...)
		if code != 1 {
			t.Fatalf("%v: exit %d, want 1\n%s%s", args, code, out, errOut)
		}
		for _, name := range []string{"access_token", "verify_token", "reset_token", "token_hash", "api_key_hash", "csrf", "totp_pending", "recovery_code_lookup"} {
			if !strings.Contains(out+errOut, "secrets."+name) {
				t.Errorf("%v: output does not name the missing secret %s:\n%s%s", args, name, out, errOut)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "gatehouse.db")); err == nil {
		t.Error("a refused production start created the store file")
	}
}

func TestCheckConfigAcceptsSpecExample(t *testing.T) {
	out, errOut, code := cli(t, t.TempDir(), "", "check-config", "--config", filepath.Join(mustAbs(t, "config/testdata/spec_example.yaml")))
	if code != 0 || !strings.HasSuffix(strings.TrimSpace(out), "ok") {
		t.Fatalf("check-config on the example configuration: exit %d\n%s%s", code, out, errOut)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestUsageErrorsExitTwo(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "Usage"},
		{"unknown command", []string{"frobnicate"}, "unknown command"},
		{"unknown flag", []string{"serve", "--nope"}, "flag provided but not defined"},
		{"user without subcommand", []string{"user"}, "missing subcommand"},
		{"user add without email", []string{"user", "add", "--password-stdin"}, "--email is required"},
		{"user add without password-stdin", []string{"user", "add", "--email", "a@b.test"}, "--password-stdin is required"},
		{"apikey revoke without id", []string{"apikey", "revoke"}, "missing argument"},
		{"apikey create without user", []string{"apikey", "create", "--name", "x"}, "--user and --name"},
		{"passkey without subcommand", []string{"passkey"}, "missing subcommand"},
		{"passkey list without user", []string{"passkey", "list"}, "--user is required"},
		{"passkey remove without id", []string{"passkey", "remove", "--user", "a@b.test"}, "missing argument"},
		{"passkey remove without user", []string{"passkey", "remove", "AQID"}, "--user is required"},
		{"passkey unknown", []string{"passkey", "rename"}, "unknown subcommand"},
		{"token unknown", []string{"token", "mint"}, "token:"},
		{"keys bad ring", []string{"keys", "status", "--ring", "nope"}, "unknown --ring"},
		{"backup without file", []string{"backup"}, "missing argument"},
		{"check-config without file", []string{"check-config"}, "--config is required"},
		{"proxyconf unknown", []string{"proxyconf", "squid"}, "unknown proxy"},
		{"extra argument", []string{"serve", "extra"}, "unexpected argument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := cli(t, dir, "", tc.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2\n%s%s", code, out, errOut)
			}
			if !strings.Contains(out+errOut, tc.want) {
				t.Fatalf("output lacks %q:\n%s%s", tc.want, out, errOut)
			}
			if tc.args != nil && strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Fatalf("want a one-line error, got:\n%s", errOut)
			}
		})
	}
}

func TestOfflineStoreCommands(t *testing.T) {
	dir := t.TempDir()
	ports := [3]string{freePort(t), freePort(t), freePort(t)}
	cfg := writeConfig(t, dir, ports, "")
	c := func(stdin string, args ...string) string {
		return mustCLI(t, dir, stdin, append(args, "--config", cfg)...)
	}

	c("a-long-password-1\n", "user", "add", "--email", "bob@example.test", "--password-stdin", "--roles", "dev,ops")
	if _, errOut, code := cli(t, dir, "a-long-password-1\n", "user", "add", "--email", "BOB@example.test", "--password-stdin", "--config", cfg); code != 1 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("duplicate email (case-folded): exit %d %s", code, errOut)
	}
	if _, errOut, code := cli(t, dir, "short\n", "user", "add", "--email", "carol@example.test", "--password-stdin", "--config", cfg); code != 1 || !strings.Contains(errOut, "password") {
		t.Fatalf("short password: exit %d %s", code, errOut)
	}
	c("", "user", "set-roles", "--email", "bob@example.test", "--roles", "admin")
	var users []map[string]any
	if err := json.Unmarshal([]byte(c("", "user", "list", "--json")), &users); err != nil || len(users) != 1 {
		t.Fatalf("user list: %v %v", err, users)
	}
	if roles := fmt.Sprint(users[0]["roles"]); roles != "[admin]" {
		t.Fatalf("roles after set-roles: %s", roles)
	}
	c("another-long-password\n", "user", "set-password", "--email", "bob@example.test", "--password-stdin")
	c("", "user", "disable", "--email", "bob@example.test")
	if _, errOut, code := cli(t, dir, "", "token", "issue", "--user", "bob@example.test", "--config", cfg); code != 1 || !strings.Contains(errOut, "disabled") {
		t.Fatalf("token for a disabled user: exit %d %s", code, errOut)
	}
	c("", "user", "enable", "--email", "bob@example.test")

	// The operator command applies the portal's key policy: a scope the
	// owner does not hold as a role is refused (api_keys.scope_subset_check).
	if _, errOut, code := cli(t, dir, "", "apikey", "create", "--user", "bob@example.test", "--name", "deploy", "--scopes", "read", "--config", cfg); code != 1 || !strings.Contains(errOut, "not one of the user's roles") {
		t.Fatalf("scope the owner does not hold: exit %d %s", code, errOut)
	}
	c("", "user", "set-roles", "--email", "bob@example.test", "--roles", "admin,read")
	out := c("", "apikey", "create", "--user", "bob@example.test", "--name", "deploy", "--scopes", "read")
	raw := strings.TrimSpace(out)
	if strings.Count(raw, "\n") != 0 || !strings.HasPrefix(raw, "ak_prod_") {
		t.Fatalf("apikey create stdout must be the raw key alone: %q", out)
	}
	if _, errOut, code := cli(t, dir, "", "apikey", "create", "--user", "bob@example.test", "--name", "x", "--scopes", "admin", "--config", cfg); code != 1 || !strings.Contains(errOut, "allowed_scopes") {
		t.Fatalf("scope outside allowed_scopes: exit %d %s", code, errOut)
	}
	var keys []map[string]any
	if err := json.Unmarshal([]byte(c("", "apikey", "list", "--user", "bob@example.test", "--json")), &keys); err != nil || len(keys) != 1 {
		t.Fatalf("apikey list: %v %v", err, keys)
	}
	if strings.Contains(c("", "apikey", "list", "--user", "bob@example.test", "--json"), raw[strings.IndexByte(raw, '.')+1:]) {
		t.Fatal("apikey list shows the secret")
	}
	// The passkey commands: bob has none, so the list is empty and a
	// removal names nothing (the portal registers passkeys).
	if out := strings.TrimSpace(c("", "passkey", "list", "--user", "bob@example.test", "--json")); out != "[]" {
		t.Fatalf("passkey list: %q", out)
	}
	if _, errOut, code := cli(t, dir, "", "passkey", "remove", "--user", "bob@example.test", "AQID", "--config", cfg); code != 1 || !strings.Contains(errOut, "no passkey") {
		t.Fatalf("passkey remove of an unknown id: exit %d %s", code, errOut)
	}
	keyID := keys[0]["key_id"].(string)
	c("", "apikey", "revoke", keyID)
	if !strings.Contains(c("", "apikey", "list", "--user", "bob@example.test"), "revoked") {
		t.Fatal("revoked key not shown as revoked")
	}
	c("", "user", "delete", "--email", "bob@example.test")
	if _, errOut, code := cli(t, dir, "", "apikey", "list", "--user", "bob@example.test", "--config", cfg); code != 1 || !strings.Contains(errOut, "no user") {
		t.Fatalf("list keys of a deleted user: exit %d %s", code, errOut)
	}
}

func TestKeysRotateAndReencrypt(t *testing.T) {
	dir := t.TempDir()
	ports := [3]string{freePort(t), freePort(t), freePort(t)}
	cfg := writeConfig(t, dir, ports, "")
	c := func(args ...string) string { return mustCLI(t, dir, "", append(args, "--config", cfg)...) }
	mustCLI(t, dir, "a-long-password-1\n", "user", "add", "--email", "dee@example.test", "--password-stdin", "--config", cfg)
	for i := 0; i < 3; i++ {
		c("apikey", "create", "--user", "dee@example.test", "--name", fmt.Sprintf("signer%d", i), "--signing-required")
	}
	if st := c("keys", "status", "--ring", "api_key_signing"); !strings.Contains(st, "k1=3") {
		t.Fatalf("status before rotation: %s", st)
	}
	c("keys", "rotate", "--ring", "api_key_signing")
	st := c("keys", "status", "--ring", "api_key_signing")
	if !strings.Contains(st, "active k2") || !strings.Contains(st, "k1=3") || !strings.Contains(st, "3 to re-encrypt") {
		t.Fatalf("status after rotation: %s", st)
	}
	// A value written under k1 still reads under k2: a fourth key sealed
	// now lands under k2, and every key keeps working (checked by the
	// re-encryption, which opens each row).
	c("apikey", "create", "--user", "dee@example.test", "--name", "after-rotation", "--signing-required")
	out, errOut, code := cli(t, dir, "", "keys", "reencrypt", "--config", cfg)
	if code != 0 || !strings.Contains(out, "api_key_signing: 3 rewritten, 0 unreadable") || !strings.Contains(errOut, "3/3") {
		t.Fatalf("reencrypt: exit %d\n%s%s", code, out, errOut)
	}
	st = c("keys", "status", "--ring", "api_key_signing")
	if !strings.Contains(st, "k1=0") || !strings.Contains(st, "k2=4") || !strings.Contains(st, "0 to re-encrypt") {
		t.Fatalf("status after reencrypt: %s", st)
	}
	// Resumable and idempotent: a second run has nothing to do.
	if out := c("keys", "reencrypt"); !strings.Contains(out, "api_key_signing: 0 rewritten") {
		t.Fatalf("second reencrypt: %s", out)
	}
}

func TestCommandsReachRunningServer(t *testing.T) {
	dir := t.TempDir()
	ports := [3]string{freePort(t), freePort(t), freePort(t)}
	cfg := writeConfig(t, dir, ports, "")
	p := startServe(t, dir, ports[2], "--config", cfg)
	c := func(stdin string, args ...string) string {
		return mustCLI(t, dir, stdin, append(args, "--config", cfg)...)
	}
	c("a-long-password-1\n", "user", "add", "--email", "erin@example.test", "--password-stdin", "--roles", "dev")
	key := strings.TrimSpace(c("", "apikey", "create", "--user", "erin@example.test", "--name", "live"))
	if code, user := askNginx(t, ports[0], "Bearer "+key); code != 200 || user != "erin@example.test" {
		t.Fatalf("API key created through the running server: %d %q", code, user)
	}
	var keys []map[string]any
	_ = json.Unmarshal([]byte(c("", "apikey", "list", "--user", "erin@example.test", "--json")), &keys)
	if len(keys) != 1 {
		t.Fatalf("keys: %v", keys)
	}
	c("", "apikey", "revoke", keys[0]["key_id"].(string))
	if code, _ := askNginx(t, ports[0], "Bearer "+key); code != 401 {
		t.Fatalf("revoked key: %d, want 401 at once", code)
	}
	jwt := strings.TrimSpace(c("", "token", "issue", "--user", "erin@example.test"))
	if code, user := askNginx(t, ports[0], "Bearer "+jwt); code != 200 || user != "erin@example.test" {
		t.Fatalf("JWT: %d %q", code, user)
	}
	c("another-long-password\n", "user", "set-password", "--email", "erin@example.test", "--password-stdin")
	if code, _ := askNginx(t, ports[0], "Bearer "+jwt); code != 401 {
		t.Fatalf("JWT after a password change: %d, want 401", code)
	}
	snap := filepath.Join(dir, "snap.db")
	c("", "backup", snap)
	p.stop(t)
	// The snapshot is a complete store: serve from a copy of it.
	dir2 := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir2, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir2, "data", "gatehouse.db"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg2 := writeConfig(t, dir2, [3]string{freePort(t), freePort(t), freePort(t)}, "")
	var users []map[string]any
	if err := json.Unmarshal([]byte(mustCLI(t, dir2, "", "user", "list", "--json", "--config", cfg2)), &users); err != nil || len(users) != 1 {
		t.Fatalf("users in the snapshot: %v %v", err, users)
	}
	sec, _ := os.ReadFile(filepath.Join(dir, "data", "secrets.yaml"))
	assertNoSecretsInLogs(t, p.logs.String(), sec, key, jwt, "a-long-password-1", "another-long-password", "erin@example.test")
}
