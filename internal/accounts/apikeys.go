package accounts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

// KeyRequest asks for an API key.
type KeyRequest struct {
	Name            string
	Scopes          []string
	Lifetime        time.Duration // 0: the policy's default
	SigningRequired bool
}

// CheckKeyName trims and validates a key name: 1 to MaxKeyNameLen
// printable characters.
func CheckKeyName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxKeyNameLen {
		return "", ErrInvalidKeyName
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return "", ErrInvalidKeyName
		}
	}
	return s, nil
}

// CheckScopes validates scopes for a key owned by owner: names, the
// allow-list, and with the subset check the owner's roles. It returns
// them deduplicated and sorted. A refused scope is a *ScopeError.
func (s *Service) CheckScopes(owner *keystore.User, in []string) ([]string, error) {
	return s.checkScopes(owner, in, s.c.Keys.ScopeSubsetCheck)
}

func (s *Service) checkScopes(owner *keystore.User, in []string, subset bool) ([]string, error) {
	if len(in) > keystore.MaxRoles {
		return nil, ErrScopeDenied
	}
	out := make([]string, 0, len(in))
	for _, sc := range in {
		if !keystore.ValidRoleName(sc) || !slices.Contains(s.c.Keys.AllowedScopes, sc) {
			return nil, &ScopeError{Scope: sc, Err: ErrScopeDenied}
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	if subset && !owner.Superuser {
		for _, sc := range out {
			if !slices.Contains(owner.Roles, sc) {
				return nil, &ScopeError{Scope: sc, Err: ErrScopeNotHeld}
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// CheckLifetime applies the lifetime bounds to a requested lifetime; 0
// is the default.
func (s *Service) CheckLifetime(d time.Duration) error {
	if d != 0 && (d < s.c.Keys.MinLifetime || d > s.c.Keys.MaxLifetime) {
		return ErrInvalidLifetime
	}
	return nil
}

// MintAPIKey mints a key for owner and stores it; it returns the raw
// key, to be shown once and never stored or logged, and the record.
// bySelf is true when the owner asks for their own key: an owner whose
// address is not verified cannot (ErrEmailUnverified), and a key stored
// while a concurrent email change ran is revoked again. An administrator
// may mint one for an unverified owner; it is revoked when the address is
// verified.
func (s *Service) MintAPIKey(ctx context.Context, owner *keystore.User, req KeyRequest, bySelf bool) (string, *keystore.APIKey, error) {
	p := s.c.Keys
	if s.c.APIKeys == nil || s.c.KeyHasher == nil {
		return "", nil, ErrKeysDisabled
	}
	if bySelf && !owner.Verified {
		return "", nil, ErrEmailUnverified
	}
	name, err := CheckKeyName(req.Name)
	if err != nil {
		return "", nil, err
	}
	scopes, err := s.checkScopes(owner, req.Scopes, p.ScopeSubsetCheck)
	if err != nil {
		return "", nil, err
	}
	if err := s.CheckLifetime(req.Lifetime); err != nil {
		return "", nil, err
	}
	ring := s.ring.Load()
	if req.SigningRequired {
		if !p.SigningEnabled {
			return "", nil, ErrSigningDisabled
		}
		if ring == nil {
			return "", nil, ErrNoSigningKeyring
		}
	}
	raw, keyID, secret, err := signing.GenerateAPIKey(p.Prefix, p.Env)
	if err != nil {
		return "", nil, fmt.Errorf("accounts: mint key: %w", err)
	}
	now := s.now()
	digest := s.c.KeyHasher.Digest([]byte(secret))
	k := &keystore.APIKey{KeyID: keyID, UserID: owner.ID, Name: name, Env: p.Env, Digest: digest[:],
		Scopes: scopes, SigningRequired: req.SigningRequired, CreatedAt: now}
	life := req.Lifetime
	if life == 0 {
		life = p.DefaultLifetime
	}
	if life > 0 {
		k.ExpiresAt = now.Add(life)
	}
	if req.SigningRequired {
		env, err := ring.Seal([]byte(secret))
		if err != nil {
			return "", nil, fmt.Errorf("accounts: seal signing secret: %w", err)
		}
		k.SigningSecret = env
	}
	if err := s.storeKey(ctx, k); err != nil {
		return "", nil, err
	}
	if bySelf {
		if err := s.confirmVerified(ctx, owner); err != nil {
			if rerr := s.c.APIKeys.RevokeAPIKey(ctx, k.KeyID, s.now()); rerr != nil && !errors.Is(rerr, keystore.ErrNotFound) {
				return "", nil, fmt.Errorf("%w (the key made meanwhile was not revoked: %v)", err, rerr)
			}
			return "", nil, err
		}
	}
	return raw, k, nil
}

// storeKey counts the owner's live keys and stores k under the lock.
func (s *Service) storeKey(ctx context.Context, k *keystore.APIKey) error {
	s.createMu.Lock()
	defer s.createMu.Unlock()
	if max := s.c.Keys.MaxPerUser; max > 0 {
		ks, err := s.c.APIKeys.ListUserAPIKeys(ctx, k.UserID)
		if err != nil {
			return err
		}
		live := 0
		for _, x := range ks {
			if x.RevokedAt.IsZero() {
				live++
			}
		}
		if live >= max {
			return ErrKeyLimit
		}
	}
	switch err := s.c.APIKeys.CreateAPIKey(ctx, k); {
	case errors.Is(err, keystore.ErrNotFound):
		return ErrUserNotFound
	case err != nil:
		return err
	}
	return nil
}

// RevokeAPIKey soft-revokes a key; a revocation that landed first keeps
// its time. A missing key is ErrKeyNotFound.
func (s *Service) RevokeAPIKey(ctx context.Context, keyID string) error {
	if s.c.APIKeys == nil {
		return ErrKeysDisabled
	}
	err := s.c.APIKeys.RevokeAPIKey(ctx, keyID, s.now())
	if errors.Is(err, keystore.ErrNotFound) {
		return ErrKeyNotFound
	}
	return err
}

// CheckKeyLabels reports whether keys can be minted with prefix and env.
func CheckKeyLabels(prefix, env string) error {
	_, _, _, err := signing.GenerateAPIKey(prefix, env)
	return err
}
