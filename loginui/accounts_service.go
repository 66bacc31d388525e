package loginui

import (
	"github.com/gatehouse/gatehouse/internal/accounts"
)

// Accounts and credentials are created and changed by an
// accounts.Service, shared with the admin commands; this file builds the
// portal's when the options carry none and maps its errors to the
// portal's answers.

// initAccounts takes Options.Accounts or builds a Service from the
// options (after initAPIKeys filled the key defaults).
func (p *Portal) initAccounts() error {
	if p.o.Accounts != nil {
		p.accounts = p.o.Accounts
		return nil
	}
	keys, links := p.o.credentialStores()
	c := accounts.Config{Users: p.o.Users, APIKeys: keys, Links: links, Hasher: p.hasher,
		MinPassword: p.o.PasswordMinLen, MaxPassword: p.o.PasswordMaxLen, Now: p.o.Now}
	if p.keys.Enabled() {
		c.Keys, c.KeyHasher, c.SigningKeyring = p.keys.Account()
	}
	p.accounts = accounts.New(c)
	return nil
}
