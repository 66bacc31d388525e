package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestOAuthProvidersAreWiredFromConfig: a provider in the config shows on
// the login page and its authorize route sends the browser to the
// provider with PKCE and a state (the flow itself is tested in loginui).
func TestOAuthProvidersAreWiredFromConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the server")
	}
	var issuer string
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": issuer, "authorization_endpoint": issuer + "/authorize", "token_endpoint": issuer + "/token",
			"jwks_uri": issuer + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"},
		})
	}))
	defer idp.Close()
	issuer = idp.URL
	dir := t.TempDir()
	ports := [3]string{freePort(t), freePort(t), freePort(t)}
	cfg := writeConfig(t, dir, ports, "oauth:\n  enabled: true\n  providers:\n    - name: corp\n      display_name: Corp SSO\n      issuer: "+issuer+"\n      client_id: gatehouse-test\n      client_secret: not-a-real-secret-0123456789\n")
	startServe(t, dir, ports[2], "--config", cfg)

	resp, err := http.Get("http://" + ports[1] + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "Corp SSO") {
		t.Fatalf("login page has no provider button:\n%s", page)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.Get("http://" + ports[1] + "/api/auth/oauth/corp/authorize")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), issuer+"/authorize?") {
		t.Fatalf("authorize: %s, Location %q", resp.Status, resp.Header.Get("Location"))
	}
	q := loc.Query()
	if q.Get("code_challenge_method") != "S256" || len(q.Get("state")) < 43 || q.Get("client_id") != "gatehouse-test" || q.Get("nonce") == "" {
		t.Fatalf("authorize parameters: %v", q)
	}
	if q.Get("redirect_uri") != "http://"+ports[1]+"/api/auth/oauth/corp/callback" {
		t.Fatalf("redirect_uri %q", q.Get("redirect_uri"))
	}
}
