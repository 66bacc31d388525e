package loginui_test

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/signing"
)

// TestAPIKeySigningKeyringReloadSealsUnderTheNewKey: after a rotation and
// SIGHUP, signing keys made in the portal are sealed under the new active
// key (so `keys status` drains the old one).
func TestAPIKeySigningKeyringReloadSealsUnderTheNewKey(t *testing.T) {
	h := newHarness(t, withAPIKeys(t, nil))
	h.addUser("sig@example.test", false)
	c := h.client()
	c.login("sig@example.test", testPassword)
	create := func() string {
		r := c.do("POST", "/api/api-keys", map[string]any{"name": "s", "scopes": []string{"read"}, "signing_required": true})
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var out struct {
			Key struct {
				KeyID string `json:"key_id"`
			} `json:"key"`
		}
		r.json(t, &out)
		k, err := h.store.GetAPIKey(context.Background(), out.Key.KeyID)
		if err != nil {
			t.Fatal(err)
		}
		return k.SigningSecret
	}
	k2, err := signing.GenerateFernetKey()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := signing.NewKeyring("k2", map[string]string{"k2": k2})
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := ring.KeyIDOf(create()); id != "k1" {
		t.Fatalf("before reload sealed under %q", id)
	}
	if err := h.p.ReloadAPIKeySigningKeyring(nil); err == nil {
		t.Fatal("nil keyring accepted")
	}
	if err := h.p.ReloadAPIKeySigningKeyring(ring); err != nil {
		t.Fatal(err)
	}
	env := create()
	if id, _ := ring.KeyIDOf(env); id != "k2" {
		t.Fatalf("after reload sealed under %q", id)
	}
	if _, err := ring.Open(env); err != nil {
		t.Fatal(err)
	}
}
