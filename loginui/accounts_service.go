package loginui

import (
	"errors"
	"net/http"

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
	keys, links := p.credentialStores()
	c := accounts.Config{Users: p.o.Users, APIKeys: keys, Links: links, Hasher: p.hasher,
		MinPassword: p.o.PasswordMinLen, MaxPassword: p.o.PasswordMaxLen, Now: p.o.Now}
	if p.keys != nil {
		k := p.keys
		c.KeyHasher, c.SigningKeyring = k.Hasher, k.ring.Load()
		c.Keys = accounts.KeyPolicy{Prefix: k.Prefix, Env: k.Env, AllowedScopes: k.AllowedScopes,
			ScopeSubsetCheck: k.ScopeSubsetCheck, MaxPerUser: k.MaxPerUser, DefaultLifetime: k.DefaultLifetime,
			MinLifetime: minAPIKeyLifetime, MaxLifetime: maxAPIKeyLifetime, SigningEnabled: k.SigningEnabled}
	}
	p.accounts = accounts.New(c)
	return nil
}

// keyErr maps an accounts error of API-key creation to the portal's answer.
func keyErr(err error) *opErr {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, accounts.ErrEmailUnverified):
		return opEmailUnverified
	case errors.Is(err, accounts.ErrInvalidKeyName):
		return opKeyName
	case errors.Is(err, accounts.ErrScopeNotHeld):
		return opKeyScopeRole
	case errors.Is(err, accounts.ErrScopeDenied):
		return opKeyScopeBad
	case errors.Is(err, accounts.ErrInvalidLifetime):
		return opKeyExpiry
	case errors.Is(err, accounts.ErrSigningDisabled), errors.Is(err, accounts.ErrNoSigningKeyring):
		return opKeyNoSigning
	case errors.Is(err, accounts.ErrKeyLimit):
		return opKeyLimit
	case errors.Is(err, accounts.ErrUserNotFound):
		return newOpErr(http.StatusNotFound, CodeUserNotFound, "no such user")
	case errors.Is(err, accounts.ErrKeyNotFound):
		return opKeyNotFound
	case errors.Is(err, accounts.ErrKeyRevoked):
		return opKeyRevoked
	}
	return opStore
}

// linkErr maps an accounts error of link creation to the portal's answer.
func linkErr(err error) *opErr {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, accounts.ErrEmailUnverified):
		return opEmailUnverified
	case errors.Is(err, accounts.ErrLinkTaken):
		return opOAuthLinked
	}
	return opStore
}
