package serve

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/internal/app"
)

// syncBuffer collects log lines across goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func noEnv(string) string { return "" }

const (
	everyoneRule = "  - name: everyone\n    policy: authenticated\n"
	blockedRule  = "  - name: blocked\n    paths: [\"/blocked/\"]\n    policy: deny\n"
)

// testServer is a Server built as `gatehouse serve --config <file>`
// builds it, without its listeners, on a bbolt store in a temporary
// directory.
type testServer struct {
	*Server
	dir  string
	path string // the config file
	logs *syncBuffer
}

// newTestServer starts from a development config with cheap password
// hashing, the given rules (YAML list items) and extra top-level YAML.
func newTestServer(t *testing.T, rules, extra string) *testServer {
	t.Helper()
	ts := &testServer{dir: t.TempDir(), logs: &syncBuffer{}}
	ts.path = filepath.Join(ts.dir, "gatehouse.yaml")
	ts.writeConfig(t, rules, extra)
	cfg, err := app.LoadConfig(ts.path, "", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	c, err := app.Open(cfg, &bytes.Buffer{}, false)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, c, zerolog.New(ts.logs), Options{ConfigPath: ts.path, Getenv: noEnv, Stderr: &bytes.Buffer{}})
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.closeExternal()
		s.ver.Close()
		s.portal.Close(context.Background())
		c.Close()
	})
	ts.Server = s
	return ts
}

// writeConfig replaces the config file.
func (ts *testServer) writeConfig(t *testing.T, rules, extra string) {
	t.Helper()
	writeFile(t, ts.path, fmt.Sprintf("mode: development\ndata_dir: %s\npasswords:\n  memory: 1024\n  time: 1\n  threads: 1\nrules:\n%s%s",
		filepath.Join(ts.dir, "data"), rules, extra))
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// ask sends nginx's forward-auth question for path, without a credential,
// from a trusted peer, and returns the status.
func ask(s *Server, path string) int { return askWith(s, path, "") }

// askWith is ask with an Authorization header ("" for none).
func askWith(s *Server, path, authorization string) int {
	var req fasthttp.Request
	req.SetRequestURI("/auth/nginx")
	req.Header.Set("X-Original-Method", "GET")
	req.Header.Set("X-Original-URL", "http://app.example.test"+path)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	rc := new(fasthttp.RequestCtx)
	rc.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	s.ver.Handler(rc)
	return rc.Response.StatusCode()
}
