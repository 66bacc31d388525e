package loginui

import (
	"fmt"
	"net"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/passkey"
	"github.com/gatehouse/gatehouse/signing"
)

// Passkeys are the loginui/passkey feature; the core keeps the logins
// that use them (passkey_login.go, loginui/internal/login/passkey.go).

// passkeyStore is Options.Passkeys or, when the user store holds them,
// Users: passkeys already registered must keep being asked for even
// where this portal does not offer them.
func (o *Options) passkeyStore() keystore.Passkeys {
	if o.Passkeys != nil {
		return o.Passkeys
	}
	s, _ := o.Users.(keystore.Passkeys)
	return s
}

// initPasskeys builds the feature when there is a passkey store.
func (p *Portal) initPasskeys() error {
	o := p.o
	store := o.passkeyStore()
	if store == nil {
		if o.Passkey.Enabled {
			return ErrPasskeyConfig
		}
		return nil
	}
	po := o.Passkey
	if po.RPID == "" || net.ParseIP(po.RPID) != nil {
		// Without an RP ID (or with an IP address, for which no browser
		// makes a passkey) there can be no passkeys to ask for.
		if po.Enabled {
			return ErrPasskeyConfig
		}
		return nil
	}
	if len(po.Origins) == 0 {
		po.Origins = []string{p.public.Scheme + "://" + p.public.Host}
	}
	f, err := passkey.New(passkey.Config{Options: po,
		StateKey:  signing.DeriveKey(o.Secrets.TokenHash, "loginui/webauthn-state", 32),
		HandleKey: signing.DeriveKey(o.Secrets.TokenHash, "loginui/webauthn-user-handle", 32),
		Passkeys:  store, Markers: o.Markers, Users: o.Users, Sessions: o.Sessions, StepUpTTL: o.TOTP.StepUpTTL, Now: o.Now})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPasskeyConfig, err)
	}
	p.features = append(p.features, f)
	return nil
}
