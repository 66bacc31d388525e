package verifier

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/valyala/fasthttp"
)

func TestParseOriginalNginx(t *testing.T) {
	var h fasthttp.RequestHeader
	h.Set("X-Original-Method", "post")
	h.Set("X-Original-URL", "HTTPS://App.Example.TEST:8443/a/../b%41?q=1&r=%2F#frag")
	var o original
	if r := parseOriginal(DialectNginx, &h, &o); r != ReasonNone {
		t.Fatalf("reason %v", r)
	}
	got := map[string]string{"method": string(o.method), "scheme": string(o.scheme), "hostRaw": string(o.hostRaw),
		"host": string(o.host), "path": string(o.path), "query": string(o.query), "norm": string(o.norm)}
	want := map[string]string{"method": "POST", "scheme": "https", "hostRaw": "App.Example.TEST:8443",
		"host": "app.example.test", "path": "/a/../b%41", "query": "q=1&r=%2F", "norm": "/bA"}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("%s = %q, want %q", k, got[k], want[k])
		}
	}
}

func TestValidHost(t *testing.T) {
	for _, h := range []string{"a.example", "A-b.c", "x:80", "[::1]", "[::1]:9000", "127.0.0.1:1", "under_score.test", "fqdn.test.", "fqdn.test.:443"} {
		if !validHost([]byte(h)) {
			t.Errorf("validHost(%q) = false", h)
		}
	}
	for _, h := range []string{"", "a@b", "a/b", "a b", "a\tb", "a\\b", "a:", "a:123456", "a:8x", "[::1", "[zz]", "[::1]x", "é.test", ":80", "a:1:2", "%61.test", ".", ".a", "a..b", "a.b..", "..:80"} {
		if validHost([]byte(h)) {
			t.Errorf("validHost(%q) = true", h)
		}
	}
}

func TestReasonTable(t *testing.T) {
	for r := ReasonNone + 1; r < reasonCount; r++ {
		if r.String() == "" || r.Detail() == "" || len(r.body()) == 0 {
			t.Errorf("reason %d incomplete", r)
		}
		switch s := r.Status(); s {
		case 400, 401, 403, 404, 503:
		default:
			t.Errorf("%v: status %d", r, s)
		}
	}
	if ReasonAPIKeyRevoked.String() != "API_KEY_REVOKED" || ReasonRequestBodyInvalid.Status() != 401 ||
		ReasonTokenProcessingFailed.Status() != 503 || ReasonTOTPStepUpRequired.Status() != 403 {
		t.Fatal("mapping changed")
	}
}

// FuzzDialectParse feeds attacker-controlled forwarded headers to every
// dialect: no panic, and whatever is accepted is well-formed.
func FuzzDialectParse(f *testing.F) {
	f.Add("GET", "https", "app.example.test", "/a/b?c=d", "https://app.example.test/x")
	f.Add("post", "HTTP", "h:80", "/%2e%2e/x", "http://[::1]:8/%41")
	f.Add("G T", "ftp", "a@b", "/\\", "https://u@h/")
	f.Add("GET", "https", "h", "/a%zz", "https://h?x")
	f.Fuzz(func(t *testing.T, method, proto, host, uri, origURL string) {
		for d := DialectNginx; d <= DialectHAProxy; d++ {
			var h fasthttp.RequestHeader
			h.Set("X-Original-Method", method)
			h.Set("X-Original-URL", origURL)
			h.Set("X-Forwarded-Method", method)
			h.Set("X-Forwarded-Proto", proto)
			h.Set("X-Forwarded-Host", host)
			h.Set("X-Forwarded-Uri", uri)
			h.SetHost(host)
			h.SetMethod(method)
			h.SetRequestURI(envoyPrefix + uri)
			var o original
			if parseOriginal(d, &h, &o) != ReasonNone {
				continue
			}
			if len(o.method) == 0 {
				t.Fatalf("%v: empty method accepted", d)
			}
			for _, c := range o.method {
				if c < 'A' || c > 'Z' {
					t.Fatalf("%v: method %q", d, o.method)
				}
			}
			if !validHost(o.hostRaw) {
				t.Fatalf("%v: host %q", d, o.hostRaw)
			}
			for _, c := range o.host {
				if 'A' <= c && c <= 'Z' {
					t.Fatalf("%v: host not lower-cased %q", d, o.host)
				}
			}
			if o.host[0] == '.' || o.host[len(o.host)-1] == '.' || bytes.Contains(o.host, []byte("..")) {
				t.Fatalf("%v: host with an empty label or trailing dot %q", d, o.host)
			}
			if len(o.path) == 0 || o.path[0] != '/' || !utf8.Valid(o.path) || len(o.norm) == 0 || o.norm[0] != '/' {
				t.Fatalf("%v: path %q norm %q", d, o.path, o.norm)
			}
			for _, c := range o.path {
				if c <= ' ' || c == '\\' || c == 0x7f {
					t.Fatalf("%v: path byte %q", d, c)
				}
			}
			if s := string(o.scheme); s != "" && s != "http" && s != "https" {
				t.Fatalf("%v: scheme %q", d, s)
			}
		}
	})
}

// reqHeaderIndex matches names as fasthttp stores them; a name written in
// another form would never match, and its header would read as absent.
func TestReqHeaderNamesAreCanonical(t *testing.T) {
	names := []string{"X-Original-Method", "X-Original-URL", "X-Forwarded-Method", "X-Forwarded-Proto",
		"X-Forwarded-Host", "X-Forwarded-Uri", "Authorization", "X-API-Key"}
	seen := map[int]bool{}
	for _, n := range names {
		i := reqHeaderIndex(fasthttp.AppendNormalizedHeaderKey(nil, n))
		if i < 0 || seen[i] {
			t.Errorf("%s: slot %d", n, i)
		}
		seen[i] = true
	}
	if len(seen) != rhCount {
		t.Errorf("%d slots named, want %d", len(seen), rhCount)
	}
}

// One scan must count repeats (in one request, whatever their spelling)
// as PeekAll did: a repeated forwarded header or credential is refused.
func TestReqHeadersScanCountsRepeats(t *testing.T) {
	var h fasthttp.RequestHeader
	h.Add("x-forwarded-host", "a.test")
	h.Add("X-FORWARDED-HOST", "b.test")
	h.Add("X-Forwarded-Uri", "/x")
	h.Add("x-api-key", "")
	var rh reqHeaders
	rh.scan(&h)
	if _, ok := rh.one(rhForwardedHost); ok {
		t.Error("a repeated X-Forwarded-Host was accepted")
	}
	if _, present, ok := rh.opt(rhForwardedHost); !present || ok {
		t.Error("a repeated optional X-Forwarded-Host was accepted")
	}
	if v, ok := rh.one(rhForwardedURI); !ok || string(v) != "/x" {
		t.Errorf("X-Forwarded-Uri = %q, %v", v, ok)
	}
	if _, present, ok := rh.opt(rhAPIKey); !present || ok {
		t.Error("an empty optional header was accepted")
	}
	if _, present, ok := rh.opt(rhAuthorization); present || !ok {
		t.Error("an absent optional header was reported")
	}
}
