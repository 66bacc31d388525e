package loginui

import (
	"context"
	"net/http"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/setup"
)

// The first-start page (/setup) is the loginui/setup feature; the core
// hands it the setup token, the stores, the marker key and the one
// session it may ask for (the new administrator's, a password session).

// initSetup builds the setup feature (the limiter is built later; the
// marker key reads it at request time).
func (p *Portal) initSetup() {
	o := p.o
	p.features = append(p.features, setup.New(setup.Config{
		Token: o.SetupToken, Expires: o.SetupTokenExpires,
		PasswordMinLen: o.PasswordMinLen, PasswordMaxLen: o.PasswordMaxLen,
		Users: o.Users, Markers: o.Markers,
		MarkerKey: func(tok string) string { return p.limiter.Key(setup.Slot, tok) },
		OpenSession: func(ctx context.Context, w http.ResponseWriter, r *http.Request, u *keystore.User) error {
			// The setup form sets a password, so it counts as one.
			_, err := p.flow.OpenSession(ctx, w, r, u, feature.MethodPassword)
			return err
		},
	}))
}
