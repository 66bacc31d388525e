package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/signing"
)

// TestAccessKeysSignWithTheActiveKidOnly: the signing key is the one
// tokens.access.active_kid names; an unknown kid, a missing or mismatched
// key file is an error, never a fallback to another key.
func TestAccessKeysSignWithTheActiveKidOnly(t *testing.T) {
	dir := t.TempDir()
	file := func(kid string, gen func(string) (signing.JWTKey, []byte, error)) string {
		_, pemBytes, err := gen(kid)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, kid+".pem")
		if err := os.WriteFile(p, pemBytes, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	k1 := file("k1", signing.GenerateEd25519Key)
	k2 := file("k2", signing.GenerateEd25519Key)
	cases := []struct {
		name    string
		alg     string
		keys    map[string]string
		active  string
		wantKID string // "" with wantErr
		wantN   int
		wantErr string
	}{
		{"HS256 default", "", nil, "", "", 1, ""},
		{"EdDSA k1 active", "EdDSA", map[string]string{"k1": k1, "k2": k2}, "k1", "k1", 2, ""},
		{"EdDSA k2 active (sorts last)", "EdDSA", map[string]string{"k1": k1, "k2": k2}, "k2", "k2", 2, ""},
		{"unknown active kid", "EdDSA", map[string]string{"k1": k1}, "k3", "", 0, "tokens.access.active_kid"},
		{"missing key file", "EdDSA", map[string]string{"k1": filepath.Join(dir, "nope.pem")}, "k1", "", 0, "tokens.access.keys.k1"},
		{"key of another algorithm", "ES256", map[string]string{"k1": k1}, "k1", "", 0, "tokens.access.algorithm is ES256"},
		{"no keys", "EdDSA", nil, "k1", "", 0, "needs tokens.access.keys"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Secrets.AccessToken = signing.NewSecret(bytes.Repeat([]byte("a"), 32))
			cfg.Tokens.Access.Algorithm = tc.alg
			cfg.Tokens.Access.Keys = tc.keys
			cfg.Tokens.Access.ActiveKID = tc.active
			keys, active, err := accessKeys(cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(keys) != tc.wantN || active.KID != tc.wantKID {
				t.Fatalf("keys %d, active %q, err %v; want %d, %q", len(keys), active.KID, err, tc.wantN, tc.wantKID)
			}
		})
	}
}

// TestAssertionKeyIsGeneratedOnceAndKept: the first start writes the key
// (0600); later starts read the same key instead of making a new one.
func TestAssertionKeyIsGeneratedOnceAndKept(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	first, err := AssertionKey(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(cfg.DataDir, AssertionKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v", err, fi)
	}
	again, err := AssertionKey(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Ed25519Private.Equal(again.Ed25519Private) || again.KID != "assertion-1" {
		t.Fatal("a second start replaced the assertion key")
	}
	// A key file that cannot be read is an error, not a reason to make a
	// new key.
	if err := os.WriteFile(filepath.Join(cfg.DataDir, AssertionKeyFile), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := AssertionKey(cfg); err == nil {
		t.Fatal("a corrupt key file was accepted")
	}
}
