package apikeys

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/internal/errcode"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
	"github.com/gatehouse/gatehouse/signing"
)

// The shared operations behind the JSON routes (api.go) and the pages
// (pages.go).

// SlotCreate is the rate-limit slot of key creation.
const SlotCreate = "api_key_create"

const (
	defaultAPIKeyPrefix   = "ak"
	defaultAPIKeyEnv      = "prod"
	defaultAPIKeyMax      = 20
	defaultAPIKeyLifetime = 365 * 24 * time.Hour
	// maxAPIKeyLifetime bounds a requested expires_in.
	maxAPIKeyLifetime = 3650 * 24 * time.Hour
	minAPIKeyLifetime = time.Minute
)

// Options configure self-service and admin API-key management. Disabled:
// the API-key routes answer 404 and /account shows no API-key section.
type Options struct {
	Enabled bool
	Prefix  string // raw key prefix; default "ak" (must match the verifier)
	Env     string // raw key env label; default "prod"
	// AllowedScopes are the scopes a key may carry (api_keys.allowed_scopes).
	AllowedScopes   []string
	MaxPerUser      int           // live (unrevoked) keys per user; default 20
	DefaultLifetime time.Duration // default 365 days
	// ScopeSubsetCheck: a key may only carry scopes named like roles its
	// owner holds (superusers: any allowed scope).
	ScopeSubsetCheck bool
	// Hasher digests key secrets (secret api_key_hash). Required when Enabled.
	Hasher *signing.APIKeyHasher
	// SigningEnabled with SigningKeyring (keyring api_key_signing) allows
	// signing_required keys, whose secret is also kept sealed.
	SigningEnabled bool
	SigningKeyring *signing.Keyring
}

// ErrConfig: the options cannot work.
var ErrConfig = errors.New("loginui: API keys need a store, a hasher, valid prefix, env and scope names, and a keyring when signing is enabled")

// Feature is API-key management: the /api/api-keys and
// /api/users/{id}/api-keys routes, /account/api-keys and the /account
// section. Build it with New.
type Feature struct {
	o     Options // after defaults
	store keystore.APIKeys
	// ring seals signing secrets; swapped by ReloadSigningKeyring.
	ring atomic.Pointer[signing.Keyring]
	h    feature.Host

	tmplOnce              sync.Once
	listTmpl, createdTmpl *template.Template
	tmplErr               error
}

var (
	_ feature.Feature = (*Feature)(nil)
	_ feature.Section = (*Feature)(nil)
)

// New validates and fills o. A disabled feature still registers its
// routes, which answer as if they did not exist.
func New(o Options, store keystore.APIKeys) (*Feature, error) {
	if !o.Enabled {
		return &Feature{o: Options{Prefix: defaultAPIKeyPrefix}}, nil
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
	if store == nil || o.Hasher == nil || (o.SigningEnabled && o.SigningKeyring == nil) {
		return nil, ErrConfig
	}
	// The labels are checked exactly as keys will be minted.
	if err := accounts.CheckKeyLabels(o.Prefix, o.Env); err != nil {
		return nil, ErrConfig
	}
	scopes := make([]string, 0, len(o.AllowedScopes))
	for _, s := range o.AllowedScopes {
		if !keystore.ValidRoleName(s) {
			return nil, ErrConfig
		}
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	slices.Sort(scopes)
	o.AllowedScopes = scopes
	f := &Feature{o: o, store: store}
	if o.SigningKeyring != nil {
		f.ring.Store(o.SigningKeyring)
	}
	return f, nil
}

// Enabled reports whether keys are managed here.
func (f *Feature) Enabled() bool { return f.o.Enabled }

// Prefix is the raw key prefix ("ak" when disabled): a bearer token
// starting with it and "_" is an API key.
func (f *Feature) Prefix() string { return f.o.Prefix }

// Account is what the account service needs to mint keys the way this
// feature was configured: the policy, the hasher and the signing keyring.
func (f *Feature) Account() (accounts.KeyPolicy, *signing.APIKeyHasher, *signing.Keyring) {
	o := f.o
	return accounts.KeyPolicy{Prefix: o.Prefix, Env: o.Env, AllowedScopes: o.AllowedScopes,
		ScopeSubsetCheck: o.ScopeSubsetCheck, MaxPerUser: o.MaxPerUser, DefaultLifetime: o.DefaultLifetime,
		MinLifetime: minAPIKeyLifetime, MaxLifetime: maxAPIKeyLifetime, SigningEnabled: o.SigningEnabled}, o.Hasher, f.ring.Load()
}

// ReloadSigningKeyring swaps the keyring that seals the signing secrets
// of new signing_required keys. Refused for a nil keyring or when signing
// keys were not enabled at start. The caller also hands k to the account
// service.
func (f *Feature) ReloadSigningKeyring(k *signing.Keyring) error {
	if k == nil {
		return errors.New("loginui: nil API-key signing keyring")
	}
	if !f.o.Enabled || f.ring.Load() == nil {
		return errors.New("loginui: signing keys were not enabled at start; restart to enable them")
	}
	f.ring.Store(k)
	return nil
}

// signingAllowed reports whether signing_required keys can be made.
func (f *Feature) signingAllowed() bool {
	return f.o.SigningEnabled && f.ring.Load() != nil
}

// Register implements feature.Feature.
func (f *Feature) Register(rt feature.Router, h feature.Host) {
	f.h = h
	rt.JSON("POST /api/api-keys", f.apiKeyCreate)
	rt.JSON("GET /api/api-keys", f.apiKeyList)
	rt.JSON("GET /api/api-keys/{key_id}", f.apiKeyGet)
	rt.JSON("PATCH /api/api-keys/{key_id}", f.apiKeyPatch)
	rt.JSON("DELETE /api/api-keys/{key_id}", f.apiKeyDelete)
	rt.JSON("POST /api/users/{id}/api-keys", f.apiAdminKeyCreate)
	rt.JSON("GET /api/users/{id}/api-keys", f.apiAdminKeyList)
	rt.JSON("DELETE /api/users/{id}/api-keys/{key_id}", f.apiAdminKeyDelete)
	rt.Page("GET /account/api-keys", f.pageAPIKeys)
	rt.Page("POST /account/api-keys", f.pageAPIKeyCreate)
	rt.Page("POST /account/api-keys/revoke", f.pageAPIKeyRevoke)
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

func (f *Feature) viewAPIKey(k *keystore.APIKey) apiKeyView {
	sc := slices.Clone(k.Scopes)
	if sc == nil {
		sc = []string{}
	}
	state := "active"
	now := f.h.Now()
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
	opKeyNotFound   = web.New(http.StatusNotFound, errcode.AuthorizationDenied, "no such API key")
	opKeyLimit      = web.New(http.StatusConflict, errcode.APIKeyLimitReached, "the account already has the maximum number of active API keys; revoke one first")
	opKeyScopeBad   = web.New(http.StatusBadRequest, errcode.APIKeyScopeDenied, "a requested scope is not one of the allowed scopes")
	opKeyScopeRole  = web.New(http.StatusForbidden, errcode.APIKeyScopeDenied, "a requested scope is not one the key's owner holds as a role")
	opKeyName       = web.New(http.StatusUnprocessableEntity, errcode.RequestBodyInvalid, "the name must be 1 to 100 printable characters")
	opKeyExpiry     = web.New(http.StatusUnprocessableEntity, errcode.RequestBodyInvalid, "expires_in must be a duration such as \"720h\" or \"90d\", or a number of seconds, between one minute and ten years")
	opKeyNoSigning  = web.New(http.StatusUnprocessableEntity, errcode.RequestBodyInvalid, "keys for signed requests are not enabled on this server")
	opKeyRevoked    = web.New(http.StatusConflict, errcode.APIKeyRevoked, "the key is revoked and cannot be changed")
	opKeyNeedPwSess = web.New(http.StatusForbidden, errcode.AuthorizationDenied, "API keys are managed from a browser session opened with a password")
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
func parseKeyLifetime(raw json.RawMessage) (time.Duration, error) {
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
// address is verified (Host.RevokeUnverifiedCredentials).
func (f *Feature) createAPIKey(r *http.Request, by, owner *keystore.User, req keyCreate) (*keystore.APIKey, string, error) {
	if e := f.h.Rate(r, SlotCreate, []string{"user", by.ID}); e != nil {
		return nil, "", e
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	raw, key, err := f.h.Accounts().MintAPIKey(ctx, owner, accounts.KeyRequest{Name: req.Name, Scopes: req.Scopes,
		Lifetime: req.Lifetime, SigningRequired: req.SigningRequired}, by.ID == owner.ID)
	if err != nil {
		return nil, "", keyErr(err)
	}
	f.auditKey("api_key_created", owner.ID, key.KeyID, by.ID)
	return key, raw, nil
}

// keyErr maps an accounts error of key creation and change to the answer.
func keyErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, accounts.ErrEmailUnverified):
		return web.EmailUnverified
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
		return web.New(http.StatusNotFound, errcode.UserNotFound, "no such user")
	case errors.Is(err, accounts.ErrKeyNotFound):
		return opKeyNotFound
	case errors.Is(err, accounts.ErrKeyRevoked):
		return opKeyRevoked
	}
	return web.Unavailable
}

var (
	refuse  = feature.Refuse
	refused = feature.Refused
)

func constEq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func redirect(w http.ResponseWriter, r *http.Request, to string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// auditKey logs an API-key event with ids only.
func (f *Feature) auditKey(event, userID, keyID, byUserID string) {
	ev := f.h.Log().Info().Str("audit", event).Str("user_id", userID).Str("key_id", keyID)
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
func (f *Feature) ownedAPIKey(r *http.Request, ownerID, keyID string) (*keystore.APIKey, error) {
	if !validKeyID(keyID) {
		return nil, opKeyNotFound
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	k, err := f.store.GetAPIKey(ctx, keyID)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, opKeyNotFound
	}
	if err != nil {
		return nil, web.Unavailable
	}
	if !constEq(k.UserID, ownerID) {
		return nil, opKeyNotFound
	}
	return k, nil
}

// listAPIKeys returns ownerID's keys, newest first.
func (f *Feature) listAPIKeys(r *http.Request, ownerID string) ([]apiKeyView, error) {
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	ks, err := f.store.ListUserAPIKeys(ctx, ownerID)
	if err != nil {
		return nil, web.Unavailable
	}
	out := make([]apiKeyView, 0, len(ks))
	for i := len(ks) - 1; i >= 0; i-- {
		out = append(out, f.viewAPIKey(ks[i]))
	}
	return out, nil
}

// keyPatch is a validated PATCH.
type keyPatch struct {
	Name   *string
	Scopes *[]string
}

// updateAPIKey renames or re-scopes a live key of owner.
func (f *Feature) updateAPIKey(r *http.Request, by, owner *keystore.User, keyID string, req keyPatch) (*keystore.APIKey, error) {
	k, e := f.ownedAPIKey(r, owner.ID, keyID)
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
		if scopes, err = f.h.Accounts().CheckScopes(owner, *req.Scopes); err != nil {
			return nil, keyErr(err)
		}
	}
	// Only the named fields are set, on the key as stored: a revocation or
	// deletion since the read above wins (a deleted key is not recreated).
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	nk, err := f.store.UpdateAPIKey(ctx, k.KeyID, func(x *keystore.APIKey) error {
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
		return nil, web.Unavailable
	}
	f.auditKey("api_key_updated", owner.ID, nk.KeyID, by.ID)
	return nk, nil
}

// revokeAPIKey soft-revokes a key of ownerID; revoking a revoked key is a
// success that changes nothing.
func (f *Feature) revokeAPIKey(r *http.Request, by *keystore.User, ownerID, keyID string) error {
	k, e := f.ownedAPIKey(r, ownerID, keyID)
	if e != nil {
		return e
	}
	if !k.RevokedAt.IsZero() {
		return nil
	}
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	if err := f.h.Accounts().RevokeAPIKey(ctx, k.KeyID); err != nil {
		return keyErr(err)
	}
	f.auditKey("api_key_revoked", ownerID, k.KeyID, by.ID)
	return nil
}
