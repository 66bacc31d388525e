package hydratest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/proctest"
)

// Version is the Hydra release scripts/build-hydra.sh builds by default
// (the require in scripts/hydra-wrapper/go.mod; a test keeps them equal).
const Version = "v2.3.0"

const (
	// binaryEnv names a Hydra binary to use instead of the cache's.
	binaryEnv = "GATEHOUSE_HYDRA"
	// maxBody bounds every response read from Hydra.
	maxBody = 1 << 20
	// readyWithin bounds the wait for /health/ready; a cold start on a
	// busy 2-core machine takes a few seconds.
	readyWithin = 60 * time.Second
)

// Binary returns the Hydra binary: $GATEHOUSE_HYDRA, else the one
// scripts/build-hydra.sh put in ${GATEHOUSE_TOOLS_CACHE:-/var/cache/gatehouse-tools}.
// A missing binary skips the test, or fails it when
// GATEHOUSE_REQUIRE_INTEGRATION=1.
func Binary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv(binaryEnv)
	if bin == "" {
		bin = filepath.Join(proctest.ToolsCache(), "hydra-"+Version, "hydra")
	}
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		proctest.Unavailable(t, "Hydra binary missing at %s: run scripts/build-hydra.sh", bin)
	}
	return bin
}

// Server is one running Hydra.
type Server struct {
	publicURL string // http://127.0.0.1:port, no trailing slash
	adminURL  string
	issuer    string
	client    *http.Client

	proc *proctest.Proc
}

// Start runs `hydra serve all --dev` with in-memory storage and JWT access
// tokens and waits until the admin API reports ready; the process is
// stopped by PID in t.Cleanup (internal/proctest).
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	publicPort, adminPort := proctest.FreePort(t), proctest.FreePort(t)
	s := &Server{
		publicURL: "http://127.0.0.1:" + strconv.Itoa(publicPort),
		adminURL:  "http://127.0.0.1:" + strconv.Itoa(adminPort),
		client:    &http.Client{Timeout: 10 * time.Second},
	}
	s.issuer = s.publicURL + "/"
	cmd := exec.Command(bin, "serve", "all", "--dev", "--sqa-opt-out")
	dir := t.TempDir()
	cmd.Dir = dir
	// Hydra reads every variable named like a config key, so it gets only
	// these: nothing of the caller's environment changes its behaviour.
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"TMPDIR=" + dir,
		"DSN=memory",
		"SERVE_PUBLIC_HOST=127.0.0.1",
		"SERVE_PUBLIC_PORT=" + strconv.Itoa(publicPort),
		"SERVE_ADMIN_HOST=127.0.0.1",
		"SERVE_ADMIN_PORT=" + strconv.Itoa(adminPort),
		"URLS_SELF_ISSUER=" + s.issuer,
		"STRATEGIES_ACCESS_TOKEN=jwt",
		// Hydra refuses to start without a system secret of at least 16
		// characters, --dev or not.
		"SECRETS_SYSTEM=" + randomHex(t, 32),
		"LOG_LEVEL=warn",
	}
	s.proc = proctest.Start(t, "hydra", cmd)
	s.waitReady(t)
	return s
}

// waitReady polls the admin API's /health/ready until it answers 200.
func (s *Server) waitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(readyWithin)
	for time.Now().Before(deadline) {
		if s.proc.Exited() {
			t.Fatalf("hydra exited before it was ready:\n%s", s.proc.Output())
		}
		if resp, err := s.client.Get(s.adminURL + "/health/ready"); err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("hydra not ready after %s:\n%s", readyWithin, s.proc.Output())
}

// Stop ends Hydra (SIGTERM to its process group, then SIGKILL). Start
// registers it with t.Cleanup; a test calls it early to see how its
// callers behave with the issuer gone.
func (s *Server) Stop() { s.proc.Stop() }

// Issuer is the issuer URL Hydra puts in `iss` and its discovery document
// (URLS_SELF_ISSUER, with its trailing slash).
func (s *Server) Issuer() string { return s.issuer }

// JWKSURL is the public JWKS endpoint with the token-signing keys.
func (s *Server) JWKSURL() string { return s.publicURL + "/.well-known/jwks.json" }

// TokenURL is the OAuth 2.0 token endpoint.
func (s *Server) TokenURL() string { return s.publicURL + "/oauth2/token" }

// AdminURL is the admin API's base URL (no trailing slash).
func (s *Server) AdminURL() string { return s.adminURL }

// Client is an OAuth 2.0 client registered with Hydra.
type Client struct {
	ID       string
	Secret   string
	Audience []string
}

// CreateClient registers a client-credentials client whose access tokens
// are JWTs and which may request the given audiences.
func (s *Server) CreateClient(t testing.TB, audience ...string) Client {
	t.Helper()
	if audience == nil {
		audience = []string{}
	}
	body, err := json.Marshal(map[string]any{
		"grant_types":                []string{"client_credentials"},
		"token_endpoint_auth_method": "client_secret_basic",
		"access_token_strategy":      "jwt",
		"audience":                   audience,
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, b := s.do(t, http.MethodPost, s.adminURL+"/admin/clients", "application/json", bytes.NewReader(body), nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /admin/clients: %s: %s", resp.Status, b)
	}
	var c struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	if err := json.Unmarshal(b, &c); err != nil || c.ID == "" || c.Secret == "" {
		t.Fatalf("POST /admin/clients: no client id and secret in %d-byte answer (%v)", len(b), err)
	}
	return Client{ID: c.ID, Secret: c.Secret, Audience: audience}
}

// Token fetches a client-credentials access token for c, requesting all
// of c's audiences, and returns it as sent (a compact JWS).
func (s *Server) Token(t testing.TB, c Client) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(c.Audience) > 0 {
		form.Set("audience", strings.Join(c.Audience, " "))
	}
	resp, b := s.do(t, http.MethodPost, s.TokenURL(), "application/x-www-form-urlencoded",
		strings.NewReader(form.Encode()), func(r *http.Request) {
			r.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
		})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /oauth2/token: %s: %s", resp.Status, b)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(b, &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("POST /oauth2/token: no access_token in %d-byte answer (%v)", len(b), err)
	}
	return tok.AccessToken
}

// accessTokenKeys is Hydra's key set that signs JWT access tokens.
const accessTokenKeys = "/admin/keys/hydra.jwt.access-token"

// RotateSigningKey adds a new RS256 key to the access-token key set, which
// signs every later access token, and deletes the keys that signed before,
// so they leave the JWKS. It returns the new key's kid.
func (s *Server) RotateSigningKey(t testing.TB) string {
	t.Helper()
	old := s.keyIDs(t, http.MethodGet, nil)
	kid := "rotated-" + randomHex(t, 16)
	body, err := json.Marshal(map[string]string{"alg": "RS256", "use": "sig", "kid": kid})
	if err != nil {
		t.Fatal(err)
	}
	// The answer holds the private key: only its kids are read, never logged.
	if got := s.keyIDs(t, http.MethodPost, body); len(got) != 1 || got[0] != kid {
		t.Fatalf("POST %s: created %v, want [%s]", accessTokenKeys, got, kid)
	}
	for _, k := range old {
		resp, b := s.do(t, http.MethodDelete, s.adminURL+accessTokenKeys+"/"+url.PathEscape(k), "application/json", nil, nil)
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("DELETE %s/%s: %s: %s", accessTokenKeys, k, resp.Status, b)
		}
	}
	return kid
}

// keyIDs lists (GET) or creates (POST body) keys of the access-token set
// and returns the kids of the keys in the answer.
func (s *Server) keyIDs(t testing.TB, method string, body []byte) []string {
	t.Helper()
	resp, b := s.do(t, method, s.adminURL+accessTokenKeys, "application/json", bytes.NewReader(body), nil)
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		t.Fatalf("%s %s: %s", method, accessTokenKeys, resp.Status)
	}
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatalf("%s %s: not a JWK set: %v", method, accessTokenKeys, err)
	}
	kids := make([]string, 0, len(set.Keys))
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

// do sends one request to Hydra and reads at most maxBody of the answer.
func (s *Server) do(t testing.TB, method, rawURL, contentType string, body io.Reader, edit func(*http.Request)) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	if edit != nil {
		edit(req)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, rawURL, err)
	}
	if len(b) > maxBody {
		t.Fatalf("%s %s: answer over %d bytes", method, rawURL, maxBody)
	}
	return resp, b
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
