package main

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

// eventually polls f until it returns true or d passes.
func eventually(d time.Duration, f func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if f() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSIGHUPReloadsRulesAndKeyrings(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the server")
	}
	dir := t.TempDir()
	ports := [3]string{freePort(t), freePort(t), freePort(t)}
	cfg := writeConfig(t, dir, ports, "")
	p := startServe(t, dir, ports[2], "--config", cfg)
	c := func(stdin string, args ...string) string {
		return mustCLI(t, dir, stdin, append(args, "--config", cfg)...)
	}
	c("a-long-password-1\n", "user", "add", "--email", "hal@example.test", "--password-stdin")
	key := strings.TrimSpace(c("", "apikey", "create", "--user", "hal@example.test", "--name", "k"))
	auth := map[string]string{"Authorization": "Bearer " + key}
	if code, _ := askNginxWith(t, ports[0], "http://app.example.test/blocked/x", auth); code != 200 {
		t.Fatalf("before reload: %d", code)
	}

	// A new rule takes effect on SIGHUP, without a restart.
	extra := "  - name: blocked\n    paths: [\"/blocked/\"]\n    policy: deny\n"
	body, _ := os.ReadFile(cfg)
	withRule := strings.Replace(string(body), "rules:\n", "rules:\n"+extra, 1)
	if err := os.WriteFile(cfg, []byte(withRule), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	if !eventually(3*time.Second, func() bool {
		code, _ := askNginxWith(t, ports[0], "http://app.example.test/blocked/x", auth)
		return code == 403
	}) {
		t.Fatal("the rule added before SIGHUP is not in force")
	}

	// A broken config is refused and the running rules stay.
	if err := os.WriteFile(cfg, []byte(withRule+"  - policy: maybe\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	if !eventually(3*time.Second, func() bool { return strings.Contains(p.logs.String(), "reload refused") }) {
		t.Fatal("an invalid reload was not reported")
	}
	if code, _ := askNginxWith(t, ports[0], "http://app.example.test/blocked/x", auth); code != 403 {
		t.Fatalf("after a refused reload the deny rule is gone: %d", code)
	}
	if code, _ := askNginxWith(t, ports[0], "http://app.example.test/open", auth); code != 200 {
		t.Fatalf("after a refused reload: %d", code)
	}
	if err := os.WriteFile(cfg, []byte(withRule), 0o600); err != nil {
		t.Fatal(err)
	}

	// keys rotate + SIGHUP: a signing key sealed under the new active key
	// verifies at once, and one sealed before still does.
	before := strings.TrimSpace(c("", "apikey", "create", "--user", "hal@example.test", "--name", "s1", "--signing-required"))
	c("", "keys", "rotate", "--ring", "api_key_signing")
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	if !eventually(3*time.Second, func() bool { return strings.Count(p.logs.String(), "reloaded access rules and keyrings") >= 2 }) {
		t.Fatal("the reload after rotation was not reported")
	}
	after := strings.TrimSpace(c("", "apikey", "create", "--user", "hal@example.test", "--name", "s2", "--signing-required"))
	if st := c("", "keys", "status", "--ring", "api_key_signing"); !strings.Contains(st, "k1=1") || !strings.Contains(st, "k2=1") {
		t.Fatalf("status: %s", st)
	}
	for i, raw := range []string{before, after} {
		dot := strings.IndexByte(raw, '.')
		keyID := strings.TrimPrefix(raw[:dot], "ak_prod_")
		hr, _ := http.NewRequest("GET", "http://app.example.test/api/v1", nil)
		if err := signing.SignRequest(hr, keyID, raw[dot+1:], time.Now().UTC(), "reload-"+keyID, nil); err != nil {
			t.Fatal(err)
		}
		h := map[string]string{}
		for _, n := range []string{"Authorization", "X-Auth-Date", "X-Auth-Nonce"} {
			h[n] = hr.Header.Get(n)
		}
		if code, reason := askNginxWith(t, ports[0], "http://app.example.test/api/v1", h); code != 200 {
			t.Fatalf("signed request with key %d after rotation: %d %s", i, code, reason)
		}
	}
}

// TestPortalChangesReachVerifierAtOnce: a logout in the portal must not
// leave the verifier's warm cache accepting the credential for another
// second.
func TestPortalChangesReachVerifierAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the server")
	}
	dir := t.TempDir()
	ports := [3]string{freePort(t), freePort(t), freePort(t)}
	cfg := writeConfig(t, dir, ports, "")
	startServe(t, dir, ports[2], "--config", cfg)
	const pw = "a-long-password-1"
	mustCLI(t, dir, pw+"\n", "user", "add", "--email", "ivy@example.test", "--password-stdin", "--config", cfg)
	portal := "http://" + ports[1]

	// Cookie session: log in, warm the verifier, log out, ask again.
	body := `{"identifier":"ivy@example.test","password":"` + pw + `"}`
	resp, err := http.Post(portal+"/api/auth/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		CSRF string `json:"csrf_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	var session, csrf string
	for _, c := range resp.Cookies() {
		switch c.Name {
		case "gatehouse_session":
			session = c.Value
		case "gatehouse_csrf":
			csrf = c.Value
		}
	}
	if session == "" || login.CSRF == "" {
		t.Fatalf("cookie login: %s", resp.Status)
	}
	cookieHdr := map[string]string{"Cookie": "gatehouse_session=" + session}
	if code, _ := askNginxWith(t, ports[0], "http://app.example.test/x", cookieHdr); code != 200 {
		t.Fatalf("session before logout: %d", code)
	}
	req, _ := http.NewRequest("POST", portal+"/api/auth/logout", nil)
	req.Header.Set("Cookie", "gatehouse_session="+session+"; gatehouse_csrf="+csrf)
	req.Header.Set("X-CSRF-Token", login.CSRF)
	lr, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	lr.Body.Close()
	if lr.StatusCode != http.StatusNoContent {
		t.Fatalf("cookie logout: %s", lr.Status)
	}
	if code, _ := askNginxWith(t, ports[0], "http://app.example.test/x", cookieHdr); code != 401 {
		t.Fatalf("session right after logout: %d, want 401", code)
	}

	// Bearer token: the same for its jti.
	resp, err = http.Post(portal+"/api/auth/login?transport=bearer", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	bearer := map[string]string{"Authorization": "Bearer " + tok.AccessToken}
	if code, _ := askNginxWith(t, ports[0], "http://app.example.test/x", bearer); code != 200 {
		t.Fatalf("JWT before logout: %d", code)
	}
	req, _ = http.NewRequest("POST", portal+"/api/auth/logout", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	lr, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	lr.Body.Close()
	if code, _ := askNginxWith(t, ports[0], "http://app.example.test/x", bearer); code != 401 {
		t.Fatalf("JWT right after logout: %d, want 401", code)
	}
}
