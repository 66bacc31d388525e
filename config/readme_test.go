package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/config"
)

// TestReadmeReplicaConfigsValidate: every YAML block of the README's
// "Running several replicas" section loads strictly and its Redis
// sections validate (the secret files it names need not exist here).
func TestReadmeReplicaConfigsValidate(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(readme), "### Running several replicas\n")
	if !ok {
		t.Fatal("README has no \"Running several replicas\" section")
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	blocks := strings.Split(sec, "```yaml\n")[1:]
	if len(blocks) != 3 {
		t.Fatalf("found %d YAML blocks, want one per topology", len(blocks))
	}
	for i, b := range blocks {
		yml, _, _ := strings.Cut(b, "```")
		topo := []string{"url", "sentinel", "cluster"}[i]
		env := map[string]string{}
		if topo == "url" {
			// The URL file does not exist here; the environment (which
			// wins over url_file) stands in for it.
			env["GATEHOUSE_STATE_REDIS_URL"] = "rediss://:pw@redis.internal:6380/0"
			env["GATEHOUSE_SHARED_REDIS_URL"] = env["GATEHOUSE_STATE_REDIS_URL"]
		}
		c := loadIn(t, t.TempDir(), yml, envMap(env))
		if got := c.State.Redis.Topology(); got != topo || c.Shared.Redis.Topology() != topo {
			t.Errorf("block %d: topologies %q/%q, want %q", i, got, c.Shared.Redis.Topology(), topo)
		}
		for _, p := range problems(t, c.Validate()) {
			redis := strings.HasPrefix(p.Path, "state.redis") || strings.HasPrefix(p.Path, "shared.redis")
			if redis && !p.Warning && !strings.HasPrefix(p.Message, "cannot read /run/secrets/") {
				t.Errorf("block %d: %s", i, p)
			}
		}
	}
}

// TestReadmeMachineTokenConfigsValidate: every YAML block of the README's
// "Machine-to-machine tokens" section (the GitHub Actions, Kubernetes and
// client-credentials examples) loads strictly and validates in production
// with nothing to say about its issuers or rules, so the examples cannot
// drift from what the config accepts.
func TestReadmeMachineTokenConfigsValidate(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(readme), "\n## Machine-to-machine tokens\n")
	if !ok {
		t.Fatal("README has no \"Machine-to-machine tokens\" section")
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	blocks := strings.Split(sec, "```yaml\n")[1:]
	presets := []string{config.PresetGitHubActions, config.PresetKubernetes, ""}
	if len(blocks) != len(presets) {
		t.Fatalf("found %d YAML blocks, want one per example (%q)", len(blocks), presets)
	}
	for i, b := range blocks {
		yml, _, _ := strings.Cut(b, "```")
		for _, mode := range []string{"development", "production"} {
			prefix := ""
			if mode == "production" {
				prefix = prodYAML(t)
			}
			c := load(t, prefix+yml)
			if len(c.ExternalJWT.Issuers) != 1 || c.ExternalJWT.Issuers[0].Preset != presets[i] || len(c.Rules) == 0 {
				t.Fatalf("block %d: issuers %+v, %d rules; want one issuer with preset %q and rules", i, c.ExternalJWT.Issuers, len(c.Rules), presets[i])
			}
			for _, p := range problems(t, c.Validate()) {
				if !p.Warning || strings.HasPrefix(p.Path, "external_jwt") || strings.HasPrefix(p.Path, "rules") || strings.HasPrefix(p.Path, "default_policy") {
					t.Errorf("block %d (%s): %s", i, mode, p)
				}
			}
		}
	}
}
