package config_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/gatehouse/gatehouse/config"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic, and
// whatever it accepts must validate without panicking into a well-formed
// result.
func FuzzLoad(f *testing.F) {
	if spec, err := os.ReadFile(filepath.Join("testdata", "spec_example.yaml")); err == nil {
		f.Add(spec)
	}
	for _, s := range []string{
		"",
		"mode: production\n",
		"secrets: {csrf: abc, csrf_file: x}\n",
		"keyrings: {totp_secrets: {active_key_id: k1, keys: {k1: abc, k2_file: y}}}\n",
		"rules: [{paths: ['~(a', '=/x', '/a%2F'], hosts: ['*.x', '[::1]:1'], policy: authenticated, step_up: 1m}]\n",
		"a: &a [*a, *a]\nb: *a\n",
		"oauth: {enabled: true, providers: [{name: corp, client_secret: abc}]}\n",
		"rate_limits: {login: {max: 1, window: 1s}}\n",
		"secrets: &s {csrf: *s}\n",
		"external_jwt: {issuers: [{preset: github-actions, audiences: [a], leeway: &l 0s, jwks: {stale_for: *l}}]}\n",
		"external_jwt: {issuers: [{preset: kubernetes, issuer: 'http://[::1]:1', audiences: ['']}]}\n",
		"rules: [{policy: authenticated, claims: {sub: [a, '~^(b$'], /k~1x/~0y: &v [c], z: *v, n: null}, issuers: [x]}]\n",
		"rules: [{policy: authenticated, claims: {sub: &c [*c]}}]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.LoadBytes(data, fuzzBaseDir, nil)
		if err != nil {
			return
		}
		err = c.Validate()
		if err == nil {
			return
		}
		var ve *config.ValidationError
		if !errors.As(err, &ve) || len(ve.Problems) == 0 {
			t.Fatalf("Validate returned %T %v", err, err)
		}
		for _, p := range ve.Problems {
			if p.Message == "" {
				t.Fatalf("problem without a message at %q", p.Path)
			}
		}
		if got := len(ve.Errors()) + len(ve.Warnings()); got != len(ve.Problems) {
			t.Fatalf("split lost problems: %d of %d", got, len(ve.Problems))
		}
	})
}

// secretMark starts every fuzzed secret, so any echo of a value (or of its
// beginning) in an output is caught.
const secretMark = "Zq9XsecretMark"

// FuzzSecretNeverEchoed puts arbitrary secret values in every secret
// position and checks that no error, problem or formatted Config shows them.
func FuzzSecretNeverEchoed(f *testing.F) {
	for _, s := range []string{"", "short", "\n", "a: b", "{x}", "`tick`", "\x00", strings.Repeat("z", 40)} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, production bool) {
		v := secretMark + s
		doc := map[string]any{
			"secrets":  map[string]any{"csrf": v, "verify_token": v},
			"keyrings": map[string]any{"totp_secrets": map[string]any{"active_key_id": "k1", "keys": map[string]any{"k1": v}}},
			"state":    map[string]any{"backend": "redis", "redis": map[string]any{"url": "redis://u:" + v + "@127.0.0.1/0"}},
			"oauth":    map[string]any{"enabled": true, "providers": []any{map[string]any{"name": "github", "client_id": "x", "client_secret": v}}},
		}
		if production {
			doc["mode"] = "production"
		}
		data, err := yaml.Marshal(doc)
		if err != nil {
			t.Skip()
		}
		c, err := config.LoadBytes(data, fuzzBaseDir, nil)
		if err != nil {
			if strings.Contains(err.Error(), secretMark) {
				t.Fatalf("load error echoes a secret: %v", err)
			}
			return
		}
		outs := []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", *c)}
		if j, err := json.Marshal(c); err == nil {
			outs = append(outs, string(j))
		}
		if err := c.Validate(); err != nil {
			outs = append(outs, err.Error())
		}
		for _, out := range outs {
			if strings.Contains(out, secretMark) {
				t.Fatalf("output echoes a secret: %s", out)
			}
		}
	})
}

// fuzzBaseDir does not exist: relative *_file paths in fuzz inputs fail
// to read instead of touching the file system around the test.
const fuzzBaseDir = "/nonexistent/gatehouse-fuzz"
