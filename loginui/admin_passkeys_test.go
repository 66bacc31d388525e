package loginui_test

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/errcode"
	"github.com/gatehouse/gatehouse/keystore"
)

// addPasskey stores a passkey of userID with credential id cred and
// returns its base64url id.
func (h *harness) addPasskey(userID string, cred []byte, name string) string {
	h.t.Helper()
	p := &keystore.Passkey{CredentialID: cred, UserID: userID, UserHandle: []byte("handle-" + userID[:8]), PublicKey: []byte{0xa5, 1, 2},
		AttestationType: "none", SignCount: 7, Transports: []string{"internal", "hybrid"}, BackupEligible: true, BackupState: true,
		Name: name, CreatedAt: h.clock.Now(), LastUsedAt: h.clock.Now().Add(time.Minute)}
	if err := h.store.CreatePasskey(context.Background(), p); err != nil {
		h.t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(cred)
}

func (h *harness) passkeyExists(cred string) bool {
	h.t.Helper()
	id, _ := base64.RawURLEncoding.DecodeString(cred)
	_, err := h.store.GetPasskey(context.Background(), id)
	return err == nil
}

type adminPasskeys struct {
	Passkeys []struct {
		ID             string    `json:"id"`
		Name           string    `json:"name"`
		CreatedAt      time.Time `json:"created_at"`
		LastUsedAt     time.Time `json:"last_used_at"`
		BackupEligible bool      `json:"backup_eligible"`
		BackupState    bool      `json:"backup_state"`
		Transports     []string  `json:"transports"`
		SignCount      uint32    `json:"sign_count"`
	} `json:"passkeys"`
}

func TestAdminPasskeysAPI(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("boss@example.test", true)
	target := h.addUser("emp@example.test", false)
	other := h.addUser("other@example.test", false)
	p1 := h.addPasskey(target.ID, []byte("cred-one-of-emp"), "Laptop")
	p2 := h.addPasskey(target.ID, []byte{0xff, 0xfe, 0x00, 0x3e, 0x3f}, "Phone") // base64url uses - and _
	po := h.addPasskey(other.ID, []byte("cred-of-other"), "Other's key")
	a := h.client()
	a.login("boss@example.test", testPassword)
	base := "/api/users/" + target.ID + "/passkeys"
	pw := map[string]string{"current_password": testPassword}

	t.Run("list", func(t *testing.T) {
		r := a.do("GET", base, nil)
		wantStatus(t, r, 200, "")
		var got adminPasskeys
		r.json(t, &got)
		if len(got.Passkeys) != 2 {
			t.Fatalf("listed %s", r.body)
		}
		k := got.Passkeys[0]
		if k.ID != p1 || k.Name != "Laptop" || !k.BackupEligible || !k.BackupState || k.SignCount != 7 ||
			strings.Join(k.Transports, ",") != "internal,hybrid" || !k.CreatedAt.Equal(h.clock.Now()) || !k.LastUsedAt.Equal(h.clock.Now().Add(time.Minute)) {
			t.Fatalf("first passkey %+v", k)
		}
		if got.Passkeys[1].ID != p2 || strings.ContainsAny(p2, "+/=") {
			t.Fatalf("second passkey id %q, want unpadded base64url %q", got.Passkeys[1].ID, p2)
		}
		for _, secret := range []string{"public_key", "user_handle", "handle-"} {
			if strings.Contains(string(r.body), secret) {
				t.Fatalf("the listing shows %s: %s", secret, r.body)
			}
		}
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("Cache-Control %q", cc)
		}
	})
	t.Run("list of a user without passkeys is empty, not null", func(t *testing.T) {
		r := a.do("GET", "/api/users/"+h.addUser("none@example.test", false).ID+"/passkeys", nil)
		wantStatus(t, r, 200, "")
		if !strings.Contains(string(r.body), `"passkeys":[]`) {
			t.Fatalf("body %s", r.body)
		}
	})
	t.Run("another user's credential is not found", func(t *testing.T) {
		wantStatus(t, a.do("DELETE", base+"/"+po, pw), 404, errcode.PasskeyNotFound)
		if !h.passkeyExists(po) {
			t.Fatal("the other user's passkey was removed through this user's route")
		}
	})
	t.Run("bad ids", func(t *testing.T) {
		for _, c := range []struct{ path, code string }{
			{base + "/" + base64.RawURLEncoding.EncodeToString([]byte("unknown")), errcode.PasskeyNotFound},
			{base + "/not!base64", errcode.PasskeyNotFound},
			{base + "/" + p1 + "==", errcode.PasskeyNotFound},
			{base + "/" + strings.Repeat("A", 1400), errcode.PasskeyNotFound},
			{"/api/users/nope/passkeys/" + p1, errcode.UserNotFound},
			{"/api/users/" + strings.Repeat("0", 32) + "/passkeys/" + p1, errcode.UserNotFound},
		} {
			wantStatus(t, a.do("DELETE", c.path, pw), 404, c.code)
		}
		wantStatus(t, a.do("GET", "/api/users/"+strings.Repeat("0", 32)+"/passkeys", nil), 404, errcode.UserNotFound)
		wantStatus(t, a.do("DELETE", base+"/"+p1, `{"current_password":"`+testPassword+`","force":true}`), 422, errcode.RequestBodyInvalid)
		wantStatus(t, a.do("DELETE", base+"/"+p1, nil), 422, errcode.RequestBodyInvalid)
		wantStatus(t, a.do("DELETE", base+"/"+p1, map[string]string{"current_password": "wrong"}), 400, errcode.UpdateInvalidPassword)
		if !h.passkeyExists(p1) {
			t.Fatal("a refused request removed the passkey")
		}
	})
	t.Run("not an admin", func(t *testing.T) {
		e := h.client()
		e.login("emp@example.test", testPassword)
		wantStatus(t, e.do("GET", base, nil), 403, errcode.AuthorizationDenied)
		wantStatus(t, e.do("DELETE", base+"/"+p1, pw), 403, errcode.AuthorizationDenied)
		wantStatus(t, h.client().do("GET", base, nil), 401, errcode.AuthenticationFailed)
		if !h.passkeyExists(p1) {
			t.Fatal("a non-admin removed a passkey")
		}
	})
	t.Run("cookie without CSRF", func(t *testing.T) {
		nocsrf := *a
		nocsrf.csrf = ""
		wantStatus(t, nocsrf.do("DELETE", base+"/"+p1, pw), 403, errcode.CSRFFailed)
		if !h.passkeyExists(p1) {
			t.Fatal("removed without CSRF")
		}
	})
	t.Run("remove", func(t *testing.T) {
		before := h.logs.String()
		wantStatus(t, a.do("DELETE", base+"/"+p1, pw), 204, "")
		if h.passkeyExists(p1) {
			t.Fatal("still stored")
		}
		wantStatus(t, a.do("DELETE", base+"/"+p1, pw), 404, errcode.PasskeyNotFound)
		var got adminPasskeys
		a.do("GET", base, nil).json(t, &got)
		if len(got.Passkeys) != 1 || got.Passkeys[0].ID != p2 {
			t.Fatalf("after removal %+v", got)
		}
		logs := strings.TrimPrefix(h.logs.String(), before)
		if !strings.Contains(logs, `"audit":"admin_passkey_removed"`) || !strings.Contains(logs, target.ID) {
			t.Fatalf("no audit event: %s", logs)
		}
		if strings.Contains(logs, p1) || strings.Contains(logs, "cred-one-of-emp") {
			t.Fatalf("the audit event names the credential: %s", logs)
		}
	})
}

func TestAdminPasskeyRemoveForm(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("boss@example.test", true)
	target := h.addUser("emp@example.test", false)
	other := h.addUser("other@example.test", false)
	p1 := h.addPasskey(target.ID, []byte("cred-one-of-emp"), "Laptop <b>")
	po := h.addPasskey(other.ID, []byte("cred-of-other"), "Other")
	a := h.client()
	a.formLogin("boss@example.test", testPassword, "")
	csrf := a.cookie("gatehouse_csrf")
	page := "/admin/users/" + target.ID
	remove := page + "/passkeys/" + p1 + "/remove"

	r := a.do("GET", page, nil)
	if r.status != 200 || !strings.Contains(string(r.body), "Laptop &lt;b&gt;") || !strings.Contains(string(r.body), `action="`+remove+`"`) {
		t.Fatalf("user page: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), po) {
		t.Fatal("the page lists another user's passkey")
	}

	t.Run("CSRF", func(t *testing.T) {
		for _, form := range []url.Values{{"current_password": {testPassword}}, {"csrf": {"forged"}, "current_password": {testPassword}}} {
			if r := a.do("POST", remove, form); r.status != 403 {
				t.Fatalf("without a valid CSRF token: %d", r.status)
			}
		}
		if !h.passkeyExists(p1) {
			t.Fatal("removed without CSRF")
		}
	})
	t.Run("not an admin", func(t *testing.T) {
		e := h.client()
		e.formLogin("emp@example.test", testPassword, "")
		if r := e.do("POST", remove, url.Values{"csrf": {e.cookie("gatehouse_csrf")}, "current_password": {testPassword}}); r.status != 403 {
			t.Fatalf("non-admin: %d", r.status)
		}
		if !h.passkeyExists(p1) {
			t.Fatal("a non-admin removed a passkey")
		}
	})
	t.Run("another user's credential", func(t *testing.T) {
		r := a.do("POST", page+"/passkeys/"+po+"/remove", url.Values{"csrf": {csrf}, "current_password": {testPassword}})
		if r.status != 404 || !h.passkeyExists(po) {
			t.Fatalf("other user's passkey: %d, exists=%v", r.status, h.passkeyExists(po))
		}
		if r := a.do("POST", page+"/passkeys/%21%21/remove", url.Values{"csrf": {csrf}, "current_password": {testPassword}}); r.status != 404 {
			t.Fatalf("bad id: %d", r.status)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		r := a.do("POST", remove, url.Values{"csrf": {csrf}, "current_password": {"wrong"}})
		if r.status != 400 || !h.passkeyExists(p1) {
			t.Fatalf("wrong password: %d, exists=%v", r.status, h.passkeyExists(p1))
		}
	})
	t.Run("remove", func(t *testing.T) {
		r := a.do("POST", remove, url.Values{"csrf": {csrf}, "current_password": {testPassword}})
		if r.status != 303 || r.header.Get("Location") != page+"?done=admin_passkey_removed" {
			t.Fatalf("remove: %d %v", r.status, r.header.Get("Location"))
		}
		if h.passkeyExists(p1) {
			t.Fatal("still stored")
		}
		r = a.do("GET", page+"?done=admin_passkey_removed", nil)
		if !strings.Contains(string(r.body), "The passkey has been removed.") || !strings.Contains(string(r.body), "No passkeys.") {
			t.Fatalf("after removal: %s", r.body)
		}
	})
}
