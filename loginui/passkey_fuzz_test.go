package loginui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/gatehouse/gatehouse/internal/webauthntest"
)

// FuzzPasskeyLoginFinishBody: whatever body reaches the passwordless and
// second-step finish, the answer is a refusal with its code (never a
// session, never a 5xx) and the passkey's counter stays.
func FuzzPasskeyLoginFinishBody(f *testing.F) {
	h := newHarness(f, withPasskeys(f, nil))
	u := h.addUser("fuzz@example.test", false)
	c := h.client()
	c.login("fuzz@example.test", testPassword)
	a := webauthntest.New()
	c.registerPasskey(a, "Key")
	b := h.client().begin("/api/auth/webauthn/login/begin", map[string]any{})
	ans, err := a.Get(b.Options, pkGood)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := json.Marshal(map[string]any{"state": b.State, "credential": json.RawMessage(ans)})
	f.Add(good)
	f.Add([]byte(`{"state":"x","credential":{"id":"AA","rawId":"AA","type":"public-key","response":{}},"pending_token":"y"}`))
	f.Add([]byte(`{"state":"","credential":null}`))
	before := h.passkeyCount(u.ID)
	f.Fuzz(func(t *testing.T, body []byte) {
		// The same client as the seed's begin: its binding holds.
		res, err := http.Post(h.srv.URL+"/api/auth/webauthn/login/finish", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		rb, _ := io.ReadAll(res.Body)
		res.Body.Close()
		r := resp{status: res.StatusCode, header: res.Header, body: rb}
		switch r.status {
		case 400, 422, 429:
			if r.code() == "" {
				t.Fatalf("%d without a code: %s", r.status, r.body)
			}
		case 200:
			// Only the seed's genuine answer, once (its challenge is then
			// spent).
			if string(body) != string(good) {
				t.Fatalf("accepted %q", body)
			}
		default:
			t.Fatalf("status %d for %q: %s", r.status, body, r.body)
		}
		if pks, err := h.store.ListUserPasskeys(context.Background(), u.ID); err != nil || len(pks) != before {
			t.Fatalf("passkeys %d -> %d (%v)", before, len(pks), err)
		}
	})
}
