package loginui

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

// API-key management (SPEC §5.4): the shared operations behind the JSON
// routes (apikeys_api.go) and the /account section (apikeys_pages.go).

const (
	defaultAPIKeyPrefix   = "ak"
	defaultAPIKeyEnv      = "prod"
	defaultAPIKeyMax      = 20
	defaultAPIKeyLifetime = 365 * 24 * time.Hour
	// maxAPIKeyLifetime bounds a requested expires_in.
	maxAPIKeyLifetime = 3650 * 24 * time.Hour
	minAPIKeyLifetime = time.Minute
)

// apiKeyState is the portal's API-key configuration after defaults.
type apiKeyState struct {
	APIKeyOptions
	store keystore.APIKeys
	// ring seals signing secrets; swapped by ReloadAPIKeySigningKeyring.
	ring atomic.Pointer[signing.Keyring]
}

// ReloadAPIKeySigningKeyring swaps the keyring that seals the signing
// secrets of new signing_required keys (after `gatehouse keys rotate` and
// SIGHUP), so they are written under the new active key. Refused for a nil
// keyring or when signing keys were not enabled at start.
func (p *Portal) ReloadAPIKeySigningKeyring(k *signing.Keyring) error {
	if k == nil {
		return errors.New("loginui: nil API-key signing keyring")
	}
	if p.keys == nil || p.keys.ring.Load() == nil {
		return errors.New("loginui: signing keys were not enabled at start; restart to enable them")
	}
	p.keys.ring.Store(k)
	p.accounts.SetSigningKeyring(k)
	return nil
}

// initAPIKeys validates and fills the API-key options; disabled leaves
// p.keys nil.
func (p *Portal) initAPIKeys() error {
	o := p.o.APIKeyConfig
	if !o.Enabled {
		return nil
	}
	if o.Prefix == "" {
		o.Prefix = defaultAPIKeyPrefix
	}
	if o.Env == "" {
		o.Env = defaultAPIKeyEnv
	}
	if o.MaxPerUser <= 0 {
		o.MaxPerUser = defaultAPIKeyMax
	}
	if o.DefaultLifetime <= 0 {
		o.DefaultLifetime = defaultAPIKeyLifetime
	}
	if p.o.APIKeys == nil || o.Hasher == nil || (o.SigningEnabled && o.SigningKeyring == nil) {
		return ErrAPIKeyConfig
	}
	// The labels are checked exactly as keys will be minted.
	if err := accounts.CheckKeyLabels(o.Prefix, o.Env); err != nil {
		return ErrAPIKeyConfig
	}
	scopes := make([]string, 0, len(o.AllowedScopes))
	for _, s := range o.AllowedScopes {
		if !keystore.ValidRoleName(s) {
			return ErrAPIKeyConfig
		}
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	slices.Sort(scopes)
	o.AllowedScopes = scopes
	p.keys = &apiKeyState{APIKeyOptions: o, store: p.o.APIKeys}
	if o.SigningKeyring != nil {
		p.keys.ring.Store(o.SigningKeyring)
	}
	p.o.AccountSections = append(slices.Clip(p.o.AccountSections), AccountSection{Title: "API keys", Render: p.renderAPIKeySection})
	return nil
}

// signingAllowed reports whether signing_required keys can be made.
func (k *apiKeyState) signingAllowed() bool {
	return k.SigningEnabled && k.ring.Load() != nil
}

// apiKeyView is a key as the API and pages show it: never the secret, its
// digest or its sealed copy.
type apiKeyView struct {
	KeyID           string    `json:"key_id"`
	UserID          string    `json:"user_id"`
	Name            string    `json:"name"`
	Scopes          []string  `json:"scopes"`
	SigningRequired bool      `json:"signing_required"`
	State           string    `json:"state"` // active | revoked | expired
	CreatedAt       time.Time `json:"created_at"`
	ExpiresAt       time.Time `json:"expires_at,omitzero"`
	LastUsedAt      time.Time `json:"last_used_at,omitzero"`
	RevokedAt       time.Time `json:"revoked_at,omitzero"`
}

func (p *Portal) viewAPIKey(k *keystore.APIKey) apiKeyView {
	sc := slices.Clone(k.Scopes)
	if sc == nil {
		sc = []string{}
	}
	state := "active"
	now := p.o.Now()
	switch {
	case !k.RevokedAt.IsZero():
		state = "revoked"
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		state = "expired"
	}
	return apiKeyView{KeyID: k.KeyID, UserID: k.UserID, Name: k.Name, Scopes: sc, SigningRequired: k.SigningRequired,
		State: state, CreatedAt: k.CreatedAt.UTC(), ExpiresAt: k.ExpiresAt.UTC(), LastUsedAt: k.LastUsedAt.UTC(), RevokedAt: k.RevokedAt.UTC()}
}

// Fixed failures of the API-key operations.
var (
	opKeyNotFound   = newOpErr(http.StatusNotFound, CodeAuthorizationDenied, "no such API key")
	opKeyLimit      = newOpErr(http.StatusConflict, CodeAPIKeyLimitReached, "the account already has the maximum number of active API keys; revoke one first")
	opKeyScopeBad   = newOpErr(http.StatusBadRequest, CodeAPIKeyScopeDenied, "a requested scope is not one of the allowed scopes")
	opKeyScopeRole  = newOpErr(http.StatusForbidden, CodeAPIKeyScopeDenied, "a requested scope is not one the key's owner holds as a role")
	opKeyName       = newOpErr(http.StatusUnprocessableEntity, CodeRequestBodyInvalid, "the name must be 1 to 100 printable characters")
	opKeyExpiry     = newOpErr(http.StatusUnprocessableEntity, CodeRequestBodyInvalid, "expires_in must be a duration such as \"720h\" or \"90d\", or a number of seconds, between one minute and ten years")
	opKeyNoSigning  = newOpErr(http.StatusUnprocessableEntity, CodeRequestBodyInvalid, "keys for signed requests are not enabled on this server")
	opKeyRevoked    = newOpErr(http.StatusConflict, CodeAPIKeyRevoked, "the key is revoked and cannot be changed")
	opKeyNeedPwSess = newOpErr(http.StatusForbidden, CodeAuthorizationDenied, "API keys are managed from a browser session opened with a password")
)

// keyCreate is a validated create request.
type keyCreate struct {
	Name            string
	Scopes          []string
	Lifetime        time.Duration // 0: the default
	SigningRequired bool
}

// parseKeyLifetime reads expires_in: absent or null (the default), a JSON
// number of whole seconds, or a string accepted by time.ParseDuration or
// "<n>d" for days.
func parseKeyLifetime(raw json.RawMessage) (time.Duration, *opErr) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var d time.Duration
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, opKeyExpiry
		}
		var ok bool
		if d, ok = parseDurationText(s); !ok {
			return 0, opKeyExpiry
		}
	} else {
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || n <= 0 || n > int64(maxAPIKeyLifetime/time.Second) {
			return 0, opKeyExpiry
		}
		d = time.Duration(n) * time.Second
	}
	if d < minAPIKeyLifetime || d > maxAPIKeyLifetime {
		return 0, opKeyExpiry
	}
	return d, nil
}

// parseDurationText accepts Go durations and whole days ("90d").
func parseDurationText(s string) (time.Duration, bool) {
	if len(s) == 0 || len(s) > 32 {
		return 0, false
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > int(maxAPIKeyLifetime/(24*time.Hour)) || strings.HasPrefix(days, "+") {
			return 0, false
		}
		return time.Duration(n) * 24 * time.Hour, true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}

// createAPIKey makes a key for owner and returns it with the raw key,
// which is never stored or logged. by is the acting user. Owners whose
// email address is not verified cannot make keys for themselves; an admin
// (by another user) may make one for them, and it is revoked when the
// address is verified (revokeUnverifiedCredentials).
func (p *Portal) createAPIKey(r *http.Request, by, owner *keystore.User, req keyCreate) (*keystore.APIKey, string, *opErr) {
	if e := p.rate(r, SlotAPIKeyCreate, []string{"user", by.ID}); e != nil {
		return nil, "", e
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	raw, key, err := p.accounts.MintAPIKey(ctx, owner, accounts.KeyRequest{Name: req.Name, Scopes: req.Scopes,
		Lifetime: req.Lifetime, SigningRequired: req.SigningRequired}, by.ID == owner.ID)
	if err != nil {
		return nil, "", keyErr(err)
	}
	p.auditKey("api_key_created", owner.ID, key.KeyID, by.ID)
	return key, raw, nil
}

// auditKey logs an API-key event with ids only.
func (p *Portal) auditKey(event, userID, keyID, byUserID string) {
	ev := p.log.Info().Str("audit", event).Str("user_id", userID).Str("key_id", keyID)
	if byUserID != "" && byUserID != userID {
		ev = ev.Str("by_user_id", byUserID)
	}
	ev.Msg("audit")
}

// validKeyID reports whether s has the shape of a key id, so malformed
// path values never reach the store.
func validKeyID(s string) bool {
	if len(s) != signing.APIKeyIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ownedAPIKey loads keyID when it belongs to ownerID; an unknown id and
// another user's key give the same 404.
func (p *Portal) ownedAPIKey(r *http.Request, ownerID, keyID string) (*keystore.APIKey, *opErr) {
	if !validKeyID(keyID) {
		return nil, opKeyNotFound
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	k, err := p.keys.store.GetAPIKey(ctx, keyID)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, opKeyNotFound
	}
	if err != nil {
		return nil, opStore
	}
	if !constEq(k.UserID, ownerID) {
		return nil, opKeyNotFound
	}
	return k, nil
}

// listAPIKeys returns ownerID's keys, newest first.
func (p *Portal) listAPIKeys(r *http.Request, ownerID string) ([]apiKeyView, *opErr) {
	ctx, cancel := storeCtx(r)
	defer cancel()
	ks, err := p.keys.store.ListUserAPIKeys(ctx, ownerID)
	if err != nil {
		return nil, opStore
	}
	out := make([]apiKeyView, 0, len(ks))
	for i := len(ks) - 1; i >= 0; i-- {
		out = append(out, p.viewAPIKey(ks[i]))
	}
	return out, nil
}

// keyPatch is a validated PATCH.
type keyPatch struct {
	Name   *string
	Scopes *[]string
}

// updateAPIKey renames or re-scopes a live key of owner.
func (p *Portal) updateAPIKey(r *http.Request, by, owner *keystore.User, keyID string, req keyPatch) (*keystore.APIKey, *opErr) {
	k, e := p.ownedAPIKey(r, owner.ID, keyID)
	if e != nil {
		return nil, e
	}
	if !k.RevokedAt.IsZero() {
		return nil, opKeyRevoked
	}
	var name string
	var scopes []string
	if req.Name != nil {
		var err error
		if name, err = accounts.CheckKeyName(*req.Name); err != nil {
			return nil, keyErr(err)
		}
	}
	if req.Scopes != nil {
		var err error
		if scopes, err = p.accounts.CheckScopes(owner, *req.Scopes); err != nil {
			return nil, keyErr(err)
		}
	}
	// Only the named fields are set, on the key as stored: a revocation or
	// deletion since the read above wins (a deleted key is not recreated).
	ctx, cancel := storeCtx(r)
	defer cancel()
	nk, err := p.keys.store.UpdateAPIKey(ctx, k.KeyID, func(x *keystore.APIKey) error {
		if !x.RevokedAt.IsZero() {
			return refuse(opKeyRevoked)
		}
		if req.Name != nil {
			x.Name = name
		}
		if req.Scopes != nil {
			x.Scopes = append([]string(nil), scopes...)
		}
		return nil
	})
	if e, ok := refused(err); ok {
		return nil, e
	}
	switch {
	case errors.Is(err, keystore.ErrNotFound):
		return nil, opKeyNotFound
	case err != nil:
		return nil, opStore
	}
	p.auditKey("api_key_updated", owner.ID, nk.KeyID, by.ID)
	return nk, nil
}

// revokeAPIKey soft-revokes a key of ownerID; revoking a revoked key is a
// success that changes nothing.
func (p *Portal) revokeAPIKey(r *http.Request, by *keystore.User, ownerID, keyID string) *opErr {
	k, e := p.ownedAPIKey(r, ownerID, keyID)
	if e != nil {
		return e
	}
	if !k.RevokedAt.IsZero() {
		return nil
	}
	ctx, cancel := storeCtx(r)
	defer cancel()
	if err := p.accounts.RevokeAPIKey(ctx, k.KeyID); err != nil {
		return keyErr(err)
	}
	p.auditKey("api_key_revoked", ownerID, k.KeyID, by.ID)
	return nil
}

// presentsAPIKey reports whether the request carries an API-key credential
// (bearer key of our prefix, X-API-Key, or a signed request). Such callers
// may never manage keys or reach password-session routes, whatever else the
// request carries.
func (p *Portal) presentsAPIKey(r *http.Request) bool {
	if len(r.Header.Values("X-API-Key")) > 0 {
		return true
	}
	for _, v := range r.Header.Values("Authorization") {
		v = strings.TrimSpace(v)
		if len(v) >= len("LSA1-HMAC-SHA256") && strings.EqualFold(v[:len("LSA1-HMAC-SHA256")], "LSA1-HMAC-SHA256") {
			return true
		}
		if tok, ok := strings.CutPrefix(v, "Bearer "); ok {
			prefix := defaultAPIKeyPrefix
			if p.keys != nil {
				prefix = p.keys.Prefix
			}
			if strings.HasPrefix(strings.TrimSpace(tok), prefix+"_") {
				return true
			}
		}
	}
	return false
}
