package loginui_test

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var newKeyRE = regexp.MustCompile(`<textarea id="new-api-key"[^>]*>([^<]+)</textarea>`)

func TestAPIKeyPagesCreateShowsKeyOnceAndRevoke(t *testing.T) {
	h := newHarness(t, withAPIKeys(t, nil))
	u := h.addUser("page@example.test", false)
	c := h.client()
	if r := c.formLogin("page@example.test", testPassword, ""); r.status != 303 {
		t.Fatalf("login %d", r.status)
	}
	acc := string(c.do("GET", "/account", nil).body)
	for _, want := range []string{`aria-label="API keys"`, `action="/account/api-keys"`, `<label for="apikey_name">`, `id="apikey-scope-read"`, `<label for="apikey_signing">`, `name="csrf" value="` + c.cookie("gatehouse_csrf") + `"`} {
		if !strings.Contains(acc, want) {
			t.Fatalf("account page lacks %q", want)
		}
	}
	csrf := c.cookie("gatehouse_csrf")
	r := c.do("POST", "/account/api-keys", url.Values{"csrf": {csrf}, "name": {"<b>laptop</b>"}, "scope": {"read", "write"}, "expires": {"30d"}})
	if r.status != 201 || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create page: %d %q", r.status, r.header.Get("Cache-Control"))
	}
	body := string(r.body)
	m := newKeyRE.FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, "Copy this key now") || strings.Contains(body, "<b>laptop") {
		t.Fatalf("create page: %s", body)
	}
	raw := html.UnescapeString(m[1])
	ks, err := h.store.ListUserAPIKeys(t.Context(), u.ID)
	if err != nil || len(ks) != 1 || !strings.Contains(raw, ks[0].KeyID) || strings.Join(ks[0].Scopes, ",") != "read,write" ||
		!ks[0].ExpiresAt.Equal(h.clock.Now().Add(30*24*time.Hour)) || ks[0].Name != "<b>laptop</b>" {
		t.Fatalf("stored %+v (%v)", ks, err)
	}
	sec := strings.SplitN(raw, ".", 2)[1]
	for _, p := range []string{"/account", "/account/api-keys"} {
		b := string(c.do("GET", p, nil).body)
		if strings.Contains(b, sec) || !strings.Contains(b, ks[0].KeyID) {
			t.Fatalf("%s shows the secret or not the key", p)
		}
	}

	// Hostile form values.
	for _, tc := range []struct {
		name string
		form url.Values
		code int
	}{
		{"unknown expiry", url.Values{"name": {"x"}, "expires": {"forever"}}, 422},
		{"scope not allowed", url.Values{"name": {"x"}, "scope": {"root"}}, 400},
		{"empty name", url.Values{"name": {""}}, 422},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.form.Set("csrf", csrf)
			r := c.do("POST", "/account/api-keys", tc.form)
			if r.status != tc.code || !strings.Contains(string(r.body), `role="alert"`) || newKeyRE.Match(r.body) {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}

	// CSRF is enforced on create and revoke.
	wantStatus(t, c.do("POST", "/account/api-keys", url.Values{"name": {"nocsrf"}}), 403, "")
	wantStatus(t, c.do("POST", "/account/api-keys", url.Values{"name": {"badcsrf"}, "csrf": {"AAAA.BBBB"}}), 403, "")
	wantStatus(t, c.do("POST", "/account/api-keys/revoke", url.Values{"key_id": {ks[0].KeyID}}), 403, "")
	if n, _ := h.store.ListUserAPIKeys(t.Context(), u.ID); len(n) != 1 || !n[0].RevokedAt.IsZero() {
		t.Fatal("a form without CSRF changed keys")
	}

	// Another user's key through the form: 404, unchanged.
	other := h.addUser("other@example.test", false)
	o := h.client()
	o.login("other@example.test", testPassword)
	ok := o.createKey(map[string]any{"name": "theirs"})
	wantStatus(t, c.do("POST", "/account/api-keys/revoke", url.Values{"csrf": {csrf}, "key_id": {ok.Key.KeyID}}), 404, "")
	if st, _ := h.store.GetAPIKey(t.Context(), ok.Key.KeyID); !st.RevokedAt.IsZero() || st.UserID != other.ID {
		t.Fatal("revoked another user's key")
	}

	r = c.do("POST", "/account/api-keys/revoke", url.Values{"csrf": {csrf}, "key_id": {ks[0].KeyID}})
	if r.status != 303 || r.header.Get("Location") != "/account/api-keys?done=key_revoked" {
		t.Fatalf("revoke: %d %s", r.status, r.header.Get("Location"))
	}
	if st, _ := h.store.GetAPIKey(t.Context(), ks[0].KeyID); st.RevokedAt.IsZero() {
		t.Fatal("not revoked")
	}
	b := string(c.do("GET", "/account/api-keys?done=key_revoked", nil).body)
	if !strings.Contains(b, "The API key has been revoked.") || !strings.Contains(b, "<td>revoked</td>") {
		t.Fatal("list page does not show the revocation")
	}
	if strings.Contains(h.logs.String(), sec) {
		t.Fatal("the secret reached the logs")
	}
}

func TestAPIKeyPagesNeedLogin(t *testing.T) {
	h := newHarness(t, withAPIKeys(t, nil))
	r := h.client().do("GET", "/account/api-keys", nil)
	if r.status != 303 || !strings.HasPrefix(r.header.Get("Location"), "/login?rd=") {
		t.Fatalf("%d %s", r.status, r.header.Get("Location"))
	}
}

func TestAPIKeyPagesStepUpWithTOTP(t *testing.T) {
	h := newHarness(t, withTOTP(t, withAPIKeys(t, nil)))
	u, sec, _ := h.totpUser("pt@example.test", false)
	c := h.client()
	c.loginTOTP("pt@example.test", sec)
	b := string(c.do("GET", "/account/api-keys", nil).body)
	if !strings.Contains(b, `<label for="apikey_code">`) {
		t.Fatal("create form asks for no code while step-up is needed")
	}
	csrf := c.cookie("gatehouse_csrf")
	r := c.do("POST", "/account/api-keys", url.Values{"csrf": {csrf}, "name": {"k"}})
	if r.status != 403 || newKeyRE.Match(r.body) {
		t.Fatalf("without code: %d", r.status)
	}
	r = c.do("POST", "/account/api-keys", url.Values{"csrf": {csrf}, "name": {"k"}, "code": {"000000"}})
	if r.status != 400 || newKeyRE.Match(r.body) {
		t.Fatalf("wrong code: %d", r.status)
	}
	r = c.do("POST", "/account/api-keys", url.Values{"csrf": {csrf}, "name": {"k"}, "code": {h.code(sec)}})
	if r.status != 201 || !newKeyRE.Match(r.body) {
		t.Fatalf("with code: %d", r.status)
	}
	if ks, _ := h.store.ListUserAPIKeys(t.Context(), u.ID); len(ks) != 1 {
		t.Fatalf("%d keys", len(ks))
	}
}
