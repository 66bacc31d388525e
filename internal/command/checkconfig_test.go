package command

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/redistest"
)

// prodConfig is a production config that validates, with the given
// state and shared sections.
func prodConfig(t *testing.T, state, shared string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "mode: production\ndata_dir: %s\npublic_url: https://auth.example.com\ncookie: {domain: example.com}\n", t.TempDir())
	b.WriteString("state: " + state + "\nshared: " + shared + "\n" + testSecrets(t))
	return b.String()
}

// TestCheckConfigReportsUnreachableOrMisconfiguredRedis: in production,
// check-config dials every Redis the config uses and names the section
// that cannot serve, without showing a password; in development it
// dials nothing.
func TestCheckConfigReportsUnreachableOrMisconfiguredRedis(t *testing.T) {
	redistest.Need(t)
	cl := redistest.StartCluster(t, 3)
	sn := redistest.StartSentinel(t)
	standalone := redistest.StartServer(t)
	dead, err := redistest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	const pw = "redis-password-do-not-print"
	sentinel := fmt.Sprintf("{backend: redis, redis: {sentinel: {master_name: %s, addrs: [%s]}}}", sn.MasterName, strings.Join(sn.SentinelAddrs, ", "))
	cluster := fmt.Sprintf("{backend: redis, redis: {cluster: {addrs: [%s]}}}", strings.Join(cl.Addrs, ", "))
	deadURL := fmt.Sprintf("{backend: redis, redis: {url: 'redis://:%s@127.0.0.1:%d/0', dial_timeout: 300ms}}", pw, dead)
	memory := "{backend: memory, allow_in_memory: true}"
	cases := []struct {
		name, state, shared string
		want                []string // "" for ok
	}{
		{"sentinel and cluster", sentinel, cluster, nil},
		{"standalone for both", "{backend: redis, redis: {url: '" + standalone.URL + "'}}", "{backend: redis, redis: {url: '" + standalone.URL + "'}}", nil},
		{"unreachable url", deadURL, memory, []string{"error: state.redis: cannot connect"}},
		{"url at a cluster node", "{backend: redis, redis: {url: '" + cl.Nodes[0].URL + "'}}", memory, []string{"error: state.redis:", "Cluster node"}},
		{"url at a replica", "{backend: redis, redis: {url: '" + sn.Replica.URL + "'}}", memory, []string{"error: state.redis:", "replica"}},
		{"cluster at a standalone server", "{backend: bbolt}", "{backend: redis, redis: {cluster: {addrs: ['" + standalone.Addr + "']}}}", []string{"error: shared.redis: cannot connect"}},
		{"unknown master name", "{backend: redis, redis: {sentinel: {master_name: nobody, addrs: [" + sn.SentinelAddrs[0] + "]}}}", cluster, []string{"error: state.redis: cannot connect"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := checkConfig(t, prodConfig(t, tc.state, tc.shared))
			if strings.Contains(out, pw) {
				t.Fatalf("output shows the password:\n%s", out)
			}
			if tc.want == nil {
				if err != nil || strings.TrimSpace(out) != "ok" {
					t.Fatalf("check-config = %v:\n%s", err, out)
				}
				return
			}
			if err == nil {
				t.Fatalf("check-config passed:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	t.Run("development dials nothing", func(t *testing.T) {
		cfg := strings.Replace(prodConfig(t, deadURL, memory), "mode: production", "mode: development", 1)
		if out, err := checkConfig(t, cfg); err != nil || strings.Contains(out, "cannot connect") {
			t.Fatalf("check-config in development = %v:\n%s", err, out)
		}
	})
}

func checkConfig(t *testing.T, cfg string) (string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gatehouse.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := CheckConfig(&Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}, []string{"--config", path})
	return out.String(), err
}

// TestCheckConfigNamesExternalJWTProblems: check-config prints each
// external_jwt mistake (issuers, rules that name them, the issuer header)
// with its YAML path, fails on errors and passes on warnings alone.
func TestCheckConfigNamesExternalJWTProblems(t *testing.T) {
	memory := "{backend: memory, allow_in_memory: true}"
	bad := prodConfig(t, "{backend: bbolt}", memory) + `
external_jwt:
  issuers:
    - {preset: github-actions}
    - {issuer: 'http://127.0.0.1:1', discovery: true, audiences: [api], algorithms: [HS256]}
rules:
  - {paths: [/deploy], policy: authenticated, credentials: [jwt], issuers: ['https://nowhere.example.com'], claims: {sub: '~('}}
verifier: {headers: {issuer: Remote-User}}
`
	out, err := checkConfig(t, bad)
	if err == nil {
		t.Fatalf("check-config passed:\n%s", out)
	}
	for _, w := range []string{
		"error: external_jwt.issuers[0].audiences: at least one audience",
		"error: external_jwt.issuers[1].issuer: must be https",
		"error: external_jwt.issuers[1].algorithms[0]: \"HS256\" is a shared-secret (HMAC) algorithm",
		"error: rules[0].issuers[0]: \"https://nowhere.example.com\" is not the issuer",
		"error: rules[0].claims.sub[0]: regular expression does not compile",
		"error: rules[0].credentials: claims and issuers are met only by external_jwt tokens",
		"error: verifier.headers.issuer: same header as verifier.headers.user",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	warnOnly := strings.Replace(prodConfig(t, "{backend: bbolt}", memory), "mode: production", "mode: development", 1) +
		"rules: [{paths: [/m2m], policy: authenticated, credentials: [external_jwt]}]\n"
	out, err = checkConfig(t, warnOnly)
	if err != nil || !strings.Contains(out, "warning: rules[0]: accepts external_jwt, but external_jwt.issuers is empty") || !strings.HasSuffix(out, "ok\n") {
		t.Fatalf("check-config = %v:\n%s", err, out)
	}
}
