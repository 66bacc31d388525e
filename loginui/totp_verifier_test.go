package loginui_test

import (
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/verifier"
)

// TestTOTPStepUpAtVerifier cross-checks /api/auth/2fa/step-up with the
// real verifier: a rule with step_up: 5m denies a TOTP user's session
// until it steps up, allows it inside the window and denies it again
// after the window.
func TestTOTPStepUpAtVerifier(t *testing.T) {
	h := newHarness(t, withTOTP(t, nil))
	_, sec, _ := h.totpUser("vera@example.test", false)
	v, err := verifier.New(verifier.Options{
		Development: true, PublicURL: h.srv.URL, DefaultPolicy: "authenticated",
		Rules: []config.Rule{{Name: "billing", Paths: []string{"/billing/"}, Policy: config.PolicyAuthenticated, StepUp: 5 * time.Minute}},
		Users: h.store, Sessions: h.store, Denylist: h.store, Nonces: h.mem,
		TokenHashKey: h.opts.Secrets.TokenHash, FingerprintKey: h.opts.Secrets.Fingerprint,
		APIKeyHashKey: secret("ak"), Now: h.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ask := func(path, cookie string) int {
		var req fasthttp.Request
		req.SetRequestURI("/auth/nginx")
		req.Header.Set("X-Original-Method", "GET")
		req.Header.Set("X-Original-URL", "https://app.example.test"+path)
		req.Header.Set("Cookie", cookie)
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4000}, nil)
		v.Handler(&ctx)
		return ctx.Response.StatusCode()
	}
	c := h.client()
	c.loginTOTP("vera@example.test", sec)
	ck := "gatehouse_session=" + c.cookie("gatehouse_session")
	if got := ask("/home", ck); got != 200 {
		t.Fatalf("plain path: %d", got)
	}
	if got := ask("/billing/x", ck); got != 403 {
		t.Fatalf("step-up path before step-up: %d", got)
	}
	wantStatus(t, c.do("POST", "/api/auth/2fa/step-up", map[string]string{"code": h.code(sec)}), 200, "")
	h.clock.Advance(2 * time.Second) // past the verifier's cache
	if got := ask("/billing/x", ck); got != 200 {
		t.Fatalf("step-up path after step-up: %d", got)
	}
	h.clock.Advance(5 * time.Minute)
	if got := ask("/billing/x", ck); got != 403 {
		t.Fatalf("step-up path after the window: %d", got)
	}
}
