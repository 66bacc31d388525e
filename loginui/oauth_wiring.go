package loginui

import (
	"github.com/gatehouse/gatehouse/loginui/oauth"
	"github.com/gatehouse/gatehouse/signing"
)

// OAuth login and linking are the loginui/oauth feature; the core opens
// its sessions (feature.Host.FinishLogin) and records them with
// AuthMethod "oauth:<provider>".

// OAuth provider kinds (config oauth.providers[].kind).
const (
	OAuthKindOIDC   = oauth.KindOIDC
	OAuthKindGitHub = oauth.KindGitHub
	OAuthKindGoogle = oauth.KindGoogle
)

type (
	// OAuthProvider is one upstream login provider (oauth.Provider).
	OAuthProvider = oauth.Provider
	// OAuthOptions configure login with upstream providers (oauth.Options).
	OAuthOptions = oauth.Options
)

// ErrOAuthConfig is returned by New for an unusable OAuth configuration.
var ErrOAuthConfig = oauth.ErrConfig

// initOAuth builds the OAuth feature (disabled: its routes answer as
// unknown ones).
func (p *Portal) initOAuth() error {
	f, err := oauth.New(oauth.Config{Options: p.o.OAuth, PublicURL: p.public.String(), CookieName: p.o.CookieName,
		SecureCookies: p.cookieSec, RegistrationDisabled: p.o.RegistrationDisabled,
		Users: p.o.Users, Links: p.o.Links, Markers: p.o.Markers, Now: p.o.Now})
	if err != nil {
		return err
	}
	p.oauth = f
	p.features = append(p.features, f)
	return nil
}

// ReloadOAuthKeyring swaps the keyring that seals stored provider tokens
// (SIGHUP after `gatehouse keys rotate`). A nil keyring is refused while
// OAuth is on with a keyring.
func (p *Portal) ReloadOAuthKeyring(k *signing.Keyring) error { return p.oauth.ReloadKeyring(k) }
