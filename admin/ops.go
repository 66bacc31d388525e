package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

// Ops runs administrative commands against a store. The same Ops serves
// the CLI when it opens the store file itself and the admin listener of a
// running server.
type Ops struct {
	Store          keystore.Store
	Hasher         *signing.Hasher
	MinPassword    int
	MaxPassword    int
	APIKeyHasher   *signing.APIKeyHasher
	APIKeyPrefix   string
	APIKeyEnv      string
	APIKeyMax      int           // per user; 0: unlimited
	APIKeyLifetime time.Duration // default expiry; 0: never
	AllowedScopes  []string
	// ScopeSubsetCheck: a key's scopes must be roles its owner holds.
	ScopeSubsetCheck bool
	SigningEnabled   bool                        // api_keys.signing.enabled: signing_required keys may be made
	Keyrings         map[string]*signing.Keyring // by keystore.Ring* name, at start; SetKeyrings swaps them
	Issuer           *signing.JWTIssuer
	AccessLifetime   time.Duration
	FingerprintKey   signing.Secret
	Backup           func(path string) error
	Now              func() time.Time
	// Accounts creates and changes accounts and keys. nil: built once
	// from the fields above on first use. A server shares its portal's.
	Accounts *accounts.Service
	svcOnce  sync.Once
	// Log receives audit events (user and key ids only, never emails or
	// secrets); the zero Logger discards them.
	Log zerolog.Logger

	// swapped holds the keyrings of the last SetKeyrings (a reload on the
	// signal goroutine while admin requests read them).
	swapped atomic.Pointer[map[string]*signing.Keyring]
}

// Error is an operation failure with a stable code the CLI prints.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Message }

func opErr(code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// audit records a security event done by an administrator command.
func (o *Ops) audit(event, userID, keyID string) {
	ev := o.Log.Info().Str("audit", event).Str("via", "admin_command")
	if userID != "" {
		ev = ev.Str("user_id", userID)
	}
	if keyID != "" {
		ev = ev.Str("key_id", keyID)
	}
	ev.Msg("audit")
}

// AccountService returns the account service, building it from the fields
// on first use when none was given; give the same one to the portal.
func (o *Ops) AccountService() *accounts.Service { return o.accounts() }

// accounts returns the account service, building it from the fields when
// none was given.
func (o *Ops) accounts() *accounts.Service {
	o.svcOnce.Do(func() {
		if o.Accounts != nil {
			return
		}
		o.Accounts = accounts.New(accounts.Config{Users: o.Store, APIKeys: o.Store, Links: o.Store, Hasher: o.Hasher,
			MinPassword: o.MinPassword, MaxPassword: o.MaxPassword, KeyHasher: o.APIKeyHasher,
			SigningKeyring: o.Keyrings[keystore.RingAPIKeySigning], Now: o.Now,
			Keys: accounts.KeyPolicy{Prefix: o.APIKeyPrefix, Env: o.APIKeyEnv, AllowedScopes: o.AllowedScopes,
				ScopeSubsetCheck: o.ScopeSubsetCheck, MaxPerUser: o.APIKeyMax, DefaultLifetime: o.APIKeyLifetime,
				SigningEnabled: o.SigningEnabled}})
	})
	return o.Accounts
}

func (o *Ops) now() time.Time {
	if o.Now != nil {
		return o.Now().UTC()
	}
	return time.Now().UTC()
}

// UserView is what listings show: never a hash or a secret.
type UserView struct {
	ID          string    `json:"id"`
	Email       string    `json:"email"`
	DisplayName string    `json:"display_name,omitempty"`
	Roles       []string  `json:"roles"`
	Superuser   bool      `json:"superuser"`
	Active      bool      `json:"active"`
	Verified    bool      `json:"verified"`
	TOTP        bool      `json:"totp"`
	CreatedAt   time.Time `json:"created_at"`
}

func viewUser(u *keystore.User) UserView {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return UserView{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName, Roles: roles,
		Superuser: u.Superuser, Active: u.Active, Verified: u.Verified, TOTP: u.TOTPEnabled, CreatedAt: u.CreatedAt}
}

// UserAddRequest is `gatehouse user add`.
type UserAddRequest struct {
	Email       string   `json:"email"`
	DisplayName string   `json:"display_name,omitempty"`
	Password    string   `json:"password"`
	Roles       []string `json:"roles"`
	Superuser   bool     `json:"superuser"`
	Verified    bool     `json:"verified"`
}

// ParseRoles splits "a,b" into a sorted, de-duplicated list and checks
// each name.
func ParseRoles(s string) ([]string, error) {
	out := []string{}
	for _, r := range strings.Split(s, ",") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		if !keystore.ValidRoleName(r) {
			return nil, opErr("INVALID_ROLE", "role %q: use letters, digits, '-', '_', '.' or ':' (at most %d)", r, keystore.MaxRoleNameLen)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if len(out) > keystore.MaxRoles {
		return nil, opErr("INVALID_ROLE", "at most %d roles", keystore.MaxRoles)
	}
	slices.Sort(out)
	return out, nil
}

func (o *Ops) checkPassword(pw string) error {
	if err := signing.CheckPasswordLength(pw, o.MinPassword, o.MaxPassword); err != nil {
		return opErr("INVALID_PASSWORD", "password: %v", err)
	}
	return nil
}

// UserAdd creates an account.
func (o *Ops) UserAdd(ctx context.Context, r UserAddRequest) (UserView, error) {
	if !accounts.ValidEmail(r.Email) {
		return UserView{}, opErr("INVALID_EMAIL", "--email is not a valid address")
	}
	if err := o.checkPassword(r.Password); err != nil {
		return UserView{}, err
	}
	roles, err := ParseRoles(strings.Join(r.Roles, ","))
	if err != nil {
		return UserView{}, err
	}
	u, err := o.accounts().AddUser(ctx, accounts.NewUser{Email: r.Email, DisplayName: r.DisplayName, Password: r.Password,
		Roles: roles, Superuser: r.Superuser, Verified: r.Verified})
	if err != nil {
		return UserView{}, userErr(err)
	}
	o.audit("user_created", u.ID, "")
	return viewUser(u), nil
}

// UserList lists every account.
func (o *Ops) UserList(ctx context.Context) ([]UserView, error) {
	us, err := o.Store.ListUsers(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	out := make([]UserView, 0, len(us))
	for _, u := range us {
		out = append(out, viewUser(u))
	}
	return out, nil
}

func (o *Ops) userByEmail(ctx context.Context, email string) (*keystore.User, error) {
	u, err := o.Store.GetUserByEmail(ctx, email)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, opErr("USER_NOT_FOUND", "no user with that email")
	}
	return u, err
}

// UserUpdateRequest names a user by email and carries the change.
type UserUpdateRequest struct {
	Email    string   `json:"email"`
	Password string   `json:"password,omitempty"`
	Roles    []string `json:"roles,omitempty"`
	Active   *bool    `json:"active,omitempty"`
}

// updateUser applies mutate to the user with that email. mutate may run
// more than once and must only set fields of its argument.
func (o *Ops) updateUser(ctx context.Context, event, email string, mutate func(u *keystore.User) error) (UserView, error) {
	u, err := o.userByEmail(ctx, email)
	if err != nil {
		return UserView{}, err
	}
	// mutate sets its fields on the record as stored, inside the store's
	// transaction: a concurrent change of other fields stays.
	nu, err := o.accounts().UpdateUser(ctx, u.ID, mutate)
	if errors.Is(err, accounts.ErrUserNotFound) {
		return UserView{}, opErr("USER_NOT_FOUND", "no user with that email")
	}
	if err != nil {
		return UserView{}, err
	}
	o.audit(event, nu.ID, "")
	return viewUser(nu), nil
}

// UserSetPassword replaces a password; every session of the user is
// revoked and earlier access tokens die through the fingerprint.
func (o *Ops) UserSetPassword(ctx context.Context, r UserUpdateRequest) (UserView, error) {
	if err := o.checkPassword(r.Password); err != nil {
		return UserView{}, err
	}
	hash, err := o.accounts().HashPassword(ctx, r.Password)
	if err != nil {
		return UserView{}, userErr(err)
	}
	v, err := o.updateUser(ctx, "password_changed", r.Email, func(u *keystore.User) error { u.PasswordHash = hash; return nil })
	if err != nil {
		return v, err
	}
	if _, err := o.Store.DeleteUserSessions(ctx, v.ID, nil); err != nil {
		return v, fmt.Errorf("revoke sessions: %w", err)
	}
	return v, nil
}

// UserSetRoles replaces a user's roles.
func (o *Ops) UserSetRoles(ctx context.Context, r UserUpdateRequest) (UserView, error) {
	roles, err := ParseRoles(strings.Join(r.Roles, ","))
	if err != nil {
		return UserView{}, err
	}
	return o.updateUser(ctx, "roles_changed", r.Email, func(u *keystore.User) error { u.Roles = roles; return nil })
}

// UserSetActive disables (or re-enables) an account; disabling revokes
// its sessions.
func (o *Ops) UserSetActive(ctx context.Context, r UserUpdateRequest) (UserView, error) {
	active := r.Active != nil && *r.Active
	event := "user_disabled"
	if active {
		event = "user_enabled"
	}
	v, err := o.updateUser(ctx, event, r.Email, func(u *keystore.User) error { u.Active = active; return nil })
	if err != nil || active {
		return v, err
	}
	if _, err := o.Store.DeleteUserSessions(ctx, v.ID, nil); err != nil {
		return v, fmt.Errorf("revoke sessions: %w", err)
	}
	return v, nil
}

// UserDelete removes an account with its sessions, keys and links.
func (o *Ops) UserDelete(ctx context.Context, r UserUpdateRequest) (UserView, error) {
	u, err := o.userByEmail(ctx, r.Email)
	if err != nil {
		return UserView{}, err
	}
	if err := o.Store.DeleteUser(ctx, u.ID); err != nil {
		return UserView{}, err
	}
	o.audit("user_deleted", u.ID, "")
	return viewUser(u), nil
}

// SetKeyrings replaces the keyrings (a reload); safe while requests run.
func (o *Ops) SetKeyrings(rings map[string]*signing.Keyring) { o.swapped.Store(&rings) }

// Ring returns the keyring called name as of the last SetKeyrings, nil
// when it is not configured.
func (o *Ops) Ring(name string) *signing.Keyring { return o.ring(name) }

func (o *Ops) ring(name string) *signing.Keyring {
	if m := o.swapped.Load(); m != nil {
		return (*m)[name]
	}
	return o.Keyrings[name]
}

// userErr maps an accounts error to the command's message; anything else
// (store, hasher) passes through.
func userErr(err error) error {
	var pe *Error
	switch {
	case errors.As(err, &pe):
		return err
	case errors.Is(err, accounts.ErrEmailTaken):
		return opErr("USER_EXISTS", "a user with that email already exists")
	case errors.Is(err, accounts.ErrInvalidEmail):
		return opErr("INVALID_EMAIL", "--email is not a valid address")
	case errors.Is(err, accounts.ErrInvalidDisplayName):
		return opErr("INVALID_DISPLAY_NAME", "--display-name: at most %d characters, no control characters", accounts.MaxDisplayNameLen)
	case errors.Is(err, accounts.ErrInvalidRole):
		return opErr("INVALID_ROLE", "at most %d roles", keystore.MaxRoles)
	case errors.Is(err, accounts.ErrInvalidPassword):
		return opErr("INVALID_PASSWORD", "%v", err)
	case errors.Is(err, accounts.ErrUserNotFound):
		return opErr("USER_NOT_FOUND", "no user with that email")
	}
	return err
}
