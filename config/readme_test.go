package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/config"
)

// readmeYAML returns the YAML blocks of the README section that starts
// with heading and ends at the next "## " heading.
func readmeYAML(t *testing.T, heading string) []string {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(readme), heading)
	if !ok {
		t.Fatalf("README has no section %q", strings.TrimSpace(heading))
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	var blocks []string
	for _, b := range strings.Split(sec, "```yaml\n")[1:] {
		yml, _, _ := strings.Cut(b, "```")
		blocks = append(blocks, yml)
	}
	return blocks
}

// TestReadmeReplicaConfigsValidate: every YAML block of the README's
// "Running several replicas" section loads strictly and its Redis
// sections validate (the secret files it names need not exist here).
func TestReadmeReplicaConfigsValidate(t *testing.T) {
	blocks := readmeYAML(t, "### Running several replicas\n")
	if len(blocks) != 3 {
		t.Fatalf("found %d YAML blocks, want one per topology", len(blocks))
	}
	for i, yml := range blocks {
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
	blocks := readmeYAML(t, "\n## Machine-to-machine tokens\n")
	presets := []string{config.PresetGitHubActions, config.PresetKubernetes, ""}
	if len(blocks) != len(presets) {
		t.Fatalf("found %d YAML blocks, want one per example (%q)", len(blocks), presets)
	}
	for i, yml := range blocks {
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
