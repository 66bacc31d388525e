package loginui

import (
	"errors"
	"html/template"
	"net/http"
	"net/netip"
	"time"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/apikeys"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/login"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
	"github.com/gatehouse/gatehouse/loginui/passkey"
	"github.com/gatehouse/gatehouse/loginui/setup"
	"github.com/gatehouse/gatehouse/loginui/totp"
	"github.com/gatehouse/gatehouse/signing"
)

// Secrets holds one secret per role. Each must be at least 32 bytes, except
// Telemetry, which is optional.
type Secrets struct {
	TokenHash   signing.Secret // opaque session/refresh token digests (shared with the verifier)
	CSRF        signing.Secret // CSRF token MACs
	VerifyToken signing.Secret // email verification JWTs (HS256)
	ResetToken  signing.Secret // password reset JWTs (HS256)
	AccessToken signing.Secret // access JWTs (HS256), used when AccessKeys is empty
	Fingerprint signing.Secret // session fingerprint key (sfp claim; shared with the verifier)
	Telemetry   signing.Secret // optional: HMAC digests of failed-login identifiers
	// TOTPPending keys the TOTP pending-login and enrollment JWTs and the
	// HMACs that bind a pending token to the client (HKDF subkeys each).
	// Required when TOTP.Enabled or TOTP.Keyring is set.
	TOTPPending signing.Secret
	// RecoveryCodeLookup keys the lookup digests of recovery codes.
	// Required with TOTPPending.
	RecoveryCodeLookup signing.Secret
}

// TOTPOptions configure the second factor (loginui/totp).
type TOTPOptions = totp.Options

// PasskeyOptions configure passkeys (loginui/passkey).
type PasskeyOptions = passkey.Options

// APIKeyOptions configure self-service and admin API-key management
// (loginui/apikeys).
type APIKeyOptions = apikeys.Options

// RateLimit allows Max events per fixed Window. Max <= 0 disables the slot.
type RateLimit = web.RateLimit

// Rate-limit slots (docs/design.md "Answer shapes").
const (
	SlotLogin          = feature.SlotLogin
	SlotRegister       = "register"
	SlotForgotPassword = "forgot_password"
	SlotResetPassword  = "reset_password"
	SlotChangePassword = feature.SlotChangePassword
	SlotVerifyToken    = "verify_token"
	SlotRefresh        = login.SlotRefresh
	SlotSetup          = setup.Slot
	SlotTOTPVerify     = totp.SlotVerify
	SlotTOTPEnable     = totp.SlotEnable
	SlotAPIKeyCreate   = apikeys.SlotCreate
)

// DefaultRateLimits apply to the slots Options.RateLimits leaves out.
var DefaultRateLimits = map[string]RateLimit{
	SlotLogin:          {Max: 10, Window: time.Minute},
	SlotRegister:       {Max: 5, Window: time.Hour},
	SlotForgotPassword: {Max: 5, Window: time.Hour},
	SlotResetPassword:  {Max: 10, Window: time.Hour},
	SlotChangePassword: {Max: 10, Window: time.Hour},
	SlotVerifyToken:    {Max: 10, Window: time.Hour},
	SlotRefresh:        {Max: 60, Window: time.Minute},
	SlotSetup:          {Max: 10, Window: time.Hour},
	SlotTOTPVerify:     {Max: 10, Window: 10 * time.Minute},
	SlotTOTPEnable:     {Max: 10, Window: time.Hour},
	SlotAPIKeyCreate:   {Max: 20, Window: time.Hour},
}

// Options configure a Portal. main.go fills it from the configuration.
type Options struct {
	// Stores. Users, Sessions, Denylist and Markers are required; Counters
	// may be nil, and then an in-process limiter with LocalLimiterMaxKeys
	// keys is used.
	Users    keystore.Users
	Sessions keystore.Sessions
	Denylist keystore.Denylist
	Markers  keystore.Markers
	Counters keystore.Counters

	Secrets Secrets
	// AccessKeys, when set, verify access JWTs (all of them) and the one
	// whose kid is AccessActiveKID signs new ones; New fails when that kid
	// names no key. Otherwise Secrets.AccessToken is used as one HS256 key
	// and AccessActiveKID is ignored.
	AccessKeys      []signing.JWTKey
	AccessActiveKID string

	PublicURL    string // e.g. https://auth.example.test; the JWT iss
	CookieName   string // default gatehouse_session
	CookieDomain string // cookie Domain and the rd allow-list
	Development  bool   // relaxes Secure cookies and rd for loopback http

	SessionLifetime time.Duration // default 12h
	AccessLifetime  time.Duration // default 15m
	RefreshLifetime time.Duration // default 30 days (one rotation chain)
	TokenLifetime   time.Duration // verify and reset tokens; default 1h
	SessionTouch    time.Duration // least interval between last-seen writes; default 1m

	PasswordParams signing.PasswordParams // default signing.DefaultPasswordParams
	PasswordMinLen int                    // default 12
	PasswordMaxLen int                    // default 128
	// Hasher, when set, is used instead of building one from PasswordParams.
	Hasher *signing.Hasher

	RateLimits          map[string]RateLimit // slot -> limit; missing slots use DefaultRateLimits
	LocalLimiterMaxKeys int                  // default 100000
	// Lockout, when Max > 0, refuses an account's logins for Window after
	// Max failed attempts; the answer is that of a bad password.
	Lockout RateLimit

	RegistrationDisabled bool

	Mailer Mailer // nil: DevMailer on Logger
	Logger zerolog.Logger
	Now    func() time.Time // default time.Now

	// SetupToken enables /setup?token=... to create the first superuser
	// once while no superuser exists; empty disables it.
	SetupToken        string
	SetupTokenExpires time.Time // zero: never

	// MinResponseTime pads login, register, forgot-password,
	// request-verify-token and reset answers. Default 250ms.
	MinResponseTime time.Duration

	// Client addresses: X-Forwarded-For is honoured only from
	// TrustedProxies, counting TrustedHops entries from the right.
	TrustedProxies []netip.Prefix
	TrustedHops    int

	// TOTP configures the built-in second factor.
	TOTP TOTPOptions

	// Passkey configures passkeys (docs/design.md "Passkeys"). Without an
	// RPID (a domain name: the config's webauthn.rp_id, cookie.domain or
	// the public URL's host) there are none; Origins default to the
	// public URL's origin. The ceremony keys are derived from
	// Secrets.TokenHash (purposes "loginui/webauthn-state" and
	// "loginui/webauthn-user-handle").
	Passkey PasskeyOptions
	// Passkeys stores passkeys; nil: Users when it holds them. Without a
	// store there are no passkeys (and Passkey.Enabled is refused).
	Passkeys keystore.Passkeys

	// APIKeys stores API keys; required when APIKeyConfig.Enabled.
	APIKeys keystore.APIKeys
	// APIKeyConfig configures API-key management.
	APIKeyConfig APIKeyOptions

	// OAuth configures login with upstream OAuth/OIDC providers; Links
	// stores the links (required when OAuth.Enabled).
	OAuth OAuthOptions
	Links keystore.OAuthLinks

	// Accounts creates and changes accounts and credentials. nil: New
	// builds one from Users, APIKeys, Links, the hasher, the password
	// bounds and APIKeyConfig. Share one with the admin commands of the
	// same process so the per-user key cap holds across both.
	Accounts *accounts.Service

	// SecondStep, when set, runs after a correct password (and after the
	// built-in TOTP step, which answers for users with TOTP on); if it
	// returns handled=true it has answered and no session is issued.
	SecondStep func(w http.ResponseWriter, r *http.Request, u *keystore.User) (handled bool)
	// AccountSections are extra sections rendered on /account, in order.
	AccountSections []AccountSection

	// OnRateLimited, when set, is called with the slot name each time a
	// request is refused by a rate limit (metrics); it must not block.
	OnRateLimited func(slot string)
}

// Errors from New. They never carry secret material.
var (
	ErrMissingStore  = errors.New("loginui: a required store is missing")
	ErrWeakSecret    = errors.New("loginui: a required secret is missing or shorter than 32 bytes")
	ErrPublicURL     = errors.New("loginui: public URL must be an absolute http(s) URL without path, query or userinfo")
	ErrCookieName    = errors.New("loginui: invalid cookie name")
	ErrRateLimitSpec = errors.New("loginui: invalid rate limit")
	ErrTOTPConfig    = totp.ErrConfig
	ErrAPIKeyConfig  = apikeys.ErrConfig
	ErrPasskeyConfig = errors.New("loginui: passkeys need a passkey store, an RP ID and origins")
)

const minSecretLen = 32

func (o *Options) withDefaults() {
	if o.CookieName == "" {
		o.CookieName = "gatehouse_session"
	}
	if o.SessionLifetime <= 0 {
		o.SessionLifetime = 12 * time.Hour
	}
	if o.AccessLifetime <= 0 {
		o.AccessLifetime = 15 * time.Minute
	}
	if o.RefreshLifetime <= 0 {
		o.RefreshLifetime = 30 * 24 * time.Hour
	}
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = time.Hour
	}
	if o.SessionTouch <= 0 {
		o.SessionTouch = time.Minute
	}
	if o.PasswordParams == (signing.PasswordParams{}) {
		o.PasswordParams = signing.DefaultPasswordParams
	}
	if o.PasswordMinLen <= 0 {
		o.PasswordMinLen = signing.DefaultPasswordMinLen
	}
	if o.PasswordMaxLen <= 0 {
		o.PasswordMaxLen = signing.DefaultPasswordMaxLen
	}
	if o.LocalLimiterMaxKeys <= 0 {
		o.LocalLimiterMaxKeys = 100000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MinResponseTime == 0 {
		o.MinResponseTime = 250 * time.Millisecond
	}
	if len(o.TrustedProxies) == 0 {
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
	if o.TOTP.Issuer == "" {
		o.TOTP.Issuer = "gatehouse"
	}
	if o.TOTP.StepUpTTL <= 0 {
		o.TOTP.StepUpTTL = 5 * time.Minute
	}
	if o.TrustedHops <= 0 {
		o.TrustedHops = 1
	}
	limits := make(map[string]RateLimit, len(DefaultRateLimits)+len(o.RateLimits))
	for k, v := range DefaultRateLimits {
		limits[k] = v
	}
	for k, v := range o.RateLimits {
		limits[k] = v
	}
	o.RateLimits = limits
}

func (o *Options) validate() error {
	if o.Users == nil || o.Sessions == nil || o.Denylist == nil || o.Markers == nil {
		return ErrMissingStore
	}
	s := o.Secrets
	for _, sec := range []signing.Secret{s.TokenHash, s.CSRF, s.VerifyToken, s.ResetToken, s.Fingerprint} {
		if sec.Len() < minSecretLen {
			return ErrWeakSecret
		}
	}
	if len(o.AccessKeys) == 0 && s.AccessToken.Len() < minSecretLen {
		return ErrWeakSecret
	}
	if !s.Telemetry.IsZero() && s.Telemetry.Len() < minSecretLen {
		return ErrWeakSecret
	}
	if o.TOTP.Enabled || o.TOTP.Keyring != nil {
		if o.TOTP.Keyring == nil || s.TOTPPending.Len() < minSecretLen || s.RecoveryCodeLookup.Len() < minSecretLen {
			return ErrTOTPConfig
		}
		if _, err := signing.ParseTOTPAlgorithm(o.TOTP.Algorithm); err != nil {
			return ErrTOTPConfig
		}
	}
	if !validCookieName(o.CookieName) {
		return ErrCookieName
	}
	for _, l := range o.RateLimits {
		if l.Max > 0 && l.Window <= 0 {
			return ErrRateLimitSpec
		}
	}
	if o.Lockout.Max > 0 && o.Lockout.Window <= 0 {
		return ErrRateLimitSpec
	}
	return nil
}

func validCookieName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// AccountSection is one extra section of the /account page. Render returns
// trusted HTML (built with html/template by the section's owner).
type AccountSection struct {
	Title  string
	Render func(r *http.Request, u *keystore.User) (template.HTML, error)
}

// credentialStores are where API keys and OAuth links live. They come
// from the options, or from the user store when it holds them: keys and
// links must be revoked even where this portal does not manage them,
// since the verifier may still accept them.
func (o *Options) credentialStores() (keystore.APIKeys, keystore.OAuthLinks) {
	keys, links := o.APIKeys, o.Links
	if keys == nil {
		keys, _ = o.Users.(keystore.APIKeys)
	}
	if links == nil {
		links, _ = o.Users.(keystore.OAuthLinks)
	}
	return keys, links
}
