package loginui

import "github.com/gatehouse/gatehouse/loginui/adminui"

// The admin area (the admin JSON API and the /admin pages) is the
// loginui/adminui feature; the core keeps the admin gate (Host.AdminCaller,
// AdminTarget, auth.go) and the credential revocation it asks for.

// initAdminUI builds the admin area.
func (p *Portal) initAdminUI() error {
	f, err := adminui.New(adminui.Config{Users: p.o.Users, Sessions: p.o.Sessions})
	if err != nil {
		return err
	}
	p.features = append(p.features, f)
	return nil
}
