package oauth

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/signing"
)

// MethodPrefix starts the AuthMethod of an OAuth session
// ("oauth:<provider>").
const MethodPrefix = feature.MethodOAuthPrefix

// minSecretLen is the least length of the flow-cookie secret.
const minSecretLen = 32

// Config is what New needs besides Options.
type Config struct {
	Options
	PublicURL            string // the default RedirectBase
	CookieName           string // the flow cookie is <CookieName>_oauth
	SecureCookies        bool
	RegistrationDisabled bool
	Users                keystore.Users
	Links                keystore.OAuthLinks
	Markers              keystore.Markers
	Now                  func() time.Time
}

// Feature is login with upstream OAuth/OIDC providers and the linking of
// provider accounts: the /api/auth/oauth and /api/auth/associate routes,
// the login page's provider buttons, the linked-accounts section of
// /account and its unlink form.
type Feature struct {
	c            Config
	enabled      bool
	providers    map[string]*oauthProvider
	order        []string
	flowKey      []byte
	redirectBase string
	client       *http.Client
	tokens       atomic.Pointer[signing.Keyring] // swapped by ReloadKeyring
	// formOrigins are the providers' authorization origins known at
	// start (issuer, preset or override), added to the CSP form-action
	// so the /account link form may redirect there.
	formOrigins []string
	h           feature.Host
}

var (
	_ feature.Feature       = (*Feature)(nil)
	_ feature.FramedSection = (*Feature)(nil)
	_ feature.LoginSection  = (*Feature)(nil)
	_ feature.FormOrigins   = (*Feature)(nil)
	_ feature.Notices       = (*Feature)(nil)
)

// Register implements feature.Feature.
func (oa *Feature) Register(rt feature.Router, h feature.Host) {
	oa.h = h
	rt.Raw("GET /api/auth/oauth/{provider}/authorize", oa.oauthAuthorize)
	rt.Raw("GET /api/auth/oauth/{provider}/callback", oa.oauthCallback)
	rt.Raw("POST /api/auth/associate/{provider}/authorize", oa.associateAuthorize)
	rt.Raw("GET /api/auth/associate/{provider}/callback", oa.associateCallback)
	rt.Page("POST /account/linked/unlink", oa.pageOAuthUnlink)
}

// FormOrigins implements feature.FormOrigins.
func (oa *Feature) FormOrigins() []string { return oa.formOrigins }

// Notices implements feature.Notices.
func (oa *Feature) Notices() map[string]string {
	return map[string]string{
		"linked":   "The provider account has been linked.",
		"unlinked": "The provider account has been unlinked.",
	}
}
