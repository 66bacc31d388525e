package oauth

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/signing"
)

// Provider kinds (config oauth.providers[].kind).
const (
	KindOIDC   = "oidc"
	KindGitHub = "github"
	KindGoogle = "google"
)

// Provider preset endpoints.
const (
	googleIssuer    = "https://accounts.google.com"
	githubAuthURL   = "https://github.com/login/oauth/authorize"
	githubTokenURL  = "https://github.com/login/oauth/access_token"
	githubAPIBase   = "https://api.github.com"
	oauthHTTPTimout = 10 * time.Second
)

// Provider is one upstream login provider.
type Provider struct {
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
	// with Options.TokensKeyring; otherwise they are dropped.
	StoreTokens bool
	// Endpoint overrides (tests, GitHub Enterprise): AuthURL and TokenURL
	// replace the preset or discovered ones; APIBase replaces
	// https://api.github.com for the github kind.
	AuthURL, TokenURL, APIBase string
}

// Options configure login with upstream providers.
type Options struct {
	Enabled bool
	// RedirectBase is the public base URL of the callback routes; empty:
	// PublicURL.
	RedirectBase string
	Providers    []Provider
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

// ErrConfig is returned by New for an unusable OAuth configuration.
var ErrConfig = errors.New("loginui: OAuth needs the links store, a flow-cookie secret, valid providers (name, kind, client id and secret, issuer for oidc) and a keyring when tokens are stored")

// oauthProvider is a configured provider ready for use.
type oauthProvider struct {
	cfg Provider
	// oidc holds discovery and keys (oidc and google); nil for github.
	oidc *oidcClient
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

// New validates c and builds the feature; disabled, every OAuth route
// answers as if it did not exist.
func New(c Config) (*Feature, error) {
	st := &Feature{c: c}
	o := c.Options
	if !o.Enabled {
		return st, nil
	}
	if c.Links == nil || o.FlowCookieSecret.Len() < minSecretLen || len(o.Providers) == 0 {
		return nil, ErrConfig
	}
	st.providers = map[string]*oauthProvider{}
	st.flowKey = signing.DeriveKey(o.FlowCookieSecret, "loginui/oauth-flow-cookie", 32)
	st.tokens.Store(o.TokensKeyring)
	st.client = o.HTTPClient
	if st.client == nil {
		st.client = &http.Client{Timeout: oauthHTTPTimout}
	}
	base := o.RedirectBase
	if base == "" {
		base = c.PublicURL
	}
	bu, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (bu.Scheme != "https" && bu.Scheme != "http") || bu.Host == "" || bu.User != nil || bu.RawQuery != "" || bu.Fragment != "" {
		return nil, ErrConfig
	}
	st.redirectBase = bu.String()
	for _, pc := range o.Providers {
		if !validOAuthName(pc.Name) || st.providers[pc.Name] != nil || pc.ClientID == "" || pc.ClientSecret.IsZero() {
			return nil, ErrConfig
		}
		if pc.StoreTokens && o.TokensKeyring == nil {
			return nil, ErrConfig
		}
		if pc.DisplayName == "" {
			pc.DisplayName = pc.Name
		}
		pc.Scopes = append([]string(nil), pc.Scopes...)
		pr := &oauthProvider{cfg: pc}
		switch pc.Kind {
		case KindOIDC, KindGoogle:
			iss := pc.Issuer
			if pc.Kind == KindGoogle {
				iss = googleIssuer
			}
			if !validIssuer(iss) {
				return nil, ErrConfig
			}
			if len(pr.cfg.Scopes) == 0 {
				pr.cfg.Scopes = []string{"openid", "email", "profile"}
			}
			pr.oidc = newOIDCClient(iss, pc.ClientID, st.client, c.Now)
		case KindGitHub:
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
					return nil, ErrConfig
				}
			}
		default:
			return nil, ErrConfig
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
	return st, nil
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

// ReloadKeyring swaps the keyring that seals stored provider tokens
// (SIGHUP after `gatehouse keys rotate`). A nil keyring is refused while
// OAuth is on with a keyring.
func (oa *Feature) ReloadKeyring(k *signing.Keyring) error {
	if k == nil && oa.tokens.Load() != nil {
		return ErrConfig
	}
	oa.tokens.Store(k)
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
func (oa *Feature) oauthProvider(name string) *oauthProvider {
	if !oa.enabled || len(name) > 32 {
		return nil
	}
	return oa.providers[name]
}

// callbackURL is the redirect_uri of a flow kind.
func (oa *Feature) oauthCallbackURL(kind, provider string) string {
	seg := "oauth"
	if kind == flowAssociate {
		seg = "associate"
	}
	return oa.redirectBase + "/api/auth/" + seg + "/" + provider + "/callback"
}

// oauth2Config builds the x/oauth2 configuration of a provider for a flow
// kind; endpoints come from discovery for OIDC providers.
func (oa *Feature) oauth2Config(r *http.Request, pr *oauthProvider, kind string) (*oauth2.Config, error) {
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
		Endpoint: ep, RedirectURL: oa.oauthCallbackURL(kind, pr.cfg.Name), Scopes: pr.cfg.Scopes,
	}, nil
}
