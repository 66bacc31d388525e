package loginui_test

import (
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/verifier"
)

// TestAPIKeyFromPortalWorksAtVerifierUntilRevoked cross-checks the portal
// with the real verifier: a key the portal made authenticates there with
// its scopes, a signing-only key is refused as a bearer key, and after
// DELETE the key is refused (past the verifier's 1 s cache).
func TestAPIKeyFromPortalWorksAtVerifierUntilRevoked(t *testing.T) {
	h := newHarness(t, withAPIKeys(t, nil))
	h.addUser("vk@example.test", false)
	v, err := verifier.New(verifier.Options{
		Development: true, PublicURL: h.srv.URL, DefaultPolicy: "deny",
		Rules: []config.Rule{{Name: "api", Paths: []string{"/api/"}, Policy: config.PolicyAuthenticated, Scopes: []string{"read"}}},
		Users: h.store, Sessions: h.store, APIKeys: h.store, Denylist: h.store, Nonces: h.mem,
		TokenHashKey: h.opts.Secrets.TokenHash, FingerprintKey: h.opts.Secrets.Fingerprint,
		APIKeyHashKey: secret("ak"), SigningKeyring: h.opts.APIKeyConfig.SigningKeyring, Now: h.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ask := func(hdr ...string) (int, string) {
		var req fasthttp.Request
		req.SetRequestURI("/auth/nginx")
		req.Header.Set("X-Original-Method", "GET")
		req.Header.Set("X-Original-URL", "https://app.example.test/api/x")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4000}, nil)
		v.Handler(&ctx)
		return ctx.Response.StatusCode(), string(ctx.Response.Header.Peek("Remote-Scopes"))
	}

	c := h.client()
	c.login("vk@example.test", testPassword)
	read := c.createKey(map[string]any{"name": "reader", "scopes": []string{"read", "write"}})
	none := c.createKey(map[string]any{"name": "noscope"})
	signed := c.createKey(map[string]any{"name": "signer", "scopes": []string{"read"}, "signing_required": true})

	if st, sc := ask("Authorization", "Bearer "+read.APIKey); st != 200 || sc != "read,write" {
		t.Fatalf("bearer key: %d scopes %q", st, sc)
	}
	if st, _ := ask("X-API-Key", read.APIKey); st != 200 {
		t.Fatalf("X-API-Key: %d", st)
	}
	if st, _ := ask("Authorization", "Bearer "+none.APIKey); st != 403 {
		t.Fatalf("key without the scope: %d", st)
	}
	if st, _ := ask("Authorization", "Bearer "+signed.APIKey); st != 401 {
		t.Fatalf("signing-only key as bearer: %d", st)
	}

	// PATCH narrows the scopes at the verifier once its cache expires.
	wantStatus(t, c.do("PATCH", "/api/api-keys/"+read.Key.KeyID, map[string]any{"scopes": []string{"write"}}), 200, "")
	h.clock.Advance(2 * time.Second)
	if st, _ := ask("Authorization", "Bearer "+read.APIKey); st != 403 {
		t.Fatalf("after narrowing: %d", st)
	}
	wantStatus(t, c.do("PATCH", "/api/api-keys/"+read.Key.KeyID, map[string]any{"scopes": []string{"read"}}), 200, "")
	h.clock.Advance(2 * time.Second)
	if st, _ := ask("Authorization", "Bearer "+read.APIKey); st != 200 {
		t.Fatalf("after widening: %d", st)
	}

	wantStatus(t, c.do("DELETE", "/api/api-keys/"+read.Key.KeyID, nil), 204, "")
	h.clock.Advance(2 * time.Second) // past the verifier's 1 s cache
	if st, _ := ask("Authorization", "Bearer "+read.APIKey); st != 401 {
		t.Fatalf("revoked key: %d", st)
	}
	if st, _ := ask("X-API-Key", read.APIKey); st != 401 {
		t.Fatalf("revoked key via X-API-Key: %d", st)
	}
}
