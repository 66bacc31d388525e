package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

// The forwarded request every row asks about (Traefik dialect: the five
// X-Forwarded-* headers, README "Traefik v3").
const (
	appHost    = "app.example.test"
	appURI     = "/api/items?limit=10"
	publicURI  = "/public/status"
	clientAddr = "203.0.113.7"
	authPath   = "/auth/traefik"
	keyPrefix  = "ak" // api_keys.prefix default
	benchEmail = "bench@example.test"
	benchPass  = "bench-password-123"
)

func forwarded(uri string) [][2]string {
	return [][2]string{
		{"X-Forwarded-Method", "GET"},
		{"X-Forwarded-Proto", "https"},
		{"X-Forwarded-Host", appHost},
		{"X-Forwarded-Uri", uri},
		{"X-Forwarded-For", clientAddr},
		{"Accept", "application/json"},
	}
}

// instance is one `gatehouse serve` with its own data directory (bbolt
// takes a lock on its file, and tokens.access.algorithm is one per
// process, so each JWT algorithm needs its own).
type instance struct {
	name                    string
	bin, dir, cfg           string
	verifier, portal, admin string
	pprof                   string // listen.pprof, or "" (--pprof)
	srv                     *server
	idleRSS                 uint64
}

// accessAlg is tokens.access.algorithm of an instance: HS256, EdDSA, ES256.
// signed raises the nonce cap for the signed-request row (see below);
// pprof turns on listen.pprof on a loopback port picked here; extra is
// more top-level YAML (external_jwt, verifier.token_cache).
func newInstance(bin, root, name, accessAlg string, signed, pprof bool, extra string) (*instance, error) {
	dir := filepath.Join(root, name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	in := &instance{name: name, bin: bin, dir: dir, cfg: filepath.Join(dir, "gatehouse.yaml")}
	var err error
	if in.verifier, err = freeAddr(); err != nil {
		return nil, err
	}
	if in.portal, err = freeAddr(); err != nil {
		return nil, err
	}
	if in.admin, err = freeAddr(); err != nil {
		return nil, err
	}
	listenPprof := ""
	if pprof {
		if in.pprof, err = freeAddr(); err != nil {
			return nil, err
		}
		listenPprof = fmt.Sprintf(", pprof: %q", in.pprof)
	}
	tokens := ""
	if accessAlg != "HS256" {
		keyFile := filepath.Join(dir, "access-key.pem")
		if err := writeAccessKey(accessAlg, keyFile); err != nil {
			return nil, err
		}
		tokens = fmt.Sprintf("tokens:\n  access:\n    algorithm: %s\n    keys: {bench: %q}\n    active_kid: bench\n", accessAlg, keyFile)
	}
	shared, signCfg := "", ""
	if signed {
		// Signature nonces are kept for 2 × max_skew in the shared store,
		// one entry per signed request: with the defaults (1 000 000
		// entries, 300 s) the store fills within seconds at wrk's rate
		// and denies (fail closed). A 60 s skew keeps the nonces of one
		// pass (the requests are signed just before they are sent).
		shared = "shared: {max_entries: 5000000}\n"
		signCfg = "  signing: {max_skew: 60s}\n"
	}
	yaml := fmt.Sprintf(`mode: development
data_dir: %q
listen: {verifier: %q, portal: %q, admin: %q%s}
public_url: http://%s
%sapi_keys:
  enabled: true
  allowed_scopes: [read]
%s%srules:
  - name: public
    paths: ["/public/"]
    policy: bypass
  - name: api
    paths: ["/api/"]
    policy: authenticated
%s`, filepath.Join(dir, "data"), in.verifier, in.portal, in.admin, listenPprof, in.portal, shared, signCfg, tokens, extra)
	if err := os.WriteFile(in.cfg, []byte(yaml), 0o600); err != nil {
		return nil, err
	}
	return in, nil
}

// writeAccessKey generates an EdDSA or ES256 private key as a PKCS#8 PEM file.
func writeAccessKey(alg, path string) error {
	var pemBytes []byte
	switch alg {
	case signing.AlgEdDSA:
		_, p, err := signing.GenerateEd25519Key("bench")
		if err != nil {
			return err
		}
		pemBytes = p
	case signing.AlgES256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return err
		}
		pemBytes = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	default:
		return fmt.Errorf("no key generator for %s", alg)
	}
	return os.WriteFile(path, pemBytes, 0o600)
}

func (in *instance) start(ctx context.Context) error {
	srv, err := startServer("gatehouse "+in.name, filepath.Join(in.dir, "serve.log"), in.bin, "serve", "--config", in.cfg)
	if err != nil {
		return err
	}
	in.srv = srv
	if err := waitHTTP(ctx, srv, "http://"+in.admin+"/healthz", 30*time.Second); err != nil {
		return fmt.Errorf("gatehouse %s: %v\n%s", in.name, err, srv.logTail())
	}
	if in.idleRSS, err = readRSS(srv.pid()); err != nil {
		return err
	}
	// The user every credential belongs to.
	_, err = in.cli(benchPass+"\n", "user", "add", "--email", benchEmail, "--password-stdin", "--roles", "read", "--verified")
	return err
}

func (in *instance) cli(stdin string, args ...string) (string, error) {
	cmd := exec.Command(in.bin, append(args, "--config", in.cfg)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("gatehouse %s (%s): %v: %s", strings.Join(args[:2], " "), in.name, err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// accessToken mints an access JWT with the instance's algorithm.
func (in *instance) accessToken() (string, error) {
	return in.cli("", "token", "issue", "--user", benchEmail, "--lifetime", "6h")
}

func (in *instance) apiKey(name string, signed bool) (string, error) {
	args := []string{"apikey", "create", "--user", benchEmail, "--name", name, "--scopes", "read"}
	if signed {
		args = append(args, "--signing-required")
	}
	return in.cli("", args...)
}

// sessionCookie logs in through the portal's JSON API.
func (in *instance) sessionCookie() (string, error) {
	body, _ := json.Marshal(map[string]string{"identifier": benchEmail, "password": benchPass})
	resp, err := http.Post("http://"+in.portal+"/api/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	for _, c := range resp.Cookies() {
		if c.Name == "gatehouse_session" && c.Value != "" {
			return "gatehouse_session=" + c.Value, nil
		}
	}
	return "", fmt.Errorf("login answered %s without a session cookie", resp.Status)
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitHTTP polls url until it answers, the server exits, or d passes.
func waitHTTP(ctx context.Context, srv *server, url string, d time.Duration) error {
	deadline := time.Now().Add(d)
	c := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		if !srv.alive() {
			return fmt.Errorf("%s exited", srv.name)
		}
		if resp, err := c.Get(url); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer within %s", url, d)
}

// probe sends one request and returns its status.
func probe(url string, headers [][2]string) (int, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	for _, h := range headers {
		req.Header.Set(h[0], h[1])
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
