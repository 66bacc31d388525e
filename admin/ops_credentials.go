package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

// APIKeyCreateRequest is `gatehouse apikey create`.
type APIKeyCreateRequest struct {
	Email           string        `json:"email"`
	Name            string        `json:"name"`
	Scopes          []string      `json:"scopes"`
	Expires         time.Duration `json:"expires"` // 0: the configured default
	SigningRequired bool          `json:"signing_required"`
}

// APIKeyView describes a key without its secret.
type APIKeyView struct {
	KeyID           string    `json:"key_id"`
	UserID          string    `json:"user_id"`
	Name            string    `json:"name"`
	Scopes          []string  `json:"scopes"`
	SigningRequired bool      `json:"signing_required"`
	CreatedAt       time.Time `json:"created_at"`
	ExpiresAt       time.Time `json:"expires_at,omitzero"`
	RevokedAt       time.Time `json:"revoked_at,omitzero"`
	LastUsedAt      time.Time `json:"last_used_at,omitzero"`
}

// APIKeyCreated carries the raw key, shown once.
type APIKeyCreated struct {
	Key APIKeyView `json:"key"`
	Raw string     `json:"raw"`
}

func viewKey(k *keystore.APIKey) APIKeyView {
	sc := k.Scopes
	if sc == nil {
		sc = []string{}
	}
	return APIKeyView{KeyID: k.KeyID, UserID: k.UserID, Name: k.Name, Scopes: sc, SigningRequired: k.SigningRequired,
		CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt, LastUsedAt: k.LastUsedAt}
}

// APIKeyCreate makes a key for a user and returns the raw key once. The
// minting policy is the accounts service's, the portal's too.
func (o *Ops) APIKeyCreate(ctx context.Context, r APIKeyCreateRequest) (APIKeyCreated, error) {
	if _, err := accounts.CheckKeyName(r.Name); err != nil {
		return APIKeyCreated{}, o.keyErr(err)
	}
	scopes, err := ParseRoles(strings.Join(r.Scopes, ","))
	if err != nil {
		return APIKeyCreated{}, opErr("API_KEY_SCOPE_DENIED", "invalid scope name")
	}
	if r.Expires < 0 {
		return APIKeyCreated{}, opErr("INVALID_EXPIRY", "--expires must be positive")
	}
	u, err := o.userByEmail(ctx, r.Email)
	if err != nil {
		return APIKeyCreated{}, err
	}
	raw, k, err := o.accounts().MintAPIKey(ctx, u, accounts.KeyRequest{Name: r.Name, Scopes: scopes,
		Lifetime: r.Expires, SigningRequired: r.SigningRequired}, false)
	if err != nil {
		return APIKeyCreated{}, o.keyErr(err)
	}
	o.audit("api_key_created", u.ID, k.KeyID)
	return APIKeyCreated{Key: viewKey(k), Raw: raw}, nil
}

// keyErr maps an accounts error of key creation to the command's message;
// anything else (store) passes through.
func (o *Ops) keyErr(err error) error {
	max := o.accounts().KeyPolicy().MaxPerUser
	var se *accounts.ScopeError
	switch {
	case errors.Is(err, accounts.ErrInvalidKeyName):
		return opErr("INVALID_NAME", "--name is required (at most %d characters)", accounts.MaxKeyNameLen)
	case errors.As(err, &se) && errors.Is(err, accounts.ErrScopeNotHeld):
		return opErr("API_KEY_SCOPE_DENIED", "scope %q is not one of the user's roles (api_keys.scope_subset_check)", se.Scope)
	case errors.As(err, &se):
		return opErr("API_KEY_SCOPE_DENIED", "scope %q is not in api_keys.allowed_scopes", se.Scope)
	case errors.Is(err, accounts.ErrScopeDenied):
		return opErr("API_KEY_SCOPE_DENIED", "at most %d scopes", keystore.MaxRoles)
	case errors.Is(err, accounts.ErrInvalidLifetime):
		return opErr("INVALID_EXPIRY", "--expires must be between %s and %s", accounts.DefaultMinKeyLifetime, accounts.DefaultMaxKeyLifetime)
	case errors.Is(err, accounts.ErrKeyLimit):
		return opErr("API_KEY_LIMIT_REACHED", "the user already has %d active keys", max)
	case errors.Is(err, accounts.ErrSigningDisabled):
		return opErr("CONFIGURATION_INVALID", "signed requests are off (api_keys.signing.enabled: false)")
	case errors.Is(err, accounts.ErrNoSigningKeyring):
		return opErr("CONFIGURATION_INVALID", "signing-required keys need the api_key_signing keyring")
	case errors.Is(err, accounts.ErrKeysDisabled):
		return opErr("CONFIGURATION_INVALID", "API keys need the api_key_hash secret")
	case errors.Is(err, accounts.ErrUserNotFound):
		return opErr("USER_NOT_FOUND", "no user with that email")
	case errors.Is(err, accounts.ErrKeyNotFound):
		return opErr("API_KEY_INVALID", "no API key with that id")
	}
	return err
}

// APIKeyListRequest is `gatehouse apikey list`.
type APIKeyListRequest struct {
	Email string `json:"email"`
}

// APIKeyList lists a user's keys.
func (o *Ops) APIKeyList(ctx context.Context, r APIKeyListRequest) ([]APIKeyView, error) {
	u, err := o.userByEmail(ctx, r.Email)
	if err != nil {
		return nil, err
	}
	ks, err := o.Store.ListUserAPIKeys(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	out := make([]APIKeyView, 0, len(ks))
	for _, k := range ks {
		out = append(out, viewKey(k))
	}
	return out, nil
}

// APIKeyRevokeRequest is `gatehouse apikey revoke`.
type APIKeyRevokeRequest struct {
	KeyID string `json:"key_id"`
}

// APIKeyRevoke soft-revokes a key.
func (o *Ops) APIKeyRevoke(ctx context.Context, r APIKeyRevokeRequest) (APIKeyView, error) {
	k, err := o.Store.GetAPIKey(ctx, r.KeyID)
	if errors.Is(err, keystore.ErrNotFound) {
		return APIKeyView{}, opErr("API_KEY_INVALID", "no API key with that id")
	}
	if err != nil {
		return APIKeyView{}, err
	}
	if k.RevokedAt.IsZero() {
		if err := o.accounts().RevokeAPIKey(ctx, k.KeyID); err != nil {
			return APIKeyView{}, o.keyErr(err)
		}
		o.audit("api_key_revoked", k.UserID, k.KeyID)
		// Show the key as stored: a revocation that landed first keeps
		// its time.
		if k, err = o.Store.GetAPIKey(ctx, r.KeyID); err != nil {
			return APIKeyView{}, err
		}
	}
	return viewKey(k), nil
}

// TokenIssueRequest is `gatehouse token issue`.
type TokenIssueRequest struct {
	Email    string        `json:"email"`
	Lifetime time.Duration `json:"lifetime"`
}

// TokenIssued is an access JWT.
type TokenIssued struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// TokenIssue signs an access JWT for a user, bound to the user's current
// fingerprint.
func (o *Ops) TokenIssue(ctx context.Context, r TokenIssueRequest) (TokenIssued, error) {
	if o.Issuer == nil {
		return TokenIssued{}, opErr("CONFIGURATION_INVALID", "no access-token key is configured")
	}
	life := r.Lifetime
	if life == 0 {
		life = o.AccessLifetime
	}
	if life <= 0 || life > 30*24*time.Hour {
		return TokenIssued{}, opErr("INVALID_LIFETIME", "--lifetime must be between 1s and 720h")
	}
	u, err := o.userByEmail(ctx, r.Email)
	if err != nil {
		return TokenIssued{}, err
	}
	if !u.Active {
		return TokenIssued{}, opErr("LOGIN_ACCOUNT_UNAVAILABLE", "the user is disabled")
	}
	jti, err := signing.NewJTI()
	if err != nil {
		return TokenIssued{}, err
	}
	now := o.now()
	sfp := signing.SessionFingerprint(o.FingerprintKey, u.ID, keystore.FoldEmail(u.Email), u.PasswordHash)
	tok, err := o.Issuer.Issue(signing.IssueClaims{Subject: u.ID, JTI: jti, SFP: sfp, Lifetime: life}, now)
	if err != nil {
		return TokenIssued{}, fmt.Errorf("issue token: %w", err)
	}
	o.audit("token_issued", u.ID, "")
	return TokenIssued{Token: tok, ExpiresAt: now.Add(life)}, nil
}
