package verifier_test

import (
	"math/big"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/verifier"
)

// hostAndNetworkRules guard one host and let internal networks through.
func hostAndNetworkRules(o *verifier.Options) {
	o.Rules = []config.Rule{
		{Name: "admin-host", Hosts: []string{"admin.example.test"}, Policy: config.PolicyAuthenticated, RolesAny: []string{"admin"}},
		{Name: "internal", Networks: []string{"127.0.0.0/8", "10.0.0.0/8"}, Policy: config.PolicyBypass},
		{Name: "wild", Hosts: []string{"*.open.example.test"}, Policy: config.PolicyBypass},
		{Name: "rest", Policy: config.PolicyAuthenticated},
	}
}

// nginx's server selection ignores a trailing dot in Host, but
// X-Original-URL is built from $http_host, which keeps it: the host rule
// must still apply.
func TestTrailingDotHostDoesNotEscapeHostRule(t *testing.T) {
	e := newEnv(t, hostAndNetworkRules)
	bob := e.jwt(bobID)
	for _, d := range dialects {
		for _, u := range []string{"https://admin.example.test./x", "https://ADMIN.example.test.:8443/x"} {
			req := bearer(fwd(d, "GET", u), bob)
			req.Header.Set("X-Forwarded-For", "203.0.113.7")
			wantDeny(t, e.do(req), 403, "INSUFFICIENT_ROLES")
		}
	}
	// A rule written with a trailing dot matches the plain host too.
	e2 := newEnv(t, func(o *verifier.Options) {
		o.Rules = []config.Rule{{Name: "dot", Hosts: []string{"admin.example.test."}, Policy: config.PolicyDeny}, {Name: "rest", Policy: config.PolicyBypass}}
	})
	wantDeny(t, e2.do(fwd("traefik", "GET", "https://admin.example.test/x")), 403, "AUTHORIZATION_DENIED")
}

// Hosts with empty labels are not names a proxy routes; they must not
// match a wildcard rule either.
func TestEmptyHostLabelsRefused(t *testing.T) {
	e := newEnv(t, hostAndNetworkRules)
	for _, h := range []string{"..open.example.test", "a..open.example.test", ".open.example.test", ".", "a.b..", "..:80"} {
		req := fwd("traefik", "GET", "https://app.example.test/x")
		req.Header.Set("X-Forwarded-Host", h)
		req.Header.Set("X-Forwarded-For", "203.0.113.7")
		wantDeny(t, e.do(req), 400, "REQUEST_INVALID")
	}
}

// When X-Forwarded-For holds fewer than trusted_hops entries, or a
// malformed one, the client address is unknown. It must not become the
// trusted proxy's own (usually internal) address, which network rules
// commonly let through: the decision fails closed instead.
func TestUnknownClientIPNeverBecomesTheProxyAddress(t *testing.T) {
	e := newEnv(t, func(o *verifier.Options) { hostAndNetworkRules(o); o.TrustedHops = 2 })
	cases := []struct {
		name string
		xff  []string
	}{
		{"none", nil},
		{"fewer than hops", []string{"203.0.113.7"}},
		{"malformed", []string{"garbage, 198.51.100.1"}},
		{"empty entry", []string{", 198.51.100.1"}},
		{"oversize", []string{string(make([]byte, 5000)) + ", 198.51.100.1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := fwd("nginx", "GET", "https://app.example.test/x")
			for _, x := range c.xff {
				req.Header.Add("X-Forwarded-For", x)
			}
			a := e.do(req)
			if a.status == 200 {
				t.Fatal("unknown client address matched an internal network")
			}
			wantDeny(t, a, 400, "REQUEST_INVALID")
		})
	}
	// The real client two hops away still decides.
	req := fwd("nginx", "GET", "https://app.example.test/x")
	req.Header.Add("X-Forwarded-For", "10.1.1.1, 198.51.100.1")
	wantAllow(t, e.do(req))
	req = fwd("nginx", "GET", "https://app.example.test/x")
	req.Header.Add("X-Forwarded-For", "203.0.113.7, 198.51.100.1")
	wantDeny(t, e.do(req), 401, "AUTHENTICATION_FAILED")
	// Rules without networks never need the address.
	req = bearer(fwd("nginx", "GET", "https://admin.example.test/x"), e.jwt(aliceID))
	wantAllow(t, e.do(req))
}

// Traefik reports WebSocket upgrades with X-Forwarded-Proto ws/wss; they
// are http/https requests and must be decided, not refused.
func TestWebSocketForwardedProtoAccepted(t *testing.T) {
	e := newEnv(t, nil)
	for _, c := range []struct{ proto, rdScheme string }{{"wss", "https"}, {"WSS", "https"}, {"ws", "http"}} {
		req := fwd("traefik", "GET", "https://app.example.test/x")
		req.Header.Set("X-Forwarded-Proto", c.proto)
		wantAllow(t, e.do(bearer(req, e.jwt(aliceID))))
		req = fwd("traefik", "GET", "https://app.example.test/x")
		req.Header.Set("X-Forwarded-Proto", c.proto)
		req.Header.Set("Accept", "text/html")
		a := e.do(req)
		want := publicURL + "/login"
		if c.rdScheme == "https" {
			want += "?rd=https%3A%2F%2Fapp.example.test%2Fx"
		}
		if a.status != 302 || a.header.Get("Location") != want {
			t.Fatalf("%s: %d Location %q, want %q", c.proto, a.status, a.header.Get("Location"), want)
		}
	}
	req := fwd("traefik", "GET", "https://app.example.test/x")
	req.Header.Set("X-Forwarded-Proto", "wsx")
	wantDeny(t, e.do(req), 400, "REQUEST_INVALID")
}

// "Authorization: Bearer" with no token is a credential that is present
// and invalid; it must not fall through to the session cookie.
func TestEmptyBearerDoesNotFallThroughToCookie(t *testing.T) {
	e := newEnv(t, nil)
	cookie := e.session(aliceID, nil)
	for _, v := range []string{"Bearer", "Bearer ", "bearer   ", "Bearer\t"} {
		req := withCookie(fwd("traefik", "GET", "https://app.example.test/x"), cookie)
		req.Header.Set(fasthttp.HeaderAuthorization, v)
		wantDeny(t, e.do(req), 401, "AUTHENTICATION_FAILED")
	}
	// Another scheme is not ours to judge; the cookie still decides.
	req := withCookie(fwd("traefik", "GET", "https://app.example.test/x"), cookie)
	req.Header.Set(fasthttp.HeaderAuthorization, "Basic dXNlcjpwYXNz")
	wantAllow(t, e.do(req))
}

// The same path spelt with raw UTF-8 or with percent-encoded UTF-8 (in
// either hex case) reaches the same upstream resource; a rule written
// one way must guard the other spellings too.
func TestEncodedUTF8PathDoesNotEscapeRule(t *testing.T) {
	for _, rulePath := range []string{"/café/", "/caf%C3%A9/", "/caf%c3%a9/"} {
		e := newEnv(t, func(o *verifier.Options) {
			o.Rules = []config.Rule{
				{Name: "cafe", Paths: []string{rulePath}, Policy: config.PolicyDeny},
				{Name: "rest", Policy: config.PolicyBypass},
			}
		})
		for _, uri := range []string{"/café/x", "/caf%C3%A9/x", "/caf%c3%a9/x", "/ca%66%C3%a9/x", "/café"} {
			req := fwd("haproxy", "GET", "https://app.example.test/")
			req.Header.Set("X-Forwarded-Uri", uri)
			a := e.do(req)
			if a.status == 200 {
				t.Fatalf("rule %q: %s allowed", rulePath, uri)
			}
			wantDeny(t, a, 403, "AUTHORIZATION_DENIED")
		}
		wantAllow(t, e.do(fwd("haproxy", "GET", "https://app.example.test/cafe/x")))
	}
}

// An X-Auth-Date far in the future whose nanosecond count wraps around
// int64 onto "now" must still be outside the clock skew; otherwise a
// signed request is accepted at a date no nonce window covers.
func TestSignedDateOverflowIsSkew(t *testing.T) {
	e := newEnv(t, nil)
	keyID, secret := e.signingKey(aliceID, []string{"read"})
	now := e.clk.Now().UnixNano()
	var wrapped []time.Time
	for k := int64(1); k < 16; k++ {
		// sec*1e9 ≡ now (mod 2^64): sec = (now + k*2^64) / 1e9.
		sum := new(big.Int).Add(big.NewInt(now), new(big.Int).Lsh(big.NewInt(k), 64))
		sec := new(big.Int).Div(sum, big.NewInt(1e9)).Int64()
		at := time.Unix(sec, 0).UTC()
		if at.Year() > 9999 {
			break
		}
		if d := time.Duration(at.UnixNano() - now); d > time.Minute || d < -time.Minute {
			t.Fatalf("wrap arithmetic: %v", d)
		}
		wrapped = append(wrapped, at)
	}
	if len(wrapped) == 0 {
		t.Fatal("no wrapping date found")
	}
	for _, at := range wrapped {
		a := e.do(e.signed(t, keyID, secret, signReq{dialect: "nginx", method: "GET", url: "https://app.example.test/api/x", at: at}))
		wantDeny(t, a, 401, "API_KEY_SIGNATURE_TIMESTAMP_SKEW")
	}
}

// Stored data reaches response headers. A user id with a control byte
// cannot be sent safely, so the account is refused rather than emitted;
// a scope with a space is left out of Remote-Scopes (comma-separated
// without spaces, docs/design.md "Rules") like a role with one is left out of
// Remote-Groups.
func TestStoredControlBytesNeverReachIdentityHeaders(t *testing.T) {
	e := newEnv(t, nil)
	for _, id := range []string{"bad\x00id", "bad\x1bid", "bad\x7fid", "bad\r\nX-Evil: 1"} {
		e.addUser(keystore.User{ID: id, Email: "x@example.test", PasswordHash: "$x", Active: true})
		cookie := e.session(id, nil)
		wantDeny(t, e.do(withCookie(fwd("traefik", "GET", "https://app.example.test/x"), cookie)), 401, "AUTHENTICATION_FAILED")
	}
	raw, _, _ := e.apiKey(aliceID, []string{"read all", "read", "write"}, nil)
	h := wantAllow(t, e.do(bearer(fwd("caddy", "GET", "https://app.example.test/api/x"), raw)))
	if got := h.Get("Remote-Scopes"); got != "read,write" {
		t.Fatalf("Remote-Scopes %q", got)
	}
}
