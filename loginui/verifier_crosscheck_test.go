package loginui_test

import (
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/signing"
	"github.com/gatehouse/gatehouse/verifier"
)

// TestChangePasswordKillsCredentialsAtVerifier cross-checks the portal with
// the real verifier: the cookie and JWT the portal issued pass the
// verifier, and after a password change from another session both are
// refused there.
func TestChangePasswordKillsCredentialsAtVerifier(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("cross@example.test", false)
	jv, err := signing.NewJWTVerifier(signing.JWTVerifierConfig{
		Issuer: h.srv.URL, Audience: "gatehouse:access",
		Keys: []signing.JWTKey{{Alg: signing.AlgHS256, HMAC: h.opts.Secrets.AccessToken}},
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err := verifier.New(verifier.Options{
		Development: true, PublicURL: h.srv.URL, DefaultPolicy: "authenticated",
		Users: h.store, Sessions: h.store, Denylist: h.store, Nonces: h.mem,
		TokenHashKey: h.opts.Secrets.TokenHash, FingerprintKey: h.opts.Secrets.Fingerprint, JWT: jv,
		APIKeyHashKey: secret("ak"), Now: h.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ask := func(hdr ...string) int {
		var req fasthttp.Request
		req.SetRequestURI("/auth/nginx")
		req.Header.Set("X-Original-Method", "GET")
		req.Header.Set("X-Original-URL", "https://app.example.test/x")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4000}, nil)
		v.Handler(&ctx)
		return ctx.Response.StatusCode()
	}

	a, b := h.client(), h.client()
	a.login("cross@example.test", testPassword)
	b.login("cross@example.test", testPassword)
	tk := h.loginBearer("cross@example.test", testPassword)
	bCookie := "gatehouse_session=" + b.cookie("gatehouse_session")
	if got := ask("Cookie", bCookie); got != 200 {
		t.Fatalf("cookie before: %d", got)
	}
	if got := ask("Authorization", "Bearer "+tk.AccessToken); got != 200 {
		t.Fatalf("jwt before: %d", got)
	}
	if got := ask(); got != 401 {
		t.Fatalf("no credential: %d", got)
	}

	wantStatus(t, a.do("POST", "/api/users/me/change-password", map[string]string{"current_password": testPassword, "new_password": "changed password!!"}), 200, "")
	h.clock.Advance(2 * time.Second) // past the verifier's 1 s cache
	if got := ask("Cookie", bCookie); got != 401 {
		t.Fatalf("other session after change: %d", got)
	}
	if got := ask("Authorization", "Bearer "+tk.AccessToken); got != 401 {
		t.Fatalf("earlier jwt after change: %d", got)
	}
	if got := ask("Cookie", "gatehouse_session="+a.cookie("gatehouse_session")); got != 200 {
		t.Fatalf("current session after change: %d", got)
	}

	// Bearer logout denylists the jti at the verifier too.
	tk2 := h.loginBearer("cross@example.test", "changed password!!")
	if got := ask("Authorization", "Bearer "+tk2.AccessToken); got != 200 {
		t.Fatalf("new jwt: %d", got)
	}
	wantStatus(t, h.bearer(tk2.AccessToken).do("POST", "/api/auth/logout", nil), 204, "")
	h.clock.Advance(2 * time.Second)
	if got := ask("Authorization", "Bearer "+tk2.AccessToken); got != 401 {
		t.Fatalf("jwt after logout: %d", got)
	}
}
