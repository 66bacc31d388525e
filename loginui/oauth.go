package loginui

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/signing"
)

// OAuth provider kinds (config oauth.providers[].kind).
const (
	OAuthKindOIDC   = "oidc"
	OAuthKindGitHub = "github"
	OAuthKindGoogle = "google"
)

// Provider preset endpoints.
const (
	googleIssuer    = "https://accounts.google.com"
	githubAuthURL   = "https://github.com/login/oauth/authorize"
	githubTokenURL  = "https://github.com/login/oauth/access_token"
	githubAPIBase   = "https://api.github.com"
	oauthHTTPTimout = 10 * time.Second
)

// OAuthProvider is one upstream login provider (SPEC §5.7).
type OAuthProvider struct {
	Name        string // [a-z0-9-], used in URLs
	Kind        string // oidc | github | google
	DisplayName string
	Issuer      string // oidc: the issuer, discovered at <issuer>/.well-known/openid-configuration
	ClientID    string
	// ClientSecret authenticates the portal to the provider's token
	// endpoint.
	ClientSecret signing.Secret
	// Scopes are requested as configured; empty: openid email profile
	// (oidc, google) or read:user user:email (github).
	Scopes []string
	// TrustEmailVerified lets a provider-asserted verified email create an
	// account or be matched against one (trust_provider_email_verified).
	TrustEmailVerified bool
	// AssociateByEmail links a first login to the existing account with the
	// same (verified, trusted) email instead of refusing it.
	AssociateByEmail bool
	// StoreTokens keeps the provider's access and refresh tokens, sealed
	// with OAuthOptions.TokensKeyring; otherwise they are dropped.
	StoreTokens bool
	// Endpoint overrides (tests, GitHub Enterprise): AuthURL and TokenURL
	// replace the preset or discovered ones; APIBase replaces
	// https://api.github.com for the github kind.
	AuthURL, TokenURL, APIBase string
}

// OAuthOptions configure login with upstream providers.
type OAuthOptions struct {
	Enabled bool
	// RedirectBase is the public base URL of the callback routes; empty:
	// PublicURL.
	RedirectBase string
	Providers    []OAuthProvider
	// FlowCookieSecret keys the encrypted flow cookie (HKDF subkey);
	// required (32 bytes or more) when Enabled.
	FlowCookieSecret signing.Secret
	// TokensKeyring seals stored provider tokens (keyring oauth_tokens);
	// required when a provider has StoreTokens.
	TokensKeyring *signing.Keyring
	// HTTPClient makes the calls to providers; nil: a client with a 10 s
	// timeout. Its timeout should be set.
	HTTPClient *http.Client
}

// ErrOAuthConfig is returned by New for an unusable OAuth configuration.
var ErrOAuthConfig = errors.New("loginui: OAuth needs the links store, a flow-cookie secret, valid providers (name, kind, client id and secret, issuer for oidc) and a keyring when tokens are stored")

// oauthProvider is a configured provider ready for use.
type oauthProvider struct {
	cfg OAuthProvider
	// oidc holds discovery and keys (oidc and google); nil for github.
	oidc *oidcClient
}

// oauthState is the portal's OAuth machinery; enabled=false leaves every
// OAuth route answering 404.
type oauthState struct {
	enabled      bool
	providers    map[string]*oauthProvider
	order        []string
	flowKey      []byte
	redirectBase string
	client       *http.Client
	tokens       atomic.Pointer[signing.Keyring] // swapped by ReloadOAuthKeyring
	// formOrigins are the providers' authorization origins known at
	// start (issuer, preset or override), added to the CSP form-action
	// so the /account link form may redirect there.
	formOrigins []string
}

func validOAuthName(n string) bool {
	if n == "" || len(n) > 32 || n[0] == '-' {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func (p *Portal) initOAuth() error {
	o := p.o.OAuth
	if !o.Enabled {
		return nil
	}
	if p.o.Links == nil || o.FlowCookieSecret.Len() < minSecretLen || len(o.Providers) == 0 {
		return ErrOAuthConfig
	}
	st := &p.oauth
	st.providers = map[string]*oauthProvider{}
	st.flowKey = signing.DeriveKey(o.FlowCookieSecret, "loginui/oauth-flow-cookie", 32)
	st.tokens.Store(o.TokensKeyring)
	st.client = o.HTTPClient
	if st.client == nil {
		st.client = &http.Client{Timeout: oauthHTTPTimout}
	}
	base := o.RedirectBase
	if base == "" {
		base = p.public.String()
	}
	bu, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (bu.Scheme != "https" && bu.Scheme != "http") || bu.Host == "" || bu.User != nil || bu.RawQuery != "" || bu.Fragment != "" {
		return ErrOAuthConfig
	}
	st.redirectBase = bu.String()
	for _, pc := range o.Providers {
		if !validOAuthName(pc.Name) || st.providers[pc.Name] != nil || pc.ClientID == "" || pc.ClientSecret.IsZero() {
			return ErrOAuthConfig
		}
		if pc.StoreTokens && o.TokensKeyring == nil {
			return ErrOAuthConfig
		}
		if pc.DisplayName == "" {
			pc.DisplayName = pc.Name
		}
		pc.Scopes = append([]string(nil), pc.Scopes...)
		pr := &oauthProvider{cfg: pc}
		switch pc.Kind {
		case OAuthKindOIDC, OAuthKindGoogle:
			iss := pc.Issuer
			if pc.Kind == OAuthKindGoogle {
				iss = googleIssuer
			}
			if !validIssuer(iss) {
				return ErrOAuthConfig
			}
			if len(pr.cfg.Scopes) == 0 {
				pr.cfg.Scopes = []string{"openid", "email", "profile"}
			}
			pr.oidc = newOIDCClient(iss, pc.ClientID, st.client, p.o.Now)
		case OAuthKindGitHub:
			if len(pr.cfg.Scopes) == 0 {
				pr.cfg.Scopes = []string{"read:user", "user:email"}
			}
			if pr.cfg.AuthURL == "" {
				pr.cfg.AuthURL = githubAuthURL
			}
			if pr.cfg.TokenURL == "" {
				pr.cfg.TokenURL = githubTokenURL
			}
			if pr.cfg.APIBase == "" {
				pr.cfg.APIBase = githubAPIBase
			}
			pr.cfg.APIBase = strings.TrimRight(pr.cfg.APIBase, "/")
			for _, s := range []string{pr.cfg.AuthURL, pr.cfg.TokenURL, pr.cfg.APIBase} {
				if !validEndpoint(s) {
					return ErrOAuthConfig
				}
			}
		default:
			return ErrOAuthConfig
		}
		for _, s := range []string{pr.cfg.AuthURL, pr.cfg.Issuer, iss(pr)} {
			if o := urlOrigin(s); o != "" && !slices.Contains(st.formOrigins, o) {
				st.formOrigins = append(st.formOrigins, o)
			}
		}
		st.providers[pc.Name] = pr
		st.order = append(st.order, pc.Name)
	}
	st.enabled = true
	return nil
}

// iss is the OIDC issuer of a provider, "" for github.
func iss(pr *oauthProvider) string {
	if pr.oidc == nil {
		return ""
	}
	return pr.oidc.issuer
}

// urlOrigin is scheme://host of an absolute http(s) URL, else "".
func urlOrigin(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(u.Host, " ;'\"") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// ReloadOAuthKeyring swaps the keyring that seals stored provider tokens
// (SIGHUP after `gatehouse keys rotate`). A nil keyring is refused while
// OAuth is on with a keyring.
func (p *Portal) ReloadOAuthKeyring(k *signing.Keyring) error {
	if k == nil && p.oauth.tokens.Load() != nil {
		return ErrOAuthConfig
	}
	p.oauth.tokens.Store(k)
	return nil
}

// validIssuer: an absolute http(s) URL without userinfo, query or fragment.
func validIssuer(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil && u.RawQuery == "" && u.Fragment == ""
}

// validEndpoint: an absolute http(s) URL without userinfo or fragment.
func validEndpoint(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil && u.Fragment == ""
}

// provider returns the enabled provider called name.
func (p *Portal) oauthProvider(name string) *oauthProvider {
	if !p.oauth.enabled || len(name) > 32 {
		return nil
	}
	return p.oauth.providers[name]
}

// callbackURL is the redirect_uri of a flow kind.
func (p *Portal) oauthCallbackURL(kind, provider string) string {
	seg := "oauth"
	if kind == flowAssociate {
		seg = "associate"
	}
	return p.oauth.redirectBase + "/api/auth/" + seg + "/" + provider + "/callback"
}

// oauth2Config builds the x/oauth2 configuration of a provider for a flow
// kind; endpoints come from discovery for OIDC providers.
func (p *Portal) oauth2Config(r *http.Request, pr *oauthProvider, kind string) (*oauth2.Config, error) {
	ep := oauth2.Endpoint{AuthURL: pr.cfg.AuthURL, TokenURL: pr.cfg.TokenURL, AuthStyle: oauth2.AuthStyleInParams}
	if pr.oidc != nil {
		d, err := pr.oidc.discover(r.Context())
		if err != nil {
			return nil, err
		}
		if ep.AuthURL == "" {
			ep.AuthURL = d.AuthorizationEndpoint
		}
		if ep.TokenURL == "" {
			ep.TokenURL = d.TokenEndpoint
		}
		ep.AuthStyle = oauth2.AuthStyleInHeader
	}
	return &oauth2.Config{
		ClientID: pr.cfg.ClientID, ClientSecret: string(pr.cfg.ClientSecret.Bytes()),
		Endpoint: ep, RedirectURL: p.oauthCallbackURL(kind, pr.cfg.Name), Scopes: pr.cfg.Scopes,
	}, nil
}
