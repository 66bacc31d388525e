package integration

// Envoy cannot be installed on the build machines (not packaged for
// Debian, no static release on a registry we use), so its side is covered
// by two kinds of test:
//
//  1. Schema: the bootstrap `gatehouse proxyconf envoy` prints is decoded
//     with go-control-plane's generated protos (protojson, typed configs
//     resolved through the registry) and every message, including the
//     ones packed in Any, passes its protoc-gen-validate rules.
//
//  2. Contract: requests shaped the way Envoy's HTTP ext_authz client
//     shapes its check request are sent to a running gatehouse, and the
//     answer is judged the way Envoy judges it. The facts, each from the
//     ext_authz API documentation (envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto,
//     as shipped in the comments of go-control-plane's ext_authz.pb.go,
//     envoy v1.40.0):
//       - HttpService.path_prefix "Sets a prefix to the value of
//         authorization request header Path": the check request's path is
//         /auth/envoy followed by the original path and query.
//       - The check request keeps the original method (a method_override
//         field was only proposed upstream in 2026, envoyproxy/envoy#44564,
//         and we do not set it).
//       - "Host, Method, Path, Content-Length, and Authorization are
//         additionally included" in the allowed headers; other client
//         headers only when they match ExtAuthz.allowed_headers.
//       - "the value of Content-Length will be set to 0 and the request to
//         the authorization server will not have a message body" unless
//         with_request_body is set.
//       - HttpService doc: "When the authorization response status is
//         200 OK, the filter allows traffic"; on other statuses it does not
//         and passes the answer (status, body, allowed_client_headers, which
//         always include Location and WWW-Authenticate) to the client.
//       - AuthorizationResponse.allowed_upstream_headers: matching answer
//         headers are added to the upstream request and "Existing headers
//         will be overridden".
//       - ExtAuthz.http_service: "HTTP service configuration (default
//         timeout: 200ms)" — the generated config sets 1s explicitly.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"gopkg.in/yaml.v3"

	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	headermutationv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/header_mutation/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/gatehouse/gatehouse/proxyconf"
)

// validator is what protoc-gen-validate generates on every message.
type validator interface{ ValidateAll() error }

// decodeEnvoy turns the YAML bootstrap into the typed proto, failing on
// unknown fields and unregistered typed configs.
func decodeEnvoy(t *testing.T, y []byte) *bootstrapv3.Bootstrap {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal(y, &doc); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	js, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("yaml to json: %v", err)
	}
	var b bootstrapv3.Bootstrap
	if err := (protojson.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(js, &b); err != nil {
		t.Fatalf("protojson: %v", err)
	}
	if err := b.ValidateAll(); err != nil {
		t.Fatalf("bootstrap validation: %v", err)
	}
	return &b
}

// unpack opens an Any and validates the message inside.
func unpack(t *testing.T, a *anypb.Any) proto.Message {
	t.Helper()
	m, err := a.UnmarshalNew()
	if err != nil {
		t.Fatalf("typed_config %s: %v", a.GetTypeUrl(), err)
	}
	v, ok := m.(validator)
	if !ok {
		t.Fatalf("%s has no validation", a.GetTypeUrl())
	}
	if err := v.ValidateAll(); err != nil {
		t.Fatalf("%s: %v", a.GetTypeUrl(), err)
	}
	return m
}

func TestEnvoyBootstrapValidates(t *testing.T) {
	cases := []struct {
		name string
		p    proxyconf.Params
	}{
		{"defaults", proxyconf.Params{}},
		{"forward body", proxyconf.Params{ForwardBody: true, MaxBodyBytes: 2 << 20, Timeout: 1500 * time.Millisecond}},
		{"https upstream", proxyconf.Params{Upstream: "https://backend.internal:8443", Listen: "127.0.0.1:10000"}},
		{"custom headers", proxyconf.Params{IdentityHeaders: []string{"X-Auth-User", "X-Auth-Groups"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			y, err := proxyconf.Render("envoy", c.p)
			if err != nil {
				t.Fatal(err)
			}
			b := decodeEnvoy(t, y)
			listeners := b.GetStaticResources().GetListeners()
			if len(listeners) != 1 {
				t.Fatalf("%d listeners, want 1", len(listeners))
			}
			filters := listeners[0].GetFilterChains()[0].GetFilters()
			hcm, ok := unpack(t, filters[0].GetTypedConfig()).(*hcmv3.HttpConnectionManager)
			if !ok {
				t.Fatal("first network filter is not the HTTP connection manager")
			}
			var order []string
			var authz *extauthzv3.ExtAuthz
			var strip *headermutationv3.HeaderMutation
			for _, f := range hcm.GetHttpFilters() {
				order = append(order, f.GetName())
				switch m := unpack(t, f.GetTypedConfig()).(type) {
				case *extauthzv3.ExtAuthz:
					authz = m
				case *headermutationv3.HeaderMutation:
					strip = m
				}
			}
			if got := strings.Join(order, ","); got != "gatehouse.strip_identity_headers,envoy.filters.http.ext_authz,envoy.filters.http.router" {
				t.Fatalf("http filter order %s", got)
			}
			if hcm.GetCommonHttpProtocolOptions().GetHeadersWithUnderscoresAction().String() != "DROP_HEADER" {
				t.Error("headers with underscores are not dropped")
			}
			svc := authz.GetHttpService()
			if authz.GetFailureModeAllow() {
				t.Error("failure_mode_allow is true: a verifier outage would allow")
			}
			if svc.GetPathPrefix() != "/auth/envoy" {
				t.Errorf("path_prefix %q", svc.GetPathPrefix())
			}
			if d := svc.GetServerUri().GetTimeout().AsDuration(); d < 500*time.Millisecond {
				t.Errorf("timeout %v: Envoy's 200 ms default is too short", d)
			}
			if (authz.GetWithRequestBody() != nil) != c.p.ForwardBody {
				t.Errorf("with_request_body set = %v, ForwardBody = %v", authz.GetWithRequestBody() != nil, c.p.ForwardBody)
			}
			want := c.p.IdentityHeaders
			if len(want) == 0 {
				want = proxyconf.DefaultIdentityHeaders()
			}
			upstream := map[string]bool{}
			for _, m := range svc.GetAuthorizationResponse().GetAllowedUpstreamHeaders().GetPatterns() {
				upstream[m.GetExact()] = true
			}
			removed := map[string]bool{}
			for _, m := range strip.GetMutations().GetRequestMutations() {
				removed[m.GetRemove()] = true
			}
			for _, h := range want {
				l := strings.ToLower(h)
				if !upstream[l] {
					t.Errorf("%s is not in allowed_upstream_headers", h)
				}
				if !removed[l] {
					t.Errorf("%s is not stripped from client requests", h)
				}
			}
			client := map[string]bool{}
			for _, m := range svc.GetAuthorizationResponse().GetAllowedClientHeaders().GetPatterns() {
				client[m.GetExact()] = true
			}
			for _, h := range []string{"location", "set-cookie", "www-authenticate"} {
				if !client[h] {
					t.Errorf("%s is not in allowed_client_headers", h)
				}
			}
		})
	}
}

func TestEnvoyBootstrapRejectsBrokenConfig(t *testing.T) {
	// The validation must be able to fail: a bootstrap with a typo'd field
	// and one with an invalid value are refused.
	y, err := proxyconf.Render("envoy", proxyconf.Params{})
	if err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(string) string{
		"unknown field":     func(s string) string { return strings.Replace(s, "path_prefix:", "path_prefx:", 1) },
		"port out of range": func(s string) string { return strings.Replace(s, "port_value: 80\n", "port_value: 70000\n", 1) },
	} {
		t.Run(name, func(t *testing.T) {
			broken := mutate(string(y))
			if broken == string(y) {
				t.Fatal("mutation did not apply")
			}
			var doc any
			if err := yaml.Unmarshal([]byte(broken), &doc); err != nil {
				t.Fatal(err)
			}
			js, _ := json.Marshal(doc)
			var b bootstrapv3.Bootstrap
			err := protojson.Unmarshal(js, &b)
			if err == nil {
				err = b.ValidateAll()
			}
			if err == nil {
				t.Fatal("broken bootstrap accepted")
			}
		})
	}
}

// envoyCheck sends the check request Envoy's HTTP ext_authz client would
// send for the original request (method, path+query, host, client headers
// already filtered by allowed_headers) and reports Envoy's decision.
type envoyAnswer struct {
	allowed  bool
	status   int
	upstream http.Header // headers Envoy would set on the upstream request
	client   http.Header // headers Envoy would pass to the client on a deny
	body     []byte
}

var envoyAllowedClientHeaders = []string{"Location", "Set-Cookie", "Www-Authenticate", "Content-Type"}

func envoyCheck(t *testing.T, g *gatehouse, method, host, pathQuery string, hdr map[string]string) envoyAnswer {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+g.verifier+"/auth/envoy"+pathQuery, http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.ContentLength = 0
	req.Header.Set("Content-Length", "0")
	req.Header.Set("X-Forwarded-Proto", "http")
	req.Header.Set("X-Forwarded-For", "127.0.0.1")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := noRedirectClient.Do(req)
	if err != nil {
		t.Fatalf("check request: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	a := envoyAnswer{status: resp.StatusCode, body: body, upstream: http.Header{}, client: http.Header{}}
	// Only an exact 200 allows (ext_authz HttpService doc).
	a.allowed = resp.StatusCode == http.StatusOK
	if a.allowed {
		for _, h := range proxyconf.DefaultIdentityHeaders() {
			if vs, ok := resp.Header[http.CanonicalHeaderKey(h)]; ok {
				a.upstream[http.CanonicalHeaderKey(h)] = vs
			}
		}
	} else {
		for _, h := range envoyAllowedClientHeaders {
			if vs, ok := resp.Header[h]; ok {
				a.client[h] = vs
			}
		}
	}
	return a
}

func TestEnvoyCheckRequestContract(t *testing.T) {
	needGatehouse(t)
	g := startGatehouse(t)
	jwt := g.accessToken(userEmail)
	key := g.apiKey(userEmail)
	host := fmt.Sprintf("127.0.0.1:%d", freePort(t)) // the app's host as Envoy's :authority
	browser := map[string]string{"Accept": "text/html", "Sec-Fetch-Mode": "navigate"}
	api := map[string]string{"Accept": "application/json"}
	bearer := func(tok string) map[string]string {
		return map[string]string{"Accept": "application/json", "Authorization": "Bearer " + tok}
	}

	cases := []struct {
		name      string
		method    string
		pathQuery string
		hdr       map[string]string
		allow     bool
		status    int
		user      string
	}{
		{"anonymous browser navigation is redirected", "GET", "/app/page?x=1", browser, false, http.StatusFound, ""},
		{"anonymous API call is 401", "GET", "/app/data", api, false, http.StatusUnauthorized, ""},
		{"anonymous POST is denied, method kept", "POST", "/app/data", api, false, http.StatusUnauthorized, ""},
		{"JWT allows with identity", "GET", "/app/page?x=1&y=2", bearer(jwt), true, http.StatusOK, userEmail},
		{"JWT allows a POST with Content-Length 0", "POST", "/app/data", bearer(jwt), true, http.StatusOK, userEmail},
		{"API key allows with identity", "GET", "/app/page", bearer(key), true, http.StatusOK, userEmail},
		{"root path is /auth/envoy/", "GET", "/", bearer(jwt), true, http.StatusOK, userEmail},
		{"non-admin is 403 on the admin rule", "GET", "/admin/users", bearer(jwt), false, http.StatusForbidden, ""},
		{"bypass path allows anonymously", "GET", "/public/info", api, true, http.StatusOK, ""},
		{"tampered JWT is 401", "GET", "/app/page", bearer(jwt[:len(jwt)-4] + "AAAA"), false, http.StatusUnauthorized, ""},
		{"encoded slash in the path is refused", "GET", "/app%2Fpage", bearer(jwt), false, http.StatusBadRequest, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := envoyCheck(t, g, c.method, host, c.pathQuery, c.hdr)
			if a.allowed != c.allow || a.status != c.status {
				t.Fatalf("status %d (allowed %v), want %d (allowed %v); body %.200s", a.status, a.allowed, c.status, c.allow, a.body)
			}
			if a.status >= 200 && a.status < 300 && a.status != http.StatusOK {
				t.Fatalf("status %d: Envoy denies every status but 200", a.status)
			}
			if c.allow {
				if got := a.upstream.Get("Remote-User"); got != c.user {
					t.Errorf("Remote-User = %q, want %q", got, c.user)
				}
				// Every identity header is sent, so allowed_upstream_headers
				// overrides whatever the client sent.
				for _, h := range identityHeaders {
					if _, ok := a.upstream[http.CanonicalHeaderKey(h)]; !ok {
						t.Errorf("%s missing from the allow answer", h)
					}
				}
			}
			if c.status == http.StatusFound {
				loc, err := url.Parse(a.client.Get("Location"))
				if err != nil || loc.Path != "/login" {
					t.Fatalf("Location %q, want the portal login", a.client.Get("Location"))
				}
				if rd := loc.Query().Get("rd"); rd != "http://"+host+c.pathQuery {
					t.Errorf("rd = %q, want %q (host + original path and query)", rd, "http://"+host+c.pathQuery)
				}
			}
		})
	}
}
