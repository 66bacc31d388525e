package accounts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

// ValidEmail reports whether s (trimmed) is an acceptable address.
func ValidEmail(s string) bool { return keystore.ValidEmail(strings.TrimSpace(s)) }

// ValidDisplayName reports whether s is an acceptable display name: valid
// UTF-8, at most MaxDisplayNameLen characters, no control characters.
func ValidDisplayName(s string) bool {
	if len(s) > 4*MaxDisplayNameLen || !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxDisplayNameLen {
		return false
	}
	for _, c := range s {
		if c < ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// ValidRoles reports whether roles are valid names and not too many.
func ValidRoles(roles []string) bool {
	if len(roles) > keystore.MaxRoles {
		return false
	}
	for _, r := range roles {
		if !keystore.ValidRoleName(r) {
			return false
		}
	}
	return true
}

// NewUser is an account to create. It is created active.
type NewUser struct {
	Email       string // trimmed; unique case-insensitively
	DisplayName string
	// Password is hashed here; or PasswordHash carries a hash from
	// HashPassword when the caller had to hash before a later step.
	// Both empty: no password login (a provider account).
	Password     string
	PasswordHash string
	Roles        []string
	Superuser    bool
	// Verified marks the address verified now (EmailVerifiedAt).
	Verified bool
}

// CheckPassword applies the length policy; the error wraps
// ErrInvalidPassword and the signing error.
func (s *Service) CheckPassword(pw string) error {
	if err := signing.CheckPasswordLength(pw, s.c.MinPassword, s.c.MaxPassword); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidPassword, err)
	}
	return nil
}

// HashPassword checks pw against the length policy and hashes it with the
// bounded hasher (errors.Is(err, signing.ErrHashBusy) when it is full).
func (s *Service) HashPassword(ctx context.Context, pw string) (string, error) {
	if err := s.CheckPassword(pw); err != nil {
		return "", err
	}
	h, err := s.c.Hasher.HashContext(ctx, pw)
	if err != nil {
		return "", fmt.Errorf("accounts: hash password: %w", err)
	}
	return h, nil
}

// CheckNewUser validates nu without hashing or storing anything.
func (s *Service) CheckNewUser(nu NewUser) error {
	if !ValidEmail(nu.Email) {
		return ErrInvalidEmail
	}
	if !ValidDisplayName(nu.DisplayName) {
		return ErrInvalidDisplayName
	}
	if !ValidRoles(nu.Roles) {
		return ErrInvalidRole
	}
	if nu.Password != "" {
		return s.CheckPassword(nu.Password)
	}
	return nil
}

// AddUser validates nu, hashes its password and stores the account
// with a fresh id. A taken address (case-folded, decided by the store) is
// ErrEmailTaken.
func (s *Service) AddUser(ctx context.Context, nu NewUser) (*keystore.User, error) {
	if err := s.CheckNewUser(nu); err != nil {
		return nil, err
	}
	hash := nu.PasswordHash
	if nu.Password != "" {
		var err error
		if hash, err = s.HashPassword(ctx, nu.Password); err != nil {
			return nil, err
		}
	}
	id, err := signing.RandomHex(16)
	if err != nil {
		return nil, fmt.Errorf("accounts: user id: %w", err)
	}
	now := s.now()
	u := &keystore.User{ID: id, Email: strings.TrimSpace(nu.Email), DisplayName: nu.DisplayName, PasswordHash: hash,
		Roles: slices.Clone(nu.Roles), Superuser: nu.Superuser, Active: true, Verified: nu.Verified,
		CreatedAt: now, UpdatedAt: now}
	if u.Roles == nil {
		u.Roles = []string{}
	}
	if nu.Verified {
		u.EmailVerifiedAt = now
	}
	switch err := s.c.Users.CreateUser(ctx, u); {
	case errors.Is(err, keystore.ErrDuplicate):
		return nil, ErrEmailTaken
	case err != nil:
		return nil, err
	}
	return u, nil
}

// UpdateUser applies fn to the user as stored (field-level) and stamps
// UpdatedAt; fn may run more than once and must only set fields of its
// argument. A missing user is ErrUserNotFound (also matching
// keystore.ErrNotFound); fn's error is returned as it is.
func (s *Service) UpdateUser(ctx context.Context, id string, fn func(u *keystore.User) error) (*keystore.User, error) {
	now := s.now()
	u, err := s.c.Users.UpdateUser(ctx, id, func(u *keystore.User) error {
		if err := fn(u); err != nil {
			return err
		}
		u.UpdatedAt = now
		return nil
	})
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, errUserGone
	}
	return u, err
}

// errUserGone is ErrUserNotFound that still matches keystore.ErrNotFound
// for callers that test the store's sentinel.
var errUserGone = fmt.Errorf("%w: %w", ErrUserNotFound, keystore.ErrNotFound)

// SetPassword hashes password (length policy, bounded hasher) and stores
// it on the user as stored. check, when set, runs on the stored record in
// the same update (the premise of the change: the password just verified
// is still the one stored) and its error aborts the change unchanged.
func (s *Service) SetPassword(ctx context.Context, id, password string, check func(*keystore.User) error) (*keystore.User, error) {
	hash, err := s.HashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	return s.SetPasswordHash(ctx, id, hash, check)
}

// SetPasswordHash stores a hash made by HashPassword; see SetPassword.
func (s *Service) SetPasswordHash(ctx context.Context, id, hash string, check func(*keystore.User) error) (*keystore.User, error) {
	return s.UpdateUser(ctx, id, func(u *keystore.User) error {
		if check != nil {
			if err := check(u); err != nil {
				return err
			}
		}
		u.PasswordHash = hash
		return nil
	})
}

// SetRoles replaces the user's roles.
func (s *Service) SetRoles(ctx context.Context, id string, roles []string) (*keystore.User, error) {
	if !ValidRoles(roles) {
		return nil, ErrInvalidRole
	}
	roles = slices.Clone(roles)
	if roles == nil {
		roles = []string{}
	}
	return s.UpdateUser(ctx, id, func(u *keystore.User) error { u.Roles = slices.Clone(roles); return nil })
}

// SetActive enables or disables the user.
func (s *Service) SetActive(ctx context.Context, id string, active bool) (*keystore.User, error) {
	return s.UpdateUser(ctx, id, func(u *keystore.User) error { u.Active = active; return nil })
}

// SameVerification reports whether checked and now are the same, still
// valid verification of the same address.
func SameVerification(checked, now *keystore.User) bool {
	return checked.Verified && now.Verified &&
		keystore.FoldEmail(checked.Email) == keystore.FoldEmail(now.Email) &&
		checked.EmailVerifiedAt.Equal(now.EmailVerifiedAt)
}

// confirmVerified re-reads owner after a lasting credential was stored on
// the strength of owner's verified address: nil when it still holds,
// ErrEmailUnverified when not, the store error when it cannot tell.
func (s *Service) confirmVerified(ctx context.Context, owner *keystore.User) error {
	now, err := s.c.Users.GetUser(ctx, owner.ID)
	switch {
	case errors.Is(err, keystore.ErrNotFound):
		return ErrEmailUnverified
	case err != nil:
		return err
	case !SameVerification(owner, now):
		return ErrEmailUnverified
	}
	return nil
}
