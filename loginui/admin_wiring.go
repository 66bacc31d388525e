package loginui

import (
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/adminui"
)

// The admin area (the admin JSON API and the /admin pages) is the
// loginui/adminui feature; the core keeps the admin gate (Host.AdminCaller,
// AdminTarget, auth.go) and the credential revocation it asks for.

// initAdminUI builds the admin area.
func (p *Portal) initAdminUI() error {
	// The passkeys are the user store's when it keeps them (both
	// back-ends do; keystore.Store).
	pk, _ := p.o.Users.(keystore.Passkeys)
	f, err := adminui.New(adminui.Config{Users: p.o.Users, Sessions: p.o.Sessions, Passkeys: pk})
	if err != nil {
		return err
	}
	p.features = append(p.features, f)
	return nil
}
