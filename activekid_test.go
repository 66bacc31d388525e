package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/signing"
)

// kidOf is the kid in a JWT's header.
func kidOf(t *testing.T, tok string) string {
	t.Helper()
	seg, _, _ := strings.Cut(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("JWT header: %v", err)
	}
	var h struct {
		KID string `json:"kid"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatalf("JWT header: %v", err)
	}
	return h.KID
}

// portalBearer logs in through the JSON API and returns the access token.
func portalBearer(t *testing.T, portalAddr, email, pw string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"identifier": email, "password": pw})
	resp, err := http.Post("http://"+portalAddr+"/api/auth/login?transport=bearer", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || out.AccessToken == "" {
		t.Fatalf("bearer login: %s %v", resp.Status, err)
	}
	return out.AccessToken
}

// TestServedPortalAndCLISignWithActiveKidAfterRotation: with EdDSA keys k1 and k2,
// making k2 active (it sorts after k1) makes the served portal and `token
// issue` sign with k2, while tokens signed with the retired k1 keep
// verifying at the portal and the verifier as long as k1 is listed.
func TestServedPortalAndCLISignWithActiveKidAfterRotation(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server twice")
	}
	dir := t.TempDir()
	keyFile := map[string]string{}
	for _, kid := range []string{"k1", "k2"} {
		_, pemBytes, err := signing.GenerateEd25519Key(kid)
		if err != nil {
			t.Fatal(err)
		}
		keyFile[kid] = filepath.Join(dir, kid+".pem")
		if err := os.WriteFile(keyFile[kid], pemBytes, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ports := [3]string{freePort(t), freePort(t), freePort(t)}
	tokensConfig := func(active string) string {
		return fmt.Sprintf("tokens:\n  access:\n    algorithm: EdDSA\n    keys:\n      k1: %s\n      k2: %s\n    active_kid: %s\n", keyFile["k1"], keyFile["k2"], active)
	}
	const pw = "a-long-password-1"
	const email = "rota@example.test"

	cfg := writeConfig(t, dir, ports, tokensConfig("k1"))
	mustCLI(t, dir, pw+"\n", "user", "add", "--email", email, "--password-stdin", "--verified", "--config", cfg)
	p := startServe(t, dir, ports[2], "--config", cfg)
	before := portalBearer(t, ports[1], email, pw)
	if kid := kidOf(t, before); kid != "k1" {
		t.Fatalf("before rotation: portal token kid %q, want k1", kid)
	}
	p.stop(t)

	// Rotation: k2 becomes active, k1 stays listed for verification.
	cfg = writeConfig(t, dir, ports, tokensConfig("k2"))
	startServe(t, dir, ports[2], "--config", cfg)
	after := portalBearer(t, ports[1], email, pw)
	if kid := kidOf(t, after); kid != "k2" {
		t.Fatalf("after rotation: portal token kid %q, want the active k2", kid)
	}
	cliTok := strings.TrimSpace(mustCLI(t, dir, "", "token", "issue", "--user", email, "--config", cfg))
	if kid := kidOf(t, cliTok); kid != "k2" {
		t.Fatalf("after rotation: token issue kid %q, want the active k2", kid)
	}
	for name, tok := range map[string]string{"retired k1": before, "portal k2": after, "cli k2": cliTok} {
		if code := portalMe(t, ports[1], "Bearer "+tok, ""); code != 200 {
			t.Fatalf("%s token at the portal: %d, want 200", name, code)
		}
		if code, user := askNginx(t, ports[0], "Bearer "+tok); code != 200 || user != email {
			t.Fatalf("%s token at the verifier: %d %q", name, code, user)
		}
	}

	// An active kid that names no key is refused at load, not replaced.
	bad := writeConfig(t, t.TempDir(), ports, tokensConfig("k3"))
	if out, errOut, code := cli(t, dir, "", "check-config", "--config", bad); code == 0 || !strings.Contains(out+errOut, "tokens.access.active_kid") {
		t.Fatalf("check-config with an unknown active kid: exit %d\n%s%s", code, out, errOut)
	}
}
