package integration

// Proxy plumbing: the generated configs run in the real proxies against a
// scripted verifier that follows the dialect contract of docs/design.md "Dialects" and "Answers". This
// pins the proxy side on its own — which headers each proxy sends to the
// verifier, how it turns each answer into a response, that it strips
// forged identity headers and fails closed — independently of the
// verifier's own logic, which TestProxies covers end to end.

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/proxyconf"
)

// scriptedVerifier answers like gatehouse for three bearer tokens
// ("user", "admin", anything else is invalid), a bypass prefix /public/
// and an admin prefix /admin/, and records the original request each
// dialect reported.
type scriptedVerifier struct {
	srv    *httptest.Server
	portal string
	mu     sync.Mutex
	seen   []string // "METHOD URL" per check
	// failWith, when not zero, is the status every check answers with
	// (with a forged Remote-User, which no proxy may take for an allow);
	// -1 makes every check hang for stall before answering 200.
	failWith atomic.Int64
	stall    time.Duration
}

func startScriptedVerifier(t *testing.T) *scriptedVerifier {
	v := &scriptedVerifier{portal: "http://127.0.0.1:9"}
	v.srv = httptest.NewServer(http.HandlerFunc(v.serve))
	t.Cleanup(v.srv.Close)
	return v
}

func (v *scriptedVerifier) addr() string { return strings.TrimPrefix(v.srv.URL, "http://") }

func (v *scriptedVerifier) last() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.seen) == 0 {
		return ""
	}
	return v.seen[len(v.seen)-1]
}

// one returns the single value of h, or "" and false when it is missing
// or repeated (the dialects refuse both).
func one(r *http.Request, h string) (string, bool) {
	vs := r.Header.Values(h)
	if len(vs) != 1 || vs[0] == "" {
		return "", false
	}
	return vs[0], true
}

func (v *scriptedVerifier) serve(w http.ResponseWriter, r *http.Request) {
	switch f := v.failWith.Load(); {
	case f == -1:
		select {
		case <-time.After(v.stall):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Remote-User", "stalled@example.test")
		w.WriteHeader(http.StatusOK)
		return
	case f != 0:
		w.Header().Set("Remote-User", "failing@example.test")
		writeJSON(w, int(f), "STORE_UNAVAILABLE")
		return
	}
	var method, original string
	ok := true
	switch r.URL.Path {
	case "/auth/nginx":
		var ok1, ok2 bool
		method, ok1 = one(r, "X-Original-Method")
		original, ok2 = one(r, "X-Original-URL")
		ok = ok1 && ok2
	case "/auth/traefik", "/auth/haproxy", "/auth/caddy":
		m, ok1 := one(r, "X-Forwarded-Method")
		uri, ok2 := one(r, "X-Forwarded-Uri")
		host, ok3 := one(r, "X-Forwarded-Host")
		if r.URL.Path == "/auth/caddy" && !ok3 {
			host, ok3 = r.Host, r.Host != ""
		}
		proto := "http"
		if r.URL.Path != "/auth/caddy" {
			var ok4 bool
			proto, ok4 = one(r, "X-Forwarded-Proto")
			ok3 = ok3 && ok4
		}
		method, original, ok = m, proto+"://"+host+uri, ok1 && ok2 && ok3
	default:
		ok = false
	}
	v.mu.Lock()
	v.seen = append(v.seen, method+" "+original)
	v.mu.Unlock()
	u, err := url.Parse(original)
	if !ok || err != nil || !strings.HasPrefix(u.Path, "/") {
		writeJSON(w, http.StatusBadRequest, "REQUEST_INVALID")
		return
	}
	identity := map[string]string{}
	for _, h := range proxyconf.DefaultIdentityHeaders() {
		identity[h] = ""
	}
	user := ""
	switch r.Header.Get("Authorization") {
	case "":
	case "Bearer user":
		user = "user@example.test"
		identity["Remote-Groups"] = "staff"
	case "Bearer admin":
		user = "admin@example.test"
		identity["Remote-Groups"] = "admin,staff"
	default:
		if !strings.HasPrefix(u.Path, "/public/") {
			writeJSON(w, http.StatusUnauthorized, "AUTHENTICATION_FAILED")
			return
		}
	}
	if user != "" {
		identity["Remote-User"], identity["Remote-Email"], identity["Remote-Auth-Method"] = user, user, "jwt"
	}
	switch {
	case strings.HasPrefix(u.Path, "/public/"):
	case user == "":
		w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
		if strings.Contains(r.Header.Get("Accept"), "text/html") {
			w.Header().Set("Location", v.portal+"/login?rd="+url.QueryEscape(original))
			if r.URL.Path != "/auth/nginx" {
				w.WriteHeader(http.StatusFound)
				return
			}
		}
		writeJSON(w, http.StatusUnauthorized, "AUTHENTICATION_FAILED")
		return
	case strings.HasPrefix(u.Path, "/admin/") && !strings.Contains(identity["Remote-Groups"], "admin"):
		writeJSON(w, http.StatusForbidden, "INSUFFICIENT_ROLES")
		return
	}
	for h, val := range identity {
		// Under /public/omit/ the empty ones are left out altogether, as
		// a verifier may do: a client's copy must not survive that either.
		if val == "" && strings.HasPrefix(u.Path, "/public/omit/") {
			continue
		}
		w.Header()[h] = []string{val}
	}
	w.WriteHeader(http.StatusOK)
}

func writeJSON(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"code": code, "detail": strings.ToLower(code)})
}

// libRenderer renders with proxyconf.Render against the scripted verifier.
func libRenderer(verifier string) renderer {
	return func(t *testing.T, proxy string, o renderOpts) []byte {
		out, err := proxyconf.Render(proxy, proxyconf.Params{
			VerifierAddr: verifier, AppHost: "127.0.0.1", Upstream: o.upstream,
			Listen: o.listen, LuaPath: o.luaPath,
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}

func TestProxyPlumbing(t *testing.T) {
	for _, px := range proxies {
		t.Run(px.name, func(t *testing.T) {
			v := startScriptedVerifier(t)
			up := startUpstream(t)
			base := px.start(t, libRenderer(v.addr()), up.srv.URL)
			runPlumbingScenarios(t, px.name, v, up, base)
		})
	}
}

func runPlumbingScenarios(t *testing.T, proxy string, v *scriptedVerifier, up *upstream, base string) {
	t.Run("original request reported to the verifier", func(t *testing.T) {
		upstreamSaw(t, call(t, http.MethodGet, base+"/app/page?x=1&y=%20z", with(apiHeaders, "Authorization", "Bearer user")))
		if got, want := v.last(), "GET "+base+"/app/page?x=1&y=%20z"; got != want {
			t.Errorf("verifier saw %q, want %q", got, want)
		}
		call(t, http.MethodDelete, base+"/app/item/7", with(apiHeaders, "Authorization", "Bearer user"))
		if got, want := v.last(), "DELETE "+base+"/app/item/7"; got != want {
			t.Errorf("verifier saw %q, want %q", got, want)
		}
	})

	t.Run("browser without credentials is redirected to the portal", func(t *testing.T) {
		r := call(t, http.MethodGet, base+"/app/page?x=1", browserHeaders)
		if r.resp.StatusCode != http.StatusFound {
			t.Fatalf("status %d, want 302; body %.200s", r.resp.StatusCode, r.body)
		}
		want := v.portal + "/login?rd=" + url.QueryEscape(base+"/app/page?x=1")
		if got := r.resp.Header.Get("Location"); got != want {
			t.Errorf("Location %q, want %q", got, want)
		}
	})

	t.Run("API call without credentials is 401 JSON", func(t *testing.T) {
		r := call(t, http.MethodGet, base+"/app/data", apiHeaders)
		if r.resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401; body %.200s", r.resp.StatusCode, r.body)
		}
		var e struct{ Code string }
		if json.Unmarshal(r.body, &e) != nil || e.Code == "" {
			t.Errorf("body %.200q is not a JSON error", r.body)
		}
		if r.resp.Header.Get("X-Echo") != "" {
			t.Error("upstream reached")
		}
	})

	t.Run("allowed request carries the verifier's identity only", func(t *testing.T) {
		e := upstreamSaw(t, call(t, http.MethodGet, base+"/app/page", with(apiHeaders, append([]string{"Authorization", "Bearer user"}, spoofed...)...)))
		wantOnly(t, e, "Remote-User", "user@example.test")
		wantOnly(t, e, "Remote-Groups", "staff")
		wantOnly(t, e, "Remote-Auth-Method", "jwt")
		wantOnly(t, e, "Remote-Api-Key-Id", "")
		wantOnly(t, e, "Remote-Issuer", "")
	})

	t.Run("forged headers are dropped on a bypass path", func(t *testing.T) {
		e := upstreamSaw(t, call(t, http.MethodGet, base+"/public/x", with(apiHeaders, spoofed...)))
		for _, h := range proxyconf.DefaultIdentityHeaders() {
			wantOnly(t, e, h, "")
		}
	})

	t.Run("403 from the verifier is a 403", func(t *testing.T) {
		r := call(t, http.MethodGet, base+"/admin/x", with(apiHeaders, "Authorization", "Bearer user"))
		if r.resp.StatusCode != http.StatusForbidden || r.resp.Header.Get("X-Echo") != "" {
			t.Fatalf("status %d, want 403 without the upstream", r.resp.StatusCode)
		}
		upstreamSaw(t, call(t, http.MethodGet, base+"/admin/x", with(apiHeaders, "Authorization", "Bearer admin")))
	})

	t.Run("malformed original request is denied", func(t *testing.T) {
		// The verifier answers 400 to a malformed report; every proxy must
		// deny rather than pass the request on.
		r := call(t, http.MethodGet, base+"/app/page", with(apiHeaders, "Authorization", "Bearer user", "X-Forwarded-Uri", "/public/x", "X-Original-URL", "http://127.0.0.1/public/x"))
		if r.resp.StatusCode == http.StatusOK {
			e := upstreamSaw(t, r)
			wantOnly(t, e, "Remote-User", "user@example.test")
			if got := v.last(); !strings.HasSuffix(got, "/app/page") {
				t.Errorf("client-sent forwarded headers changed what the verifier saw: %q", got)
			}
		}
	})

	t.Run("another Host is refused", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, base+"/public/x", nil)
		req.Host = "other.example.test"
		resp, err := noRedirectClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("X-Echo") != "" {
			t.Errorf("request for another host reached the upstream (status %d)", resp.StatusCode)
		}
	})

	t.Run("forged identity headers in every spelling never reach the upstream", func(t *testing.T) {
		checkForgedSpellings(t, base, "/app/page", with(apiHeaders, "Authorization", "Bearer user"))
	})

	t.Run("forged identity headers in every spelling are dropped on a bypass path", func(t *testing.T) {
		checkForgedSpellings(t, base, "/public/x", apiHeaders)
		checkForgedSpellings(t, base, "/public/x", with(apiHeaders, "Authorization", "Bearer invalid"))
	})

	t.Run("forged identity headers are dropped when the verifier omits them", func(t *testing.T) {
		checkForgedSpellings(t, base, "/public/omit/x", apiHeaders)
	})

	t.Run("absolute-form request line cannot report another host", func(t *testing.T) {
		checkAbsoluteForm(t, v, base)
	})

	t.Run("verifier errors deny", func(t *testing.T) {
		defer v.failWith.Store(0)
		before := up.hits.Load()
		for _, status := range []int{400, 404, 500, 502, 503, 504} {
			v.failWith.Store(int64(status))
			for _, p := range []string{"/app/page", "/public/x"} {
				r := call(t, http.MethodGet, base+p, with(apiHeaders, "Authorization", "Bearer user"))
				if r.resp.StatusCode < 400 || r.resp.Header.Get("X-Echo") != "" {
					t.Errorf("%s: verifier answered %d, proxy answered %d; want a deny", p, status, r.resp.StatusCode)
				}
			}
		}
		if up.hits.Load() != before {
			t.Error("upstream reached while the verifier failed")
		}
	})

	t.Run("stalled verifier denies", func(t *testing.T) {
		if proxy == "traefik" {
			// Traefik's ForwardAuth client has a fixed 30 s timeout and no
			// option for it; a verifier that answers 200 late is an allow.
			t.Skip("Traefik's forwardAuth timeout is not configurable (30 s)")
		}
		// The rendered timeout is the default 1 s. HAProxy 2.6's httpclient
		// retries a timed-out call 3 times, so it gives up after about 4 s.
		limit := 2500 * time.Millisecond
		if proxy == "haproxy" {
			limit = 5500 * time.Millisecond
		}
		defer v.failWith.Store(0)
		v.stall = limit + time.Second // a late 200 must not turn into an allow
		v.failWith.Store(-1)
		before := up.hits.Load()
		start := time.Now()
		r := call(t, http.MethodGet, base+"/app/page", with(apiHeaders, "Authorization", "Bearer user"))
		if r.resp.StatusCode < 400 || r.resp.Header.Get("X-Echo") != "" {
			t.Errorf("stalled verifier: proxy answered %d; want a deny", r.resp.StatusCode)
		}
		if d := time.Since(start); d > limit {
			t.Errorf("the proxy waited %v for a stalled verifier, want at most %v", d, limit)
		}
		if up.hits.Load() != before {
			t.Error("upstream reached while the verifier stalled")
		}
	})

	t.Run("verifier down denies", func(t *testing.T) {
		v.srv.Close()
		// Make sure nothing else took the port in between.
		if c, err := net.Dial("tcp", v.addr()); err == nil {
			c.Close()
			t.Skip("verifier port was reused")
		}
		before := up.hits.Load()
		for _, p := range []string{"/app/page", "/public/x"} {
			r := call(t, http.MethodGet, base+p, with(apiHeaders, "Authorization", "Bearer user"))
			if r.resp.StatusCode < 400 || r.resp.Header.Get("X-Echo") != "" {
				t.Errorf("%s: status %d with the verifier down, want a deny", p, r.resp.StatusCode)
			}
		}
		if up.hits.Load() != before {
			t.Error("upstream reached with the verifier down")
		}
	})
}
