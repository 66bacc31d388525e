package serve

import (
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui"
	"github.com/gatehouse/gatehouse/signing"
	"github.com/gatehouse/gatehouse/verifier"
)

// The mapping of the configuration onto the verifier's and the portal's
// options, one field per line. Options left out are listed, with the
// reason, in options_test.go.

func verifierOptions(cfg *config.Config, c *app.Core, w wired) verifier.Options {
	return verifier.Options{
		Development:      !cfg.IsProduction(),
		PublicURL:        cfg.PublicURL,
		CookieName:       cfg.Cookie.Name,
		CookieDomain:     cfg.Cookie.Domain,
		TrustedProxies:   w.trusted,
		TrustedHops:      cfg.TrustedHops,
		DefaultPolicy:    cfg.DefaultPolicy,
		Rules:            cfg.Rules,
		Users:            c.Store,
		Sessions:         c.Store,
		APIKeys:          c.Store,
		Denylist:         w.deny,
		Nonces:           w.nonces,
		Passkeys:         c.Store,
		TokenHashKey:     cfg.Secrets.TokenHash,
		APIKeyHashKey:    cfg.Secrets.APIKeyHash,
		FingerprintKey:   c.FingerprintKey,
		JWT:              c.JWTVerify,
		APIKeyPrefix:     cfg.APIKeys.Prefix,
		ScopeSubsetCheck: cfg.APIKeys.ScopeSubsetCheck,
		SigningKeyring:   signingRing(cfg, c),
		ForwardsBody:     cfg.Verifier.ForwardsBody,
		SignedBodyMax:    int(cfg.APIKeys.Signing.BodyMaxBytes),
		MaxSkew:          cfg.APIKeys.Signing.MaxSkew,
		StoreTimeout:     cfg.Verifier.StoreTimeout,
		StepUpTTL:        cfg.TOTP.StepUpTTL,
		Headers:          headerNames(cfg.Verifier.Headers),
		JWKS:             w.jwks,
		ExternalIssuers:  w.external,
		Assertion:        w.assertion,
		Logger:           w.log.With().Str("component", "verifier").Logger(),
		Metrics:          w.metrics,

		TokenCacheTTL:     cfg.Verifier.TokenCache.TTL,
		TokenCacheEntries: cfg.Verifier.TokenCache.MaxEntries,
	}
}

func headerNames(h config.Headers) verifier.HeaderNames {
	return verifier.HeaderNames{
		User:          h.User,
		UserID:        h.UserID,
		Email:         h.Email,
		Name:          h.Name,
		Groups:        h.Groups,
		AuthMethod:    h.AuthMethod,
		APIKeyID:      h.APIKeyID,
		Scopes:        h.Scopes,
		ContentSHA256: h.ContentSHA256,
		Assertion:     h.Assertion,
		Issuer:        h.Issuer,
	}
}

func assertionOptions(cfg *config.Config, k signing.JWTKey) *verifier.AssertionOptions {
	return &verifier.AssertionOptions{
		Key:      k.Ed25519Private,
		KeyID:    k.KID,
		Audience: cfg.Verifier.Assertion.Audience,
		Lifetime: cfg.Verifier.Assertion.Lifetime,
	}
}

// signingRing is the keyring that opens API keys' signing secrets, or nil
// when signed requests are off (the verifier then refuses them).
func signingRing(cfg *config.Config, c *app.Core) *signing.Keyring {
	if !cfg.APIKeys.Enabled || !cfg.APIKeys.Signing.Enabled {
		return nil
	}
	return c.Keyrings[keystore.RingAPIKeySigning]
}

func portalOptions(cfg *config.Config, c *app.Core, w wired) loginui.Options {
	return loginui.Options{
		Users:             w.store,
		Sessions:          w.store,
		Denylist:          w.portalDeny,
		Markers:           w.shared,
		Counters:          w.shared,
		Secrets:           portalSecrets(cfg, c),
		AccessKeys:        accessKeysForPortal(c),
		AccessActiveKID:   c.JWTActiveKID,
		PublicURL:         cfg.PublicURL,
		CookieName:        cfg.Cookie.Name,
		CookieDomain:      cfg.Cookie.Domain,
		Development:       !cfg.IsProduction(),
		SessionLifetime:   cfg.Tokens.Session.Lifetime,
		AccessLifetime:    cfg.Tokens.Access.Lifetime,
		RefreshLifetime:   cfg.Tokens.Refresh.Lifetime,
		Hasher:            c.Hasher,
		PasswordMinLen:    cfg.Passwords.MinLength,
		PasswordMaxLen:    cfg.Passwords.MaxLength,
		RateLimits:        rateLimits(cfg.RateLimits),
		Mailer:            mailer(cfg, w.log),
		Logger:            w.log.With().Str("component", "portal").Logger(),
		SetupToken:        w.setupToken,
		SetupTokenExpires: w.setupExpires,
		TrustedProxies:    w.trusted,
		TrustedHops:       cfg.TrustedHops,
		TOTP:              totpOptions(cfg, c),
		Passkey:           passkeyOptions(cfg),
		Passkeys:          w.store,
		APIKeys:           w.store,
		APIKeyConfig:      apiKeyOptions(cfg, c),
		OAuth:             oauthOptions(cfg, c),
		Links:             w.store,
		Accounts:          w.accounts,
		OnRateLimited:     w.metrics.RateLimitHit,
	}
}

func portalSecrets(cfg *config.Config, c *app.Core) loginui.Secrets {
	return loginui.Secrets{
		TokenHash:          cfg.Secrets.TokenHash,
		CSRF:               cfg.Secrets.CSRF,
		VerifyToken:        cfg.Secrets.VerifyToken,
		ResetToken:         cfg.Secrets.ResetToken,
		AccessToken:        cfg.Secrets.AccessToken,
		Fingerprint:        c.FingerprintKey,
		Telemetry:          cfg.Secrets.Telemetry,
		TOTPPending:        cfg.Secrets.TOTPPending,
		RecoveryCodeLookup: cfg.Secrets.RecoveryCodeLookup,
	}
}

func totpOptions(cfg *config.Config, c *app.Core) loginui.TOTPOptions {
	return loginui.TOTPOptions{
		Enabled:   cfg.TOTP.Enabled,
		Algorithm: cfg.TOTP.Algorithm,
		Issuer:    cfg.TOTP.Issuer,
		StepUpTTL: cfg.TOTP.StepUpTTL,
		Keyring:   c.Keyrings[keystore.RingTOTPSecrets],
	}
}

// passkeyOptions: an RP ID the config cannot use (an IP address) leaves
// passkeys out.
func passkeyOptions(cfg *config.Config) loginui.PasskeyOptions {
	o := loginui.PasskeyOptions{Enabled: cfg.WebAuthnUsable(), RPName: cfg.WebAuthn.RPName,
		Origins: cfg.WebAuthnOrigins(), Lifetime: cfg.WebAuthn.CeremonyTimeout}
	if o.Enabled || !cfg.WebAuthn.Enabled {
		o.RPID = cfg.WebAuthnRPID()
	}
	return o
}

func apiKeyOptions(cfg *config.Config, c *app.Core) loginui.APIKeyOptions {
	return loginui.APIKeyOptions{
		Enabled:          cfg.APIKeys.Enabled,
		Prefix:           cfg.APIKeys.Prefix,
		Env:              cfg.APIKeys.Env,
		AllowedScopes:    cfg.APIKeys.AllowedScopes,
		MaxPerUser:       cfg.APIKeys.MaxPerUser,
		DefaultLifetime:  cfg.APIKeys.DefaultLifetime,
		ScopeSubsetCheck: cfg.APIKeys.ScopeSubsetCheck,
		Hasher:           c.APIHasher,
		SigningEnabled:   cfg.APIKeys.Signing.Enabled,
		SigningKeyring:   c.Keyrings[keystore.RingAPIKeySigning],
	}
}

func oauthOptions(cfg *config.Config, c *app.Core) loginui.OAuthOptions {
	return loginui.OAuthOptions{
		Enabled:          cfg.OAuth.Enabled,
		RedirectBase:     cfg.OAuthRedirectBase(),
		FlowCookieSecret: cfg.Secrets.OAuthFlowCookie,
		TokensKeyring:    c.Keyrings[keystore.RingOAuthTokens],
		Providers:        oauthProviders(cfg.OAuth.Providers),
	}
}

// oauthProviders maps the configured providers onto the portal's.
func oauthProviders(ps []config.OAuthProvider) []loginui.OAuthProvider {
	out := make([]loginui.OAuthProvider, 0, len(ps))
	for _, p := range ps {
		out = append(out, loginui.OAuthProvider{
			Name:               p.Name,
			Kind:               p.Kind,
			DisplayName:        p.DisplayName,
			Issuer:             p.Issuer,
			ClientID:           p.ClientID,
			ClientSecret:       p.ClientSecret,
			Scopes:             p.Scopes,
			TrustEmailVerified: p.TrustProviderEmailVerified,
			AssociateByEmail:   p.AssociateByEmail,
			StoreTokens:        p.StoreTokens,
		})
	}
	return out
}

// accessKeysForPortal hands asymmetric keys to the portal, which signs
// with the one c.JWTActiveKID names; HS256 uses the access_token secret
// there directly.
func accessKeysForPortal(c *app.Core) []signing.JWTKey {
	if len(c.JWTKeys) == 1 && c.JWTKeys[0].Alg == "HS256" {
		return nil
	}
	return c.JWTKeys
}

func rateLimits(in config.RateLimits) map[string]loginui.RateLimit {
	limits := map[string]loginui.RateLimit{}
	for slot, rl := range in {
		limits[slot] = loginui.RateLimit{
			Max:    rl.Max,
			Window: rl.Window,
		}
	}
	return limits
}

// mailer builds the portal's email hook from email.*; nil selects the
// development logger.
func mailer(cfg *config.Config, log zerolog.Logger) loginui.Mailer {
	e := cfg.Email
	switch e.EffectiveHook(cfg.IsProduction()) {
	case config.EmailHookWebhook:
		return &loginui.WebhookMailer{
			URL:    e.Webhook.URL,
			Secret: e.Webhook.Secret.Secret,
			Client: &http.Client{Timeout: 10 * time.Second},
		}
	case config.EmailHookSMTP:
		return &loginui.SMTPMailer{
			Addr:     e.SMTP.Addr,
			Username: e.SMTP.Username,
			Password: e.SMTP.Password.Secret,
			From:     e.SMTP.From,
		}
	case config.EmailHookNone:
		return loginui.DiscardMailer{Log: log.With().Str("component", "portal").Logger()}
	}
	return nil
}
