package loginui_test

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui"
	"github.com/gatehouse/gatehouse/signing"
)

// TestTOTPKeyringReloadKeepsReencryptedUsersLoggingIn: after `keys rotate`,
// `keys reencrypt` moves TOTP records to the new key; once the portal is
// given the new keyring (SIGHUP) those users log in again without a
// restart, and before that the portal fails closed rather than letting the
// password alone through.
func TestTOTPKeyringReloadKeepsReencryptedUsersLoggingIn(t *testing.T) {
	k1, err := signing.GenerateFernetKey()
	if err != nil {
		t.Fatal(err)
	}
	k2, err := signing.GenerateFernetKey()
	if err != nil {
		t.Fatal(err)
	}
	old, err := signing.NewKeyring("k1", map[string]string{"k1": k1})
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := signing.NewKeyring("k2", map[string]string{"k1": k1, "k2": k2})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, withTOTP(t, func(o *loginui.Options) { o.TOTP.Keyring = old }))
	u, sec, _ := h.totpUser("rot@example.test", false)

	// What `keys reencrypt` does with the rotated ring.
	stored := h.user(u.ID)
	fresh, changed, err := rotated.Reseal(stored.TOTPSecret)
	if err != nil || !changed {
		t.Fatalf("reseal: %v %v", changed, err)
	}
	if _, err := h.store.UpdateUser(context.Background(), stored.ID, func(x *keystore.User) error { x.TOTPSecret = fresh; return nil }); err != nil {
		t.Fatal(err)
	}

	c := h.client()
	r := c.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": c.pending("rot@example.test"), "code": h.code(sec)})
	if r.status == 200 {
		t.Fatal("a record under an unknown key let the login through")
	}
	if err := h.p.ReloadTOTPKeyring(nil); err == nil {
		t.Fatal("nil keyring accepted")
	}
	if err := h.p.ReloadTOTPKeyring(rotated); err != nil {
		t.Fatal(err)
	}
	h.client().loginTOTP("rot@example.test", sec)
}
