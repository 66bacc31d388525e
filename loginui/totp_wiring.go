package loginui

import (
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/session"
	"github.com/gatehouse/gatehouse/loginui/totp"
	"github.com/gatehouse/gatehouse/signing"
)

// TOTP is the loginui/totp feature. The core derives its token keys and
// binding key from Secrets.TOTPPending and keeps the second login step
// (login.go and loginui/internal/login); loginui/internal/session
// mints the session.

// TOTP token audiences.
const (
	audTOTPPending = "gatehouse:totp-pending"
	audTOTPEnroll  = "gatehouse:totp-enroll"
)

// initTOTP builds the TOTP feature; without a keyring it is not ready.
func (p *Portal) initTOTP(iss string) error {
	o := p.o
	c := totp.Config{Options: o.TOTP, Hasher: p.hasher, RecoveryLookup: o.Secrets.RecoveryCodeLookup,
		Users: o.Users, Sessions: o.Sessions, Markers: o.Markers, Denylist: o.Denylist, ValidFirstFactor: feature.ValidFirstFactor}
	// The pending token serves every second step, a passkey's too, so it
	// exists without TOTP configured: its keys come from
	// Secrets.TOTPPending when set, else from Secrets.TokenHash under
	// purposes of their own.
	pendingSecret, pendingPurpose := o.Secrets.TOTPPending, "loginui/totp-pending-token"
	bindPurpose := "loginui/totp-binding"
	if pendingSecret.Len() < minSecretLen {
		pendingSecret, pendingPurpose, bindPurpose = o.Secrets.TokenHash, "loginui/pending-login-token", "loginui/pending-login-binding"
	}
	pk := signing.NewSecret(signing.DeriveKey(pendingSecret, pendingPurpose, 32))
	pending, err := session.NewJWT(iss, audTOTPPending, []signing.JWTKey{{Alg: signing.AlgHS256, HMAC: pk}}, "", true)
	if err != nil {
		return err
	}
	c.Pending = pending
	c.BindKey = signing.DeriveKey(pendingSecret, bindPurpose, 32)
	if o.TOTP.Keyring != nil {
		ek := signing.NewSecret(signing.DeriveKey(o.Secrets.TOTPPending, "loginui/totp-enroll-token", 32))
		enroll, err := session.NewJWT(iss, audTOTPEnroll, []signing.JWTKey{{Alg: signing.AlgHS256, HMAC: ek}}, "", false)
		if err != nil {
			return err
		}
		c.Enroll = enroll
	}
	f, err := totp.New(c)
	if err != nil {
		return err
	}
	p.totp = f
	p.features = append(p.features, f)
	return nil
}

// ReloadTOTPKeyring swaps the keyring that seals and opens TOTP records
// (after `gatehouse keys rotate` and SIGHUP), so rows re-encrypted under a
// new key keep working without a restart. It is refused when TOTP was not
// configured at start, or for a nil keyring.
func (p *Portal) ReloadTOTPKeyring(k *signing.Keyring) error { return p.totp.ReloadKeyring(k) }
