package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

// startRedis runs a throwaway redis-server on a free loopback port.
func startRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("GATEHOUSE_REQUIRE_INTEGRATION") == "1" {
			t.Fatal("redis-server is required (GATEHOUSE_REQUIRE_INTEGRATION=1) but not installed")
		}
		t.Skip("redis-server not installed (apt-get install redis-server); skipping")
	}
	addr := freePort(t)
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("redis-server output:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return "redis://" + addr + "/0"
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("redis-server did not start\n%s", logs.String())
	return ""
}

// replicaConfig is one replica's config: every replica shares Redis and
// the same secrets and public URL (they sit behind one load balancer), and
// has its own ports and data directory.
func replicaConfig(t *testing.T, dir, redisURL string, ports [3]string, publicAddr, secrets string) string {
	t.Helper()
	cfg := fmt.Sprintf(`mode: development
data_dir: %s
listen: {verifier: %q, portal: %q, admin: %q}
public_url: http://%s
state: {backend: redis, redis: {url: %q}}
shared: {backend: redis, redis: {url: %q}}
passwords: {memory: 1024, time: 1, threads: 1}
api_keys: {enabled: true, allowed_scopes: [read]}
rules:
  - name: everyone-signed-in
    policy: authenticated
%s`, filepath.Join(dir, "data"), ports[0], ports[1], ports[2], publicAddr, redisURL, redisURL, secrets)
	path := filepath.Join(dir, "gatehouse.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// sharedSecrets makes one set of secrets and keyrings for all replicas.
func sharedSecrets(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("secrets:\n")
	for _, role := range []string{"access_token", "verify_token", "reset_token", "token_hash", "api_key_hash", "csrf", "totp_pending", "recovery_code_lookup"} {
		v, err := signing.NewOpaqueToken()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "  %s: %q\n", role, v)
	}
	b.WriteString("keyrings:\n")
	for _, ring := range []string{"totp_secrets", "oauth_tokens", "api_key_signing"} {
		k, err := signing.GenerateFernetKey()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "  %s: {active_key_id: k1, keys: {k1: %q}}\n", ring, k)
	}
	return b.String()
}

// askNginxWith sends a forward-auth question with extra headers and
// returns the status and the error code of a deny.
func askNginxWith(t *testing.T, verifierAddr, url string, hdr map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+verifierAddr+"/auth/nginx", nil)
	req.Header.Set("X-Original-Method", "GET")
	req.Header.Set("X-Original-URL", url)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct{ Code string }
	_ = json.Unmarshal(b, &e)
	return resp.StatusCode, e.Code
}

func TestRedisReplicasShareStateAndRevocations(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and two replicas")
	}
	redisURL := startRedis(t)
	secrets := sharedSecrets(t)
	var cfgs [2]string
	var ports [2][3]string
	for i := range cfgs {
		ports[i], cfgs[i] = startReplica(t, func(p [3]string) string {
			public := p[1]
			if i > 0 {
				public = ports[0][1]
			}
			return replicaConfig(t, t.TempDir(), redisURL, p, public, secrets)
		})
	}
	dir := t.TempDir()
	const pw = "replica-password-123"
	mustCLI(t, dir, pw+"\n", "user", "add", "--email", "rita@example.test", "--password-stdin", "--roles", "read", "--config", cfgs[0])
	key := strings.TrimSpace(mustCLI(t, dir, "", "apikey", "create", "--user", "rita@example.test", "--name", "r", "--scopes", "read", "--config", cfgs[1]))
	for i := range cfgs {
		if code, _ := askNginxWith(t, ports[i][0], "http://app.example.test/x", map[string]string{"Authorization": "Bearer " + key}); code != 200 {
			t.Fatalf("replica %d: API key created through Redis: %d", i, code)
		}
	}

	// A JWT from replica 0's portal works at replica 1; its logout on
	// replica 0 reaches replica 1's warm cache through the published
	// revocation, well within a second.
	body, _ := json.Marshal(map[string]string{"identifier": "rita@example.test", "password": pw})
	resp, err := http.Post("http://"+ports[0][1]+"/api/auth/login?transport=bearer", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if tok.AccessToken == "" {
		t.Fatalf("bearer login on replica 0: %s", resp.Status)
	}
	bearer := map[string]string{"Authorization": "Bearer " + tok.AccessToken}
	if code, _ := askNginxWith(t, ports[1][0], "http://app.example.test/x", bearer); code != 200 {
		t.Fatalf("replica 1 with replica 0's JWT: %d", code)
	}
	req, _ := http.NewRequest("POST", "http://"+ports[0][1]+"/api/auth/logout", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	lr, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	lr.Body.Close()
	if lr.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %s", lr.Status)
	}
	loggedOut := time.Now()
	for {
		code, _ := askNginxWith(t, ports[1][0], "http://app.example.test/x", bearer)
		if code == 401 {
			break
		}
		if time.Since(loggedOut) > time.Second {
			t.Fatalf("replica 1 still accepts a JWT logged out on replica 0 after %s (status %d)", time.Since(loggedOut), code)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Signature nonces are shared: a request replayed to the other
	// replica is refused.
	skey := strings.TrimSpace(mustCLI(t, dir, "", "apikey", "create", "--user", "rita@example.test", "--name", "s", "--scopes", "read", "--signing-required", "--config", cfgs[0]))
	dot := strings.IndexByte(skey, '.')
	keyID := strings.TrimPrefix(skey[:dot], "ak_prod_") // key ids may contain '_'

	hr, _ := http.NewRequest("GET", "http://app.example.test/orders?id=7", nil)
	if err := signing.SignRequest(hr, keyID, skey[dot+1:], time.Now().UTC(), "replay-check-1", nil); err != nil {
		t.Fatal(err)
	}
	signed := map[string]string{}
	for _, h := range []string{"Authorization", "X-Auth-Date", "X-Auth-Nonce"} {
		signed[h] = hr.Header.Get(h)
	}
	if code, c := askNginxWith(t, ports[0][0], "http://app.example.test/orders?id=7", signed); code != 200 {
		t.Fatalf("signed request on replica 0: %d %s", code, c)
	}
	if code, c := askNginxWith(t, ports[1][0], "http://app.example.test/orders?id=7", signed); code != 401 || c != "API_KEY_SIGNATURE_NONCE_REPLAY" {
		t.Fatalf("replay on replica 1: %d %s, want 401 API_KEY_SIGNATURE_NONCE_REPLAY", code, c)
	}
}

type netDialer struct{}

func (netDialer) dial(addr string) (io.Closer, error) {
	return net.DialTimeout("tcp", addr, time.Second)
}
