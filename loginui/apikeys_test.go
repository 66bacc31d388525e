package loginui_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui"
	"github.com/gatehouse/gatehouse/signing"
)

// withAPIKeys enables API keys (scopes read, write, admin; cap 3; signing
// on) with a generous create limit; mod runs after.
func withAPIKeys(t testing.TB, mod func(*loginui.Options)) func(*loginui.Options) {
	kh, err := signing.NewAPIKeyHasher(secret("ak"))
	if err != nil {
		t.Fatal(err)
	}
	kr := testKeyring(t)
	return func(o *loginui.Options) {
		o.APIKeys = o.Users.(keystore.APIKeys)
		o.APIKeyConfig = loginui.APIKeyOptions{
			Enabled: true, AllowedScopes: []string{"write", "read", "admin"}, MaxPerUser: 3,
			Hasher: kh, SigningEnabled: true, SigningKeyring: kr,
		}
		o.RateLimits[loginui.SlotAPIKeyCreate] = loginui.RateLimit{Max: 1000, Window: time.Minute}
		if mod != nil {
			mod(o)
		}
	}
}

type keyView struct {
	KeyID           string    `json:"key_id"`
	UserID          string    `json:"user_id"`
	Name            string    `json:"name"`
	Scopes          []string  `json:"scopes"`
	SigningRequired bool      `json:"signing_required"`
	State           string    `json:"state"`
	CreatedAt       time.Time `json:"created_at"`
	ExpiresAt       time.Time `json:"expires_at"`
	RevokedAt       time.Time `json:"revoked_at"`
}

type keyCreated struct {
	Key    keyView `json:"key"`
	APIKey string  `json:"api_key"`
}

// createKey creates a key through the API and checks the answer's shape.
func (c *client) createKey(body any) keyCreated {
	t := c.h.t
	t.Helper()
	r := c.do("POST", "/api/api-keys", body)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create answer is cacheable: %q", r.header.Get("Cache-Control"))
	}
	var out keyCreated
	r.json(t, &out)
	if _, err := signing.ParseAPIKey([]byte(out.APIKey), "ak"); err != nil || !strings.Contains(out.APIKey, out.Key.KeyID) {
		t.Fatalf("raw key malformed")
	}
	return out
}

func listKeys(t *testing.T, c *client, path string) []keyView {
	t.Helper()
	r := c.do("GET", path, nil)
	wantStatus(t, r, 200, "")
	var out struct {
		Keys []keyView `json:"api_keys"`
	}
	r.json(t, &out)
	return out.Keys
}

func TestAPIKeysCreateListGetPatchDelete(t *testing.T) {
	h := newHarness(t, withAPIKeys(t, nil))
	u := h.addUser("kim@example.test", false)
	c := h.client()
	c.login("kim@example.test", testPassword)

	k1 := c.createKey(map[string]any{"name": "ci", "scopes": []string{"write", "read", "read"}})
	if k1.Key.UserID != u.ID || k1.Key.Name != "ci" || strings.Join(k1.Key.Scopes, ",") != "read,write" || k1.Key.State != "active" {
		t.Fatalf("view %+v", k1.Key)
	}
	if want := h.clock.Now().Add(365 * 24 * time.Hour); !k1.Key.ExpiresAt.Equal(want) {
		t.Fatalf("default expiry %v, want %v", k1.Key.ExpiresAt, want)
	}
	h.clock.Advance(time.Second)
	k2 := c.createKey(map[string]any{"name": "deploy", "scopes": []string{}, "expires_in": "90d", "signing_required": true})
	if !k2.Key.SigningRequired || !k2.Key.ExpiresAt.Equal(h.clock.Now().Add(90*24*time.Hour)) {
		t.Fatalf("view %+v", k2.Key)
	}
	h.clock.Advance(time.Second)
	k3 := c.createKey(map[string]any{"name": "n3", "expires_in": 3600})
	if !k3.Key.ExpiresAt.Equal(h.clock.Now().Add(time.Hour)) {
		t.Fatalf("seconds expiry %v", k3.Key.ExpiresAt)
	}

	// Stored: digest only, sealed copy only for signing keys.
	st, err := h.store.GetAPIKey(t.Context(), k2.Key.KeyID)
	if err != nil || st.SigningSecret == "" || strings.Contains(st.SigningSecret, strings.SplitN(k2.APIKey, ".", 2)[1]) {
		t.Fatalf("stored signing key: %v", err)
	}
	if st1, _ := h.store.GetAPIKey(t.Context(), k1.Key.KeyID); st1.SigningSecret != "" || len(st1.Digest) != 32 {
		t.Fatal("plain key stored a sealed secret or no digest")
	}

	ks := listKeys(t, c, "/api/api-keys")
	if len(ks) != 3 || ks[0].KeyID != k3.Key.KeyID || ks[2].KeyID != k1.Key.KeyID {
		t.Fatalf("list not newest first: %+v", ks)
	}
	r := c.do("GET", "/api/api-keys", nil)
	for _, raw := range []string{k1.APIKey, k2.APIKey, k3.APIKey} {
		sec := strings.SplitN(raw, ".", 2)[1]
		if strings.Contains(string(r.body), sec) {
			t.Fatal("list shows a secret")
		}
	}
	for _, f := range []string{"digest", "signing_secret", "api_key\""} {
		if strings.Contains(string(r.body), f) {
			t.Fatalf("list carries %s", f)
		}
	}

	r = c.do("GET", "/api/api-keys/"+k1.Key.KeyID, nil)
	wantStatus(t, r, 200, "")
	if strings.Contains(string(r.body), strings.SplitN(k1.APIKey, ".", 2)[1]) {
		t.Fatal("get shows the secret")
	}

	r = c.do("PATCH", "/api/api-keys/"+k1.Key.KeyID, map[string]any{"name": "ci-2", "scopes": []string{"read"}})
	wantStatus(t, r, 200, "")
	var pv keyView
	r.json(t, &pv)
	if pv.Name != "ci-2" || strings.Join(pv.Scopes, ",") != "read" {
		t.Fatalf("patched %+v", pv)
	}

	wantStatus(t, c.do("DELETE", "/api/api-keys/"+k1.Key.KeyID, nil), 204, "")
	wantStatus(t, c.do("DELETE", "/api/api-keys/"+k1.Key.KeyID, nil), 204, "") // idempotent
	if st, _ := h.store.GetAPIKey(t.Context(), k1.Key.KeyID); st.RevokedAt.IsZero() {
		t.Fatal("not revoked")
	}
	r = c.do("GET", "/api/api-keys/"+k1.Key.KeyID, nil)
	wantStatus(t, r, 200, "")
	r.json(t, &pv)
	if pv.State != "revoked" || pv.RevokedAt.IsZero() {
		t.Fatalf("revoked view %+v", pv)
	}
	wantStatus(t, c.do("PATCH", "/api/api-keys/"+k1.Key.KeyID, map[string]any{"name": "x"}), 409, loginui.CodeAPIKeyRevoked)

	// Audit events carry ids only, never the raw key or secret.
	logs := h.logs.String()
	for _, ev := range []string{"api_key_created", "api_key_updated", "api_key_revoked"} {
		if !strings.Contains(logs, `"audit":"`+ev+`"`) {
			t.Fatalf("no %s audit event", ev)
		}
	}
	for _, raw := range []string{k1.APIKey, k2.APIKey, k3.APIKey} {
		if strings.Contains(logs, strings.SplitN(raw, ".", 2)[1]) {
			t.Fatal("a secret reached the logs")
		}
	}
	if strings.Count(logs, `"key_id":"`+k1.Key.KeyID+`"`) < 3 {
		t.Fatal("audit events without the key id")
	}
}

func TestAPIKeysErrors(t *testing.T) {
	h := newHarness(t, withAPIKeys(t, func(o *loginui.Options) {
		o.APIKeyConfig.ScopeSubsetCheck = true
	}))
	u := h.addUser("rae@example.test", false)
	if _, err := h.store.UpdateUser(t.Context(), u.ID, func(x *keystore.User) error { x.Roles = []string{"read"}; return nil }); err != nil {
		t.Fatal(err)
	}
	c := h.client()
	c.login("rae@example.test", testPassword)
	other := h.addUser("oz@example.test", false)
	_ = other
	o := h.client()
	o.login("oz@example.test", testPassword)
	foreign := o.createKey(map[string]any{"name": "theirs"})

	cases := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"unknown field", "POST", "/api/api-keys", `{"name":"a","scopes":[],"admin":true}`, 422, loginui.CodeRequestBodyInvalid},
		{"not an object", "POST", "/api/api-keys", `["a"]`, 422, loginui.CodeRequestBodyInvalid},
		{"trailing data", "POST", "/api/api-keys", `{"name":"a"}{}`, 422, loginui.CodeRequestBodyInvalid},
		{"empty name", "POST", "/api/api-keys", map[string]any{"name": "  "}, 422, loginui.CodeRequestBodyInvalid},
		{"control char name", "POST", "/api/api-keys", map[string]any{"name": "a\x00b"}, 422, loginui.CodeRequestBodyInvalid},
		{"long name", "POST", "/api/api-keys", map[string]any{"name": strings.Repeat("n", 101)}, 422, loginui.CodeRequestBodyInvalid},
		{"scope not allowed", "POST", "/api/api-keys", map[string]any{"name": "a", "scopes": []string{"delete"}}, 400, loginui.CodeAPIKeyScopeDenied},
		{"scope with comma", "POST", "/api/api-keys", map[string]any{"name": "a", "scopes": []string{"read,write"}}, 400, loginui.CodeAPIKeyScopeDenied},
		{"scope not held", "POST", "/api/api-keys", map[string]any{"name": "a", "scopes": []string{"write"}}, 403, loginui.CodeAPIKeyScopeDenied},
		{"expiry negative", "POST", "/api/api-keys", map[string]any{"name": "a", "expires_in": -5}, 422, loginui.CodeRequestBodyInvalid},
		{"expiry float", "POST", "/api/api-keys", map[string]any{"name": "a", "expires_in": 1.5}, 422, loginui.CodeRequestBodyInvalid},
		{"expiry tiny", "POST", "/api/api-keys", map[string]any{"name": "a", "expires_in": "1s"}, 422, loginui.CodeRequestBodyInvalid},
		{"expiry huge", "POST", "/api/api-keys", map[string]any{"name": "a", "expires_in": "99999d"}, 422, loginui.CodeRequestBodyInvalid},
		{"expiry garbage", "POST", "/api/api-keys", map[string]any{"name": "a", "expires_in": "soon"}, 422, loginui.CodeRequestBodyInvalid},
		{"expiry object", "POST", "/api/api-keys", `{"name":"a","expires_in":{}}`, 422, loginui.CodeRequestBodyInvalid},
		{"foreign get", "GET", "/api/api-keys/" + foreign.Key.KeyID, nil, 404, loginui.CodeAuthorizationDenied},
		{"foreign patch", "PATCH", "/api/api-keys/" + foreign.Key.KeyID, map[string]any{"name": "mine"}, 404, loginui.CodeAuthorizationDenied},
		{"foreign delete", "DELETE", "/api/api-keys/" + foreign.Key.KeyID, nil, 404, loginui.CodeAuthorizationDenied},
		{"unknown id", "GET", "/api/api-keys/AAAAAAAAAAAAAAAAAAAAAA", nil, 404, loginui.CodeAuthorizationDenied},
		{"malformed id", "GET", "/api/api-keys/..%2F..", nil, 404, ""},
		{"overlong id", "DELETE", "/api/api-keys/" + strings.Repeat("A", 500), nil, 404, loginui.CodeAuthorizationDenied},
		{"empty patch", "PATCH", "/api/api-keys/" + foreign.Key.KeyID, `{}`, 422, loginui.CodeRequestBodyInvalid},
		{"not superuser admin list", "GET", "/api/users/" + u.ID + "/api-keys", nil, 403, loginui.CodeAuthorizationDenied},
		{"not superuser admin create", "POST", "/api/users/" + u.ID + "/api-keys", map[string]any{"name": "x"}, 403, loginui.CodeAuthorizationDenied},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantStatus(t, c.do(tc.method, tc.path, tc.body), tc.status, tc.code)
		})
	}
	if ks := listKeys(t, c, "/api/api-keys"); len(ks) != 0 {
		t.Fatalf("a failed request made a key: %+v", ks)
	}
	if st, _ := h.store.GetAPIKey(t.Context(), foreign.Key.KeyID); st.Name != "theirs" || !st.RevokedAt.IsZero() {
		t.Fatal("another user's key was changed")
	}

	// Scopes the user holds are fine; PATCH applies the same checks.
	k := c.createKey(map[string]any{"name": "ok", "scopes": []string{"read"}})
	wantStatus(t, c.do("PATCH", "/api/api-keys/"+k.Key.KeyID, map[string]any{"scopes": []string{"admin"}}), 403, loginui.CodeAPIKeyScopeDenied)

	// Unauthenticated, CSRF, bearer JWT.
	wantStatus(t, h.client().do("GET", "/api/api-keys", nil), 401, loginui.CodeAuthenticationFailed)
	noCSRF := *c
	noCSRF.csrf = ""
	wantStatus(t, noCSRF.do("POST", "/api/api-keys", map[string]any{"name": "x"}), 403, loginui.CodeCSRFFailed)
	tk := h.loginBearer("rae@example.test", testPassword)
	wantStatus(t, h.bearer(tk.AccessToken).do("POST", "/api/api-keys", map[string]any{"name": "x"}), 403, loginui.CodeAuthorizationDenied)
	wantStatus(t, h.bearer(tk.AccessToken).do("GET", "/api/api-keys", nil), 403, loginui.CodeAuthorizationDenied)
}

func TestAPIKeysSigningRequiredNeedsKeyring(t *testing.T) {
	h := newHarness(t, withAPIKeys(t, func(o *loginui.Options) {
		o.APIKeyConfig.SigningEnabled, o.APIKeyConfig.SigningKeyring = false, nil
	}))
	h.addUser("sig@example.test", false)
	c := h.client()
	c.login("sig@example.test", testPassword)
	wantStatus(t, c.do("POST", "/api/api-keys", map[string]any{"name": "s", "signing_required": true}), 422, loginui.CodeRequestBodyInvalid)
	c.createKey(map[string]any{"name": "plain"})
}

func TestAPIKeysCapCountsLiveKeys(t *testing.T) {
	h := newHarness(t, withAPIKeys(t, nil))
	h.addUser("cap@example.test", false)
	c := h.client()
	c.login("cap@example.test", testPassword)
	var first keyCreated
	for i := range 3 {
		k := c.createKey(map[string]any{"name": fmt.Sprintf("k%d", i)})
		if i == 0 {
			first = k
		}
	}
	wantStatus(t, c.do("POST", "/api/api-keys", map[string]any{"name": "k4"}), 409, loginui.CodeAPIKeyLimitReached)
	wantStatus(t, c.do("DELETE", "/api/api-keys/"+first.Key.KeyID, nil), 204, "")
	c.createKey(map[string]any{"name": "k4"})
	wantStatus(t, c.do("POST", "/api/api-keys", map[string]any{"name": "k5"}), 409, loginui.CodeAPIKeyLimitReached)
}

// TestAPIKeysConcurrentCreateCannotOvershootCap races creates at the cap.
func TestAPIKeysConcurrentCreateCannotOvershootCap(t *testing.T) {
	h := newHarness(t, withAPIKeys(t, nil))
	u := h.addUser("race@example.test", false)
	c := h.client()
	c.login("race@example.test", testPassword)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.do("POST", "/api/api-keys", map[string]any{"name": fmt.Sprintf("r%d", i)})
		}()
	}
	wg.Wait()
	ks, err := h.store.ListUserAPIKeys(t.Context(), u.ID)
	if err != nil || len(ks) != 3 {
		t.Fatalf("%d keys, want 3 (%v)", len(ks), err)
	}
}

func TestAPIKeysCreateRateLimited(t *testing.T) {
	h := newHarness(t, withAPIKeys(t, func(o *loginui.Options) {
		o.RateLimits[loginui.SlotAPIKeyCreate] = loginui.RateLimit{Max: 1, Window: time.Minute}
	}))
	h.addUser("rl@example.test", false)
	c := h.client()
	c.login("rl@example.test", testPassword)
	c.createKey(map[string]any{"name": "one"})
	r := c.do("POST", "/api/api-keys", map[string]any{"name": "two"})
	wantStatus(t, r, 429, loginui.CodeRateLimited)
	if r.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}

// TestAPIKeyCallersCannotManageAPIKeys: a request carrying an API key is
// refused with 403 on every management route, even with a valid session
// cookie alongside, and is never taken for a JWT.
func TestAPIKeyCallersCannotManageAPIKeys(t *testing.T) {
	h := newHarness(t, withAPIKeys(t, nil))
	root := h.addUser("root@example.test", true)
	c := h.client()
	c.login("root@example.test", testPassword)
	k := c.createKey(map[string]any{"name": "mine"})
	routes := []struct{ method, path string }{
		{"POST", "/api/api-keys"}, {"GET", "/api/api-keys"}, {"GET", "/api/api-keys/" + k.Key.KeyID},
		{"PATCH", "/api/api-keys/" + k.Key.KeyID}, {"DELETE", "/api/api-keys/" + k.Key.KeyID},
		{"POST", "/api/users/" + root.ID + "/api-keys"}, {"GET", "/api/users/" + root.ID + "/api-keys"},
		{"DELETE", "/api/users/" + root.ID + "/api-keys/" + k.Key.KeyID},
	}
	creds := []struct {
		name string
		hdr  []string
	}{
		{"bearer key", []string{"Authorization", "Bearer " + k.APIKey}},
		{"x-api-key", []string{"X-API-Key", k.APIKey}},
		{"x-api-key garbage", []string{"X-API-Key", "nonsense"}},
		{"signed", []string{"Authorization", "LSA1-HMAC-SHA256 Credential=" + k.Key.KeyID + ", SignedHeaders=host, Signature=00"}},
	}
	for _, rt := range routes {
		for _, cr := range creds {
			t.Run(rt.method+rt.path+"/"+cr.name, func(t *testing.T) {
				for _, cl := range []*client{h.client(), c} { // alone, and next to a valid session
					wantStatus(t, cl.do(rt.method, rt.path, map[string]any{"name": "x"}, cr.hdr...), 403, loginui.CodeAuthorizationDenied)
				}
			})
		}
	}
	if st, _ := h.store.GetAPIKey(t.Context(), k.Key.KeyID); st.Name != "mine" || !st.RevokedAt.IsZero() {
		t.Fatal("an API-key caller changed the key")
	}
	if ks := listKeys(t, c, "/api/api-keys"); len(ks) != 1 {
		t.Fatalf("an API-key caller made keys: %d", len(ks))
	}
}

func TestAPIKeysDisabledAnswer404(t *testing.T) {
	h := newHarness(t, nil)
	u := h.addUser("off@example.test", true)
	c := h.client()
	c.login("off@example.test", testPassword)
	for _, rt := range []struct{ method, path string }{
		{"POST", "/api/api-keys"}, {"GET", "/api/api-keys"}, {"GET", "/api/api-keys/AAAAAAAAAAAAAAAAAAAAAA"},
		{"PATCH", "/api/api-keys/AAAAAAAAAAAAAAAAAAAAAA"}, {"DELETE", "/api/api-keys/AAAAAAAAAAAAAAAAAAAAAA"},
		{"POST", "/api/users/" + u.ID + "/api-keys"}, {"GET", "/api/users/" + u.ID + "/api-keys"},
		{"DELETE", "/api/users/" + u.ID + "/api-keys/AAAAAAAAAAAAAAAAAAAAAA"},
		{"GET", "/account/api-keys"},
	} {
		if r := c.do(rt.method, rt.path, map[string]any{"name": "x"}); r.status != 404 {
			t.Errorf("%s %s: %d", rt.method, rt.path, r.status)
		}
	}
	if r := c.do("GET", "/account", nil); strings.Contains(string(r.body), "API keys") {
		t.Error("account page shows the API-key section while disabled")
	}
}

func TestAPIKeysConfigRefused(t *testing.T) {
	cases := map[string]func(*loginui.Options){
		"no store":       func(o *loginui.Options) { o.APIKeys = nil },
		"no hasher":      func(o *loginui.Options) { o.APIKeyConfig.Hasher = nil },
		"bad prefix":     func(o *loginui.Options) { o.APIKeyConfig.Prefix = "A_K" },
		"bad env":        func(o *loginui.Options) { o.APIKeyConfig.Env = strings.Repeat("e", 17) },
		"bad scope":      func(o *loginui.Options) { o.APIKeyConfig.AllowedScopes = []string{"a,b"} },
		"signing no key": func(o *loginui.Options) { o.APIKeyConfig.SigningKeyring = nil },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, nil)
			o := h.opts
			o.RateLimits = map[string]loginui.RateLimit{}
			withAPIKeys(t, mod)(&o)
			if _, err := loginui.New(o); err != loginui.ErrAPIKeyConfig {
				t.Fatalf("New: %v", err)
			}
		})
	}
}

func TestAPIKeysAdminRoutes(t *testing.T) {
	h := newHarness(t, withAPIKeys(t, func(o *loginui.Options) { o.APIKeyConfig.ScopeSubsetCheck = true }))
	h.addUser("boss@example.test", true)
	emp := h.addUser("emp@example.test", false)
	if _, err := h.store.UpdateUser(t.Context(), emp.ID, func(x *keystore.User) error { x.Roles = []string{"read"}; return nil }); err != nil {
		t.Fatal(err)
	}
	a := h.client()
	a.login("boss@example.test", testPassword)
	e := h.client()
	e.login("emp@example.test", testPassword)
	own := e.createKey(map[string]any{"name": "own"})

	base := "/api/users/" + emp.ID + "/api-keys"
	h.clock.Advance(time.Second)
	r := a.do("POST", base, map[string]any{"name": "issued", "scopes": []string{"read"}})
	wantStatus(t, r, 201, "")
	var made keyCreated
	r.json(t, &made)
	if made.Key.UserID != emp.ID || made.APIKey == "" {
		t.Fatalf("admin create %+v", made.Key)
	}
	// The owner's roles bound the scopes, not the admin's.
	wantStatus(t, a.do("POST", base, map[string]any{"name": "x", "scopes": []string{"write"}}), 403, loginui.CodeAPIKeyScopeDenied)
	wantStatus(t, a.do("POST", base, map[string]any{"name": "x", "bogus": 1}), 422, loginui.CodeRequestBodyInvalid)
	wantStatus(t, a.do("POST", "/api/users/"+strings.Repeat("0", 32)+"/api-keys", map[string]any{"name": "x"}), 404, loginui.CodeUserNotFound)
	wantStatus(t, a.do("GET", "/api/users/nope/api-keys", nil), 404, loginui.CodeUserNotFound)

	ks := listKeys(t, a, base)
	if len(ks) != 2 || ks[0].KeyID != made.Key.KeyID {
		t.Fatalf("admin list %+v", ks)
	}
	if strings.Contains(string(a.do("GET", base, nil).body), strings.SplitN(made.APIKey, ".", 2)[1]) {
		t.Fatal("admin list shows a secret")
	}
	// A key of another user under this user's path is 404.
	bossKey := a.createKey(map[string]any{"name": "boss"})
	wantStatus(t, a.do("DELETE", base+"/"+bossKey.Key.KeyID, nil), 404, loginui.CodeAuthorizationDenied)
	wantStatus(t, a.do("DELETE", base+"/"+own.Key.KeyID, nil), 204, "")
	if st, _ := h.store.GetAPIKey(t.Context(), own.Key.KeyID); st.RevokedAt.IsZero() {
		t.Fatal("admin revoke did not revoke")
	}
	if !strings.Contains(h.logs.String(), `"by_user_id"`) {
		t.Fatal("admin events do not name the admin")
	}
	// Bearer admins are refused as on the other admin routes.
	tk := h.loginBearer("boss@example.test", testPassword)
	wantStatus(t, h.bearer(tk.AccessToken).do("GET", base, nil), 403, loginui.CodeAuthorizationDenied)
}

func TestAPIKeysStepUpWithTOTP(t *testing.T) {
	h := newHarness(t, withTOTP(t, withAPIKeys(t, nil)))
	_, sec, _ := h.totpUser("tot@example.test", false)
	c := h.client()
	c.loginTOTP("tot@example.test", sec)
	wantStatus(t, c.do("POST", "/api/api-keys", map[string]any{"name": "k"}), 403, loginui.CodeTOTPStepUpRequired)
	wantStatus(t, c.do("GET", "/api/api-keys", nil), 200, "")
	wantStatus(t, c.do("POST", "/api/auth/2fa/step-up", map[string]string{"code": h.code(sec)}), 200, "")
	k := c.createKey(map[string]any{"name": "k"})
	wantStatus(t, c.do("PATCH", "/api/api-keys/"+k.Key.KeyID, map[string]any{"name": "k2"}), 200, "")
	h.clock.Advance(6 * time.Minute) // past the step-up
	wantStatus(t, c.do("PATCH", "/api/api-keys/"+k.Key.KeyID, map[string]any{"name": "k3"}), 403, loginui.CodeTOTPStepUpRequired)
	wantStatus(t, c.do("DELETE", "/api/api-keys/"+k.Key.KeyID, nil), 403, loginui.CodeTOTPStepUpRequired)
	if st, _ := h.store.GetAPIKey(t.Context(), k.Key.KeyID); !st.RevokedAt.IsZero() || st.Name != "k2" {
		t.Fatal("changed without step-up")
	}

	// Admin routes need the admin's step-up.
	_, asec, _ := h.totpUser("adm@example.test", true)
	target := h.addUser("tgt@example.test", false)
	a := h.client()
	a.loginTOTP("adm@example.test", asec)
	wantStatus(t, a.do("POST", "/api/users/"+target.ID+"/api-keys", map[string]any{"name": "x"}), 403, loginui.CodeTOTPStepUpRequired)
	wantStatus(t, a.do("POST", "/api/auth/2fa/step-up", map[string]string{"code": h.code(asec)}), 200, "")
	wantStatus(t, a.do("POST", "/api/users/"+target.ID+"/api-keys", map[string]any{"name": "x"}), 201, "")
}

func TestAPIKeyCreateAnswerShape(t *testing.T) {
	h := newHarness(t, withAPIKeys(t, nil))
	h.addUser("shape@example.test", false)
	c := h.client()
	c.login("shape@example.test", testPassword)
	r := c.do("POST", "/api/api-keys", map[string]any{"name": "s"})
	wantStatus(t, r, 201, "")
	var m map[string]json.RawMessage
	r.json(t, &m)
	if len(m) != 2 || m["key"] == nil || m["api_key"] == nil {
		t.Fatalf("answer keys: %s", r.body)
	}
}
