package command

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/admin"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/redistest"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/bolt"
	"github.com/gatehouse/gatehouse/keystore/redis"
	"github.com/gatehouse/gatehouse/signing"
)

// testSecrets is the secrets and keyrings part of a config, fresh random
// values; migrations make it once so that --from and --to share it.
func testSecrets(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("secrets:\n")
	for _, role := range config.SecretRoles {
		r := make([]byte, 32)
		if _, err := rand.Read(r); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "  %s: %q\n", role, base64.RawURLEncoding.EncodeToString(r))
	}
	b.WriteString("keyrings:\n")
	for _, ring := range config.KeyringNames {
		k, err := signing.GenerateFernetKey()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "  %s: {active_key_id: k1, keys: {k1: %q}}\n", ring, k)
	}
	return b.String()
}

// migrateConfig writes a production config with state and the secrets
// and returns its path and data directory. A Redis state section serves
// as the shared section too (as the README's examples do), bbolt goes
// with shared memory.
func migrateConfig(t *testing.T, state, secrets string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	shared := "{backend: memory, allow_in_memory: true}"
	if strings.Contains(state, "redis") {
		shared = state
	}
	cfg := fmt.Sprintf("mode: production\ndata_dir: %s\npublic_url: https://auth.example.com\ncookie: {domain: example.com}\nstate: %s\nshared: %s\n%s", dir, state, shared, secrets)
	path := filepath.Join(t.TempDir(), "gatehouse.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, dir
}

func runStore(args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	err := Store(&Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}, args)
	code = ExitCode(err, &errb)
	return out.String(), errb.String(), code
}

// seedBolt writes a user with a session and an API key, and a revoked
// token id, into the bbolt file of dir.
func seedBolt(t *testing.T, dir string) (*keystore.User, string) {
	t.Helper()
	st, err := bolt.Open(filepath.Join(dir, app.StoreFile), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	u := &keystore.User{ID: "0123456789abcdef0123456789abcdef", Email: "Ada@Example.test", Roles: []string{"admin"}, Active: true,
		TOTPEnabled: true, TOTPSecret: "gAAAAA-envelope", CreatedAt: now, UpdatedAt: now}
	ctx := context.Background()
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSession(ctx, &keystore.Session{Digest: bytes.Repeat([]byte{7}, 32), UserID: u.ID, Kind: keystore.KindSession,
		AuthMethod: "password", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAPIKey(ctx, &keystore.APIKey{KeyID: "kid1", UserID: u.ID, Name: "ci", Env: "live",
		Digest: bytes.Repeat([]byte{9}, 32), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	jti := "jti-revoked-before-the-move"
	if err := st.Deny(ctx, jti, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	return u, jti
}

// boltAndRedisConfigs starts a Redis and writes two configs with the same
// secrets: a bbolt one (--from, with its data directory) and one on that
// Redis (--to).
func boltAndRedisConfigs(t *testing.T) (srv *redistest.Server, from, fromDir, to string) {
	t.Helper()
	redistest.Need(t)
	srv = redistest.StartServer(t)
	secrets := testSecrets(t)
	from, fromDir = migrateConfig(t, "{backend: bbolt}", secrets)
	to, _ = migrateConfig(t, "{backend: redis, redis: {url: '"+srv.URL+"'}}", secrets)
	return srv, from, fromDir, to
}

// TestStoreMigrateMovesABoltStoreToRedis: the command copies a bbolt
// store into the Redis its --to config names, prints progress on stderr
// and the verification on stdout, and a revoked token id stays revoked;
// a second run copies nothing new and still verifies.
func TestStoreMigrateMovesABoltStoreToRedis(t *testing.T) {
	srv, from, fromDir, to := boltAndRedisConfigs(t)
	u, jti := seedBolt(t, fromDir)
	for run := 1; run <= 2; run++ {
		stdout, stderr, code := runStore("migrate", "--from", from, "--to", to)
		t.Logf("run %d:\n%s%s", run, stderr, stdout)
		if code != 0 {
			t.Fatalf("run %d: exit %d\nstdout:\n%s\nstderr:\n%s", run, code, stdout, stderr)
		}
		if !strings.Contains(stderr, "store migrate: denylist 1, markers 0, users 1/1, sessions 1, api_keys 1, oauth_links 0") || strings.Contains(stderr, "warning") {
			t.Errorf("run %d: progress on stderr:\n%s", run, stderr)
		}
		if !strings.Contains(stdout, "migrated; every count verified") || strings.Contains(stdout, "MISMATCH") {
			t.Errorf("run %d: stdout:\n%s", run, stdout)
		}
		if strings.Contains(stdout+stderr, "Ada@") || strings.Contains(stdout+stderr, "gAAAAA") {
			t.Errorf("run %d: the output shows a stored value:\n%s%s", run, stdout, stderr)
		}
	}
	st, err := redis.Open(context.Background(), redis.Options{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.GetUserByEmail(context.Background(), "ada@example.test")
	if err != nil || got.ID != u.ID || got.TOTPSecret != u.TOTPSecret {
		t.Fatalf("user in Redis: %+v, %v", got, err)
	}
	if ok, err := st.IsDenied(context.Background(), []byte(jti)); err != nil || !ok {
		t.Errorf("revoked id after the move: denied %v, %v", ok, err)
	}
}

// TestStoreMigrateRefusesWhatWouldBreak: the command refuses, before it
// writes anything, a bbolt file a running server holds (naming its admin
// listener), one locked by another process, one store given twice, and
// a destination whose digest secrets or keyrings differ; flag mistakes
// are usage errors.
func TestStoreMigrateRefusesWhatWouldBreak(t *testing.T) {
	secrets := testSecrets(t)
	other := testSecrets(t)
	from, fromDir := migrateConfig(t, "{backend: bbolt}", secrets)
	to, toDir := migrateConfig(t, "{backend: bbolt}", secrets)
	seedBolt(t, fromDir)
	otherSecrets, _ := migrateConfig(t, "{backend: bbolt}", other)
	sameTokenHash, _ := migrateConfig(t, "{backend: bbolt}", replaceSecret(t, other, secrets, "token_hash"))
	lockedDir := t.TempDir()
	holdFile := func(t *testing.T, dir string) {
		st, err := bolt.Open(filepath.Join(dir, app.StoreFile), bolt.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
	}
	cases := []struct {
		name  string
		args  []string
		setup func(t *testing.T)
		code  int
		want  string
	}{
		{"no subcommand", nil, nil, ExitUsage, "missing subcommand"},
		{"unknown subcommand", []string{"copy"}, nil, ExitUsage, `unknown subcommand "copy"`},
		{"no --to", []string{"migrate", "--from", from}, nil, ExitUsage, "--from and --to are required"},
		{"workers out of range", []string{"migrate", "--from", from, "--to", to, "--workers", "0"}, nil, ExitUsage, "--workers"},
		{"positional argument", []string{"migrate", "--from", from, "--to", to, "extra"}, nil, ExitUsage, "unexpected argument"},
		{"one store twice", []string{"migrate", "--from", from, "--to", from}, nil, 1, "name one store"},
		{"one file by two configs", []string{"migrate", "--from", from, "--to", to, "--to-data-dir", fromDir + "/."}, nil, 1, "name one store"},
		{"other token_hash", []string{"migrate", "--from", from, "--to", otherSecrets}, nil, 1, "secrets.token_hash differs"},
		{"other api_key_hash", []string{"migrate", "--from", from, "--to", sameTokenHash}, nil, 1, "secrets.api_key_hash differs"},
		{"source held by a running server", []string{"migrate", "--from", from, "--to", to}, func(t *testing.T) {
			holdFile(t, fromDir)
			if err := admin.WriteEndpoint(fromDir, admin.Endpoint{Addr: "127.0.0.1:9", Token: "t", PID: 4242}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Remove(filepath.Join(fromDir, admin.EndpointFile)) })
		}, 1, "held by a running gatehouse (admin listener 127.0.0.1:9, pid 4242)"},
		{"destination locked", []string{"migrate", "--from", from, "--to", to, "--to-data-dir", lockedDir}, func(t *testing.T) {
			holdFile(t, lockedDir)
		}, 1, "destination store " + filepath.Join(lockedDir, app.StoreFile) + " is locked by another process"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.setup != nil {
				c.setup(t)
			}
			stdout, stderr, code := runStore(c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q (stdout %q)", code, stderr, c.code, c.want, stdout)
			}
			if code == ExitUsage && strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("a usage error takes more than one line: %q", stderr)
			}
		})
	}
	// Nothing was written to the destination by any refused run.
	if _, err := os.Stat(filepath.Join(toDir, app.StoreFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused run created the destination file: %v", err)
	}
}

// replaceSecret returns base with role's line taken from from.
func replaceSecret(t *testing.T, base, from, role string) string {
	t.Helper()
	line := func(s string) string {
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(l, "  "+role+":") {
				return l
			}
		}
		t.Fatalf("no %s line", role)
		return ""
	}
	return strings.Replace(base, line(base), line(from), 1)
}

// TestStoreMigrateExitsOneOnConflicts: a destination record that differs
// from the source's makes the run exit 1 naming the record by id (not
// its email), and --allow-conflicts lets it finish with exit 0 keeping
// the destination's version.
func TestStoreMigrateExitsOneOnConflicts(t *testing.T) {
	srv, from, fromDir, to := boltAndRedisConfigs(t)
	u, _ := seedBolt(t, fromDir)
	if _, stderr, code := runStore("migrate", "--from", from, "--to", to); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	st, err := redis.Open(context.Background(), redis.Options{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.UpdateUser(context.Background(), u.ID, func(u *keystore.User) error { u.DisplayName = "changed after the copy"; return nil }); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"migrate", "--from", from, "--to", to}, 1, "1 records conflict"},
		{[]string{"migrate", "--from", from, "--to", to, "--allow-conflicts"}, 0, ""},
	}
	for _, c := range cases {
		stdout, stderr, code := runStore(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) || !strings.Contains(stdout, "conflict: users "+u.ID+": differs in the destination") {
			t.Errorf("%v: exit %d\nstdout:\n%s\nstderr:\n%s", c.args, code, stdout, stderr)
		}
		if strings.Contains(stdout+stderr, "Ada@") {
			t.Errorf("the output names the email:\n%s%s", stdout, stderr)
		}
	}
	if got, err := st.GetUser(context.Background(), u.ID); err != nil || got.DisplayName != "changed after the copy" {
		t.Errorf("the destination's version was not kept: %+v, %v", got, err)
	}
}
