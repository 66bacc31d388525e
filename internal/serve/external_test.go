package serve

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/jwks"
	"github.com/gatehouse/gatehouse/internal/proctest"
)

// ed25519JWKS is a key set of one Ed25519 signature key.
func ed25519JWKS(t *testing.T, kid string) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`{"keys":[{"kty":"OKP","crv":"Ed25519","use":"sig","alg":"EdDSA","kid":%q,"x":%q}]}`,
		kid, base64.RawURLEncoding.EncodeToString(pub))
}

// jwksServer serves body as a key set on loopback; handler, when set,
// runs first (to block or count).
func jwksServer(t *testing.T, body string, before func()) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if before != nil {
			before()
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// closedURL is a loopback URL nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	return "http://127.0.0.1:" + strconv.Itoa(proctest.FreePort(t)) + "/jwks"
}

// externalYAML is an external_jwt section with one issuer per JWKS URL,
// named https://issuer-<i>.example.test.
func externalYAML(audience string, jwksURLs ...string) string {
	var b strings.Builder
	b.WriteString("external_jwt:\n  issuers:\n")
	for i, u := range jwksURLs {
		fmt.Fprintf(&b, "    - issuer: https://issuer-%d.example.test\n      jwks_url: %s\n      audiences: [%s]\n", i, u, audience)
	}
	return b.String()
}

func sourcesOf(s *Server) map[string]*jwks.Source {
	out := map[string]*jwks.Source{}
	for _, src := range s.external {
		out[src.Issuer()] = src
	}
	return out
}

// TestUnreachableIssuerDoesNotStopGatehouse: an issuer whose key set
// cannot be fetched at startup is logged (its URL, nothing of a token),
// gatehouse still starts, the other issuers have their keys, and the
// unreachable one answers ErrStale (which the verifier turns into 503)
// until a fetch succeeds.
func TestUnreachableIssuerDoesNotStopGatehouse(t *testing.T) {
	good := jwksServer(t, ed25519JWKS(t, "k1"), nil)
	ts := newTestServer(t, everyoneRule, externalYAML("gatehouse", good.URL+"/jwks", closedURL(t)))
	srcs := sourcesOf(ts.Server)
	if len(srcs) != 2 {
		t.Fatalf("%d key sources, want one per issuer (2)", len(srcs))
	}
	if st := srcs["https://issuer-0.example.test"].Stats(); st.Keys != 1 || st.FetchedAt.IsZero() {
		t.Fatalf("reachable issuer: %+v, want its one key fetched at startup", st)
	}
	down := srcs["https://issuer-1.example.test"]
	if _, err := down.Key("k1", "EdDSA"); !errors.Is(err, jwks.ErrStale) {
		t.Fatalf("unreachable issuer's Key: %v, want ErrStale (503)", err)
	}
	logs := ts.logs.String()
	if !strings.Contains(logs, "no key set at startup") || !strings.Contains(logs, "https://issuer-1.example.test") {
		t.Fatalf("the failed first fetch was not logged with its issuer:\n%s", logs)
	}
}

// TestFirstFetchesRunInParallel: each key-set endpoint answers only once
// the other has been asked, which a one-after-the-other first fetch never
// gets past.
func TestFirstFetchesRunInParallel(t *testing.T) {
	var askedA, askedB sync.Once
	a, b := make(chan struct{}), make(chan struct{})
	wait := func(c chan struct{}) {
		select {
		case <-c:
		case <-time.After(30 * time.Second):
		}
	}
	srvA := jwksServer(t, ed25519JWKS(t, "a"), func() { askedA.Do(func() { close(a) }); wait(b) })
	srvB := jwksServer(t, ed25519JWKS(t, "b"), func() { askedB.Do(func() { close(b) }); wait(a) })
	srcs := make([]*jwks.Source, 0, 2)
	for i, u := range []string{srvA.URL, srvB.URL} {
		src, err := jwks.New(app.JWKSOptions(config.ExternalIssuer{Issuer: fmt.Sprintf("https://p%d.example.test", i), JWKSURL: u},
			false, jwksClient(nil)))
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, src)
	}
	firstFetch(srcs, 20*time.Second, zerolog.New(io.Discard))
	for _, src := range srcs {
		if st := src.Stats(); st.Keys != 1 {
			t.Errorf("%s: %+v, want its key: the first fetches did not run at once", src.Issuer(), st)
		}
	}
}

// TestFirstFetchGivesUpAtItsBound: an endpoint that never answers holds
// the startup only until the bound; the source is left without keys.
func TestFirstFetchGivesUpAtItsBound(t *testing.T) {
	release := make(chan struct{})
	hang := jwksServer(t, ed25519JWKS(t, "k1"), func() { <-release })
	defer close(release) // before the server's Close, which waits for handlers
	src, err := jwks.New(app.JWKSOptions(config.ExternalIssuer{Issuer: "https://hang.example.test", JWKSURL: hang.URL},
		false, jwksClient(nil)))
	if err != nil {
		t.Fatal(err)
	}
	firstFetch([]*jwks.Source{src}, 50*time.Millisecond, zerolog.New(io.Discard))
	if _, err := src.Key("k1", "EdDSA"); !errors.Is(err, jwks.ErrStale) {
		t.Fatalf("Key after a hung first fetch: %v, want ErrStale", err)
	}
	if st := src.Stats(); st.Failures != 1 {
		t.Fatalf("stats %+v, want the hung fetch counted as a failure", st)
	}
}

// TestPlainHTTPIssuerOnlyInDevelopment: AllowLoopbackHTTP follows the
// mode, so a production gatehouse never fetches keys over plain http.
func TestPlainHTTPIssuerOnlyInDevelopment(t *testing.T) {
	srv := jwksServer(t, ed25519JWKS(t, "k1"), nil)
	ic := config.ExternalIssuer{Issuer: "https://ci.example.test", JWKSURL: srv.URL + "/jwks", Audiences: []string{"gatehouse"}}
	for _, mode := range []string{config.ModeDevelopment, config.ModeProduction} {
		t.Run(mode, func(t *testing.T) {
			cfg := &config.Config{Mode: mode, ExternalJWT: config.ExternalJWT{Issuers: []config.ExternalIssuer{ic}}}
			_, srcs, err := externalIssuers(cfg, zerolog.New(io.Discard))
			if mode == config.ModeProduction {
				if !errors.Is(err, jwks.ErrInsecureURL) {
					t.Fatalf("production: %v, want ErrInsecureURL", err)
				}
				return
			}
			if err != nil || len(srcs) != 1 || srcs[0].Stats().Keys != 1 {
				t.Fatalf("development: %v, %d sources, want the loopback key set fetched", err, len(srcs))
			}
		})
	}
}

// TestServerExportsKeySetMetrics: the key sources New builds are the ones
// /metrics reads.
func TestServerExportsKeySetMetrics(t *testing.T) {
	good := jwksServer(t, ed25519JWKS(t, "k1"), nil)
	ts := newTestServer(t, everyoneRule, externalYAML("gatehouse", good.URL+"/jwks"))
	want := `
# HELP gatehouse_jwks_keys Signature keys in the external issuer's current key set (0: none fetched yet).
# TYPE gatehouse_jwks_keys gauge
gatehouse_jwks_keys{issuer="https://issuer-0.example.test"} 1
`
	if err := testutil.GatherAndCompare(ts.metrics.Registry, strings.NewReader(want), "gatehouse_jwks_keys"); err != nil {
		t.Fatal(err)
	}
}

// TestKeySetFetchLogs: a failed fetch is a warning naming the issuer; the
// first success and the first after a failure are info, routine
// refreshes debug.
func TestKeySetFetchLogs(t *testing.T) {
	var buf syncBuffer
	log := fetchLogger("https://idp.example.test", zerolog.New(&buf))
	exp := time.Unix(1700000000, 0)
	steps := []struct {
		r    jwks.FetchResult
		want string // level, "" for nothing above debug
	}{
		{jwks.FetchResult{Keys: 2, Expires: exp}, "info"},
		{jwks.FetchResult{Keys: 2, Expires: exp}, "debug"},
		{jwks.FetchResult{Err: jwks.ErrFetch}, "warn"},
		{jwks.FetchResult{Err: jwks.ErrFetch}, "warn"},
		{jwks.FetchResult{Keys: 1, Expires: exp}, "info"},
		{jwks.FetchResult{Keys: 1, Expires: exp}, "debug"},
	}
	for i, s := range steps {
		before := len(buf.String())
		log(s.r)
		line := buf.String()[before:]
		if !strings.Contains(line, `"level":"`+s.want+`"`) || !strings.Contains(line, `"issuer":"https://idp.example.test"`) {
			t.Fatalf("step %d: logged %q, want a %s line naming the issuer", i, line, s.want)
		}
	}
}
