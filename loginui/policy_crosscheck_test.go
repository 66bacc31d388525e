package loginui

import (
	"net"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/policytest"
	"github.com/gatehouse/gatehouse/signing"
	"github.com/gatehouse/gatehouse/verifier"
)

var crossTrusted = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

func crossVerifier(t *testing.T, dev bool, publicURL string, rules []config.Rule, hops int) *verifier.Verifier {
	t.Helper()
	v, err := verifier.New(verifier.Options{
		Development: dev, PublicURL: publicURL, CookieDomain: "example.test", DefaultPolicy: "deny",
		Rules: rules, TrustedProxies: crossTrusted, TrustedHops: hops,
		TokenHashKey: signing.NewSecret([]byte("token-hash-secret-0123456789abcdef")), APIKeyHashKey: signing.NewSecret([]byte("api-key-secret-0123456789abcdef0")),
		FingerprintKey: signing.NewSecret([]byte("fingerprint-secret-0123456789abcd")), Logger: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

// TestRedirectTargetsAgreeBetweenVerifierAndPortal runs the shared
// redirect table through both callers: the portal's rd handling, and the
// verifier's rd on the login link of a browser's 401. A target one of them
// accepts, the other accepts too (they drifted apart once: 4096 against
// 2048 bytes, UTF-8 accepted by one only).
func TestRedirectTargetsAgreeBetweenVerifierAndPortal(t *testing.T) {
	rules := []config.Rule{{Name: "all", Policy: config.PolicyAuthenticated}}
	prodV := crossVerifier(t, false, "https://auth.portal.test", rules, 1)
	devV := crossVerifier(t, true, "http://127.0.0.1:9092", rules, 1)
	prodP, devP := crossPortal(t, false, "https://auth.portal.test"), crossPortal(t, true, "http://127.0.0.1:9092")
	for _, c := range policytest.Redirect {
		v, p := prodV, prodP
		if c.Dev {
			v, p = devV, devP
		}
		if _, ok := p.safeRedirect(c.URL); ok != c.Want {
			t.Errorf("portal: safeRedirect(%.80q, dev=%v) = %v, want %v", c.URL, c.Dev, ok, c.Want)
		}
		scheme, rest, found := strings.Cut(c.URL, "://")
		if !found {
			continue // not the URL of a request: only the portal sees it
		}
		host, uri := rest, "/"
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			host, uri = rest[:i], rest[i:]
			if uri[0] != '/' {
				uri = "/" + uri
			}
		}
		var req fasthttp.Request
		req.SetRequestURI("/auth/traefik")
		req.Header.Set("Accept", "text/html")
		req.Header.Set("X-Forwarded-Method", "GET")
		req.Header.Set("X-Forwarded-Proto", scheme)
		req.Header.Set("X-Forwarded-Host", host)
		req.Header.Set("X-Forwarded-Uri", uri)
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4000}, nil)
		v.Handler(&ctx)
		loc := string(ctx.Response.Header.Peek("Location"))
		gotRD := strings.Contains(loc, "?rd=")
		switch st := ctx.Response.StatusCode(); {
		case st == 400:
			// The verifier refused the request itself: no redirect.
			if c.Want {
				t.Errorf("verifier: %.80q refused as a request, but the portal accepts it as a target", c.URL)
			}
		case gotRD != c.Want:
			t.Errorf("verifier: %.80q (dev=%v) → status %d, rd on the login link %v, want %v", c.URL, c.Dev, st, gotRD, c.Want)
		}
	}
}

// TestClientAddressAgreesBetweenVerifierAndPortal runs the shared client
// address table through both callers: the portal's client address (rate
// limits, pending second step) and the verifier's networks rules. Neither
// takes a too-short or malformed X-Forwarded-For as the proxy's address
// or its leftmost entry (the portal once did both).
func TestClientAddressAgreesBetweenVerifierAndPortal(t *testing.T) {
	for _, c := range policytest.ClientIP {
		t.Run(c.Name, func(t *testing.T) {
			p := crossPortal(t, false, "https://auth.portal.test")
			p.o.TrustedProxies, p.o.TrustedHops = crossTrusted, c.Hops
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = net.JoinHostPort(c.Peer, "4000")
			for _, x := range c.XFF {
				r.Header.Add("X-Forwarded-For", x)
			}
			peer := netip.MustParseAddr(c.Peer).Unmap()
			want := c.Want
			if want == "invalid IP" {
				want = "unknown:" + peer.String()
			}
			if got := p.clientIP(r); got != want {
				t.Fatalf("portal: %s, want %s", got, want)
			}

			nets := []string{"0.0.0.0/0", "::/0"}
			if c.Want != "invalid IP" {
				a := netip.MustParseAddr(c.Want)
				nets = []string{netip.PrefixFrom(a, a.BitLen()).String()}
			}
			v := crossVerifier(t, false, "https://auth.portal.test", []config.Rule{{Name: "net", Networks: nets, Policy: config.PolicyBypass}}, c.Hops)
			var req fasthttp.Request
			req.SetRequestURI("/auth/traefik")
			req.Header.Set("X-Forwarded-Method", "GET")
			req.Header.Set("X-Forwarded-Proto", "https")
			req.Header.Set("X-Forwarded-Host", "app.example.test")
			req.Header.Set("X-Forwarded-Uri", "/")
			for _, x := range c.XFF {
				req.Header.Add("X-Forwarded-For", x)
			}
			var ctx fasthttp.RequestCtx
			ctx.Init(&req, &net.TCPAddr{IP: peer.AsSlice(), Port: 4000}, nil)
			v.Handler(&ctx)
			wantStatus := 200
			switch {
			case !isLoopbackPeer(peer):
				wantStatus = 403 // an untrusted peer may not ask the verifier at all
			case c.Want == "invalid IP":
				wantStatus = 400 // unknown client: a networks rule cannot be decided
			}
			if st := ctx.Response.StatusCode(); st != wantStatus {
				t.Fatalf("verifier: status %d, want %d", st, wantStatus)
			}
		})
	}
}

func isLoopbackPeer(a netip.Addr) bool {
	for _, p := range crossTrusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func crossPortal(t *testing.T, dev bool, public string) *Portal {
	t.Helper()
	pub, err := parsePublicURL(public)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{CookieDomain: "example.test", Development: dev, TrustedHops: 1}
	o.withDefaults()
	return &Portal{o: o, public: pub}
}
