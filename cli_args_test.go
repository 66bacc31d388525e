package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/bolt"
)

// TestRevokeKeyIDStartingWithDashAfterDoubleDash: a key id that begins
// with '-' (possible for keys made before ids began alphanumeric) is
// revoked with `apikey revoke -- <id>`; without "--" it is a usage error
// (exit 2), as is an unknown flag. "--" works before the positional
// argument of backup and proxyconf too.
func TestRevokeKeyIDStartingWithDashAfterDoubleDash(t *testing.T) {
	dir := t.TempDir()
	ports := [3]string{freePort(t), freePort(t), freePort(t)}
	cfg := writeConfig(t, dir, ports, "")
	mustCLI(t, dir, "a-long-password-1\n", "user", "add", "--email", "dash@example.test", "--password-stdin", "--config", cfg)
	var users []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(mustCLI(t, dir, "", "user", "list", "--json", "--config", cfg)), &users); err != nil || len(users) != 1 {
		t.Fatalf("user list: %v %v", err, users)
	}
	ids := []string{"-AbCdEfGhIjKlMnOpQrStA", "_AbCdEfGhIjKlMnOpQrStA"}
	st, err := bolt.Open(filepath.Join(dir, "data", app.StoreFile), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		now := time.Now()
		if err := st.CreateAPIKey(context.Background(), &keystore.APIKey{KeyID: id, UserID: users[0].ID, Name: "old " + id[:1],
			Env: "prod", Digest: make([]byte, 32), Scopes: []string{"read"}, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// Without "--" the dash id is read as a flag: usage error, exit 2,
	// and the key stays live.
	if out, errOut, code := cli(t, dir, "", "apikey", "revoke", ids[0], "--config", cfg); code != 2 || !strings.Contains(errOut, "flag provided but not defined") {
		t.Fatalf("revoke without --: exit %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := cli(t, dir, "", "apikey", "revoke", "--nope", "--config", cfg, "--", ids[0]); code != 2 || !strings.Contains(errOut, "flag provided but not defined: -nope") {
		t.Fatalf("unknown flag: exit %d\n%s%s", code, out, errOut)
	}
	if list := mustCLI(t, dir, "", "apikey", "list", "--user", "dash@example.test", "--config", cfg); strings.Contains(list, "revoked") {
		t.Fatalf("a refused command revoked a key:\n%s", list)
	}
	if out := mustCLI(t, dir, "", "apikey", "revoke", "--config", cfg, "--", ids[0]); !strings.Contains(out, "revoked "+ids[0]) {
		t.Fatalf("revoke -- %s: %s", ids[0], out)
	}
	// An id beginning with '_' is not a flag: it needs no "--".
	if out := mustCLI(t, dir, "", "apikey", "revoke", ids[1], "--config", cfg); !strings.Contains(out, "revoked "+ids[1]) {
		t.Fatalf("revoke %s: %s", ids[1], out)
	}
	var keys []struct {
		KeyID     string    `json:"key_id"`
		RevokedAt time.Time `json:"revoked_at"`
	}
	if err := json.Unmarshal([]byte(mustCLI(t, dir, "", "apikey", "list", "--user", "dash@example.test", "--json", "--config", cfg)), &keys); err != nil || len(keys) != 2 {
		t.Fatalf("apikey list: %v %v", err, keys)
	}
	for _, k := range keys {
		if k.RevokedAt.IsZero() {
			t.Fatalf("key %s is not revoked", k.KeyID)
		}
	}

	// backup and proxyconf take "--" before their positional argument.
	mustCLI(t, dir, "", "backup", "--config", cfg, "--", "-snapshot.db")
	if _, err := os.Stat(filepath.Join(dir, "-snapshot.db")); err != nil {
		t.Fatalf("backup -- -snapshot.db: %v", err)
	}
	plain := mustCLI(t, dir, "", "proxyconf", "nginx", "--config", cfg)
	for _, args := range [][]string{{"proxyconf", "--", "nginx"}, {"proxyconf", "--config", cfg, "--", "nginx"}, {"proxyconf", "--config", cfg, "nginx"}} {
		out := mustCLI(t, dir, "", args...)
		if len(args) > 3 && out != plain {
			t.Fatalf("%v differs from proxyconf nginx --config", args)
		}
		if !strings.Contains(out, "auth_request") {
			t.Fatalf("%v: not an nginx snippet:\n%s", args, out)
		}
	}
	for _, args := range [][]string{{"proxyconf"}, {"proxyconf", "--"}, {"proxyconf", "nginx", "caddy"}, {"proxyconf", "--nope", "nginx"}, {"proxyconf", "--", "--config"}} {
		if out, errOut, code := cli(t, dir, "", args...); code != 2 {
			t.Fatalf("%v: exit %d, want 2\n%s%s", args, code, out, errOut)
		}
	}
}
