package command

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
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
	return checkConfigWith(t, cfg, nil)
}

// checkConfigWith runs check-config with client (nil: the default
// transport) wrapped so that nothing but loopback is ever contacted.
func checkConfigWith(t *testing.T, cfg string, client *http.Client) (string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gatehouse.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &http.Client{}
	if client != nil {
		*c = *client
	}
	c.Transport = loopbackOnly{c.Transport}
	var out bytes.Buffer
	err := CheckConfig(&Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }, HTTPClient: c}, []string{"--config", path})
	return out.String(), err
}

// loopbackOnly refuses every request to a host that is not a loopback IP.
type loopbackOnly struct{ rt http.RoundTripper }

func (l loopbackOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if a, err := netip.ParseAddr(r.URL.Hostname()); err != nil || !a.IsLoopback() {
		return nil, fmt.Errorf("test transport: refusing %s, which is not loopback", r.URL.Host)
	}
	rt := l.rt
	if rt == nil {
		rt = http.DefaultTransport
	}
	return rt.RoundTrip(r)
}

// TestCheckConfigFetchesExternalKeySets: in production, check-config
// fetches each external issuer's key set once (discovery first) and names
// an issuer whose set cannot be fetched or holds no key; an issuer that
// already failed validation, and every issuer in development, is not
// contacted.
func TestCheckConfigFetchesExternalKeySets(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int64
	mux := http.NewServeMux()
	var issuer string
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, issuer, issuer+"/keys")
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","use":"sig","alg":"EdDSA","x":%q}]}`, base64.RawURLEncoding.EncodeToString(pub))
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"keys":[]}`)
	})
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		mux.ServeHTTP(w, r)
	}))
	defer ts.Close()
	issuer = ts.URL
	memory := "{backend: memory, allow_in_memory: true}"
	issuers := fmt.Sprintf(`external_jwt:
  issuers:
    - {issuer: '%[1]s', discovery: true, audiences: [api]}
    - {issuer: '%[1]s/missing', jwks_url: '%[1]s/nothing-here', audiences: [api]}
    - {issuer: '%[1]s/empty', jwks_url: '%[1]s/empty', audiences: [api]}
    - {issuer: '%[1]s/invalid', jwks_url: '%[1]s/keys', audiences: []}
`, ts.URL)
	out, err := checkConfigWith(t, prodConfig(t, "{backend: bbolt}", memory)+issuers, ts.Client())
	if err == nil {
		t.Fatalf("check-config passed:\n%s", out)
	}
	if strings.Contains(out, "external_jwt.issuers[0]") {
		t.Errorf("the reachable issuer is flagged:\n%s", out)
	}
	for _, w := range []string{
		"error: external_jwt.issuers[1]: cannot fetch the key set",
		"error: external_jwt.issuers[2]:",
		"error: external_jwt.issuers[3].audiences:",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "error: external_jwt.issuers[3]: ") {
		t.Errorf("an issuer that failed validation was fetched:\n%s", out)
	}
	// Discovery and keys of [0], [1] and [2]; nothing for [3].
	if n := hits.Load(); n != 4 {
		t.Errorf("%d requests to the issuer, want 4", n)
	}
	hits.Store(0)
	dev := strings.Replace(prodConfig(t, "{backend: bbolt}", memory), "mode: production", "mode: development", 1) + issuers
	if out, _ := checkConfigWith(t, dev, ts.Client()); strings.Contains(out, "cannot fetch") || hits.Load() != 0 {
		t.Errorf("development fetched %d times:\n%s", hits.Load(), out)
	}
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
