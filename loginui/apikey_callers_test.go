package loginui_test

import (
	"testing"
)

// TestAPIKeyCallersGet403OnAccountRoutes: docs/design.md "API key management": API-key callers
// cannot reach password-session routes; they get 403, not 401, whatever
// else the request carries.
func TestAPIKeyCallersGet403OnAccountRoutes(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("mach@example.test", false)
	c := h.client()
	c.login("mach@example.test", testPassword) // a valid cookie alongside must not help
	routes := []struct{ method, path string }{
		{"GET", "/api/users/me"},
		{"PATCH", "/api/users/me"},
		{"POST", "/api/users/me/change-password"},
		{"GET", "/api/auth/sessions"},
		{"POST", "/api/auth/sessions/revoke-others"},
		{"POST", "/api/auth/logout"},
		{"GET", "/api/users"},
	}
	creds := []struct{ name, header, value string }{
		{"bearer api key", "Authorization", "Bearer ak_prod_AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"},
		{"x-api-key", "X-API-Key", "ak_prod_AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"},
		{"signed request", "Authorization", "LSA1-HMAC-SHA256 Credential=AAAAAAAAAAAAAAAAAAAAAA, SignedHeaders=host;x-auth-date;x-auth-nonce, Signature=" + "00000000000000000000000000000000000000000000000000000000000000ff"},
	}
	for _, rt := range routes {
		for _, cr := range creds {
			t.Run(rt.method+" "+rt.path+" "+cr.name, func(t *testing.T) {
				r := c.do(rt.method, rt.path, nil, cr.header, cr.value)
				if r.status != 403 || r.code() != "AUTHORIZATION_DENIED" {
					t.Fatalf("%d %s, want 403 AUTHORIZATION_DENIED", r.status, r.body)
				}
			})
		}
	}
}
