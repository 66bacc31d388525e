package loginui

import (
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/profile"
)

// The caller's own record (/api/users/me, change-password, the /account
// profile and password forms) is the loginui/profile feature; the core
// keeps the password check, storing the new password
// (Host.SetPassword), the revocation policy and the page shell, and
// signup mails the verify link.

// initProfile builds the profile feature (signup is built later; the
// mail hook reads it at request time).
func (p *Portal) initProfile() {
	p.features = append(p.features, profile.New(profile.Config{
		PasswordMinLen: p.o.PasswordMinLen, PasswordMaxLen: p.o.PasswordMaxLen,
		SendVerify: func(u *keystore.User) error { return p.signup.SendVerify(u) },
	}))
}
