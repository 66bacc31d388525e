package accounts

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

// Default API-key lifetime bounds of a requested lifetime.
const (
	DefaultMinKeyLifetime = time.Minute
	DefaultMaxKeyLifetime = 3650 * 24 * time.Hour
	// MaxKeyNameLen is the longest key name, in characters.
	MaxKeyNameLen = 100
	// MaxDisplayNameLen is the longest display name, in characters.
	MaxDisplayNameLen = 128
)

// KeyPolicy is how API keys are minted.
type KeyPolicy struct {
	Prefix, Env   string   // labels of the raw key
	AllowedScopes []string // a key's scopes must be among these
	// ScopeSubsetCheck: a key's scopes must also be roles its owner holds
	// (superusers excepted).
	ScopeSubsetCheck bool
	MaxPerUser       int           // live (unrevoked) keys per user; 0: unlimited
	DefaultLifetime  time.Duration // when none is asked for; 0: never expires
	// MinLifetime and MaxLifetime bound a requested lifetime; zero: the
	// Default*KeyLifetime constants.
	MinLifetime, MaxLifetime time.Duration
	SigningEnabled           bool // signing-required keys may be minted
}

// Config builds a Service.
type Config struct {
	Users   keystore.Users
	APIKeys keystore.APIKeys    // nil: API keys cannot be minted
	Links   keystore.OAuthLinks // nil: links cannot be stored
	// Hasher hashes passwords (bounded: it may answer signing.ErrHashBusy).
	Hasher                   *signing.Hasher
	MinPassword, MaxPassword int
	KeyHasher                *signing.APIKeyHasher // digests key secrets
	// SigningKeyring seals the secrets of signing-required keys; see
	// SetSigningKeyring.
	SigningKeyring *signing.Keyring
	Keys           KeyPolicy
	Now            func() time.Time // nil: time.Now
}

// Service applies the account and credential rules; see the package
// documentation. Share one Service per process: the per-user key cap is
// enforced under its lock.
type Service struct {
	c    Config
	ring atomic.Pointer[signing.Keyring]
	// createMu serialises count-then-create of API keys so concurrent
	// requests of one process cannot overshoot the per-user cap.
	createMu sync.Mutex
}

// New returns a Service for c.
func New(c Config) *Service {
	if c.Keys.MinLifetime <= 0 {
		c.Keys.MinLifetime = DefaultMinKeyLifetime
	}
	if c.Keys.MaxLifetime <= 0 {
		c.Keys.MaxLifetime = DefaultMaxKeyLifetime
	}
	s := &Service{c: c}
	if c.SigningKeyring != nil {
		s.ring.Store(c.SigningKeyring)
	}
	return s
}

// SetSigningKeyring swaps the keyring that seals the signing secrets of
// new keys (after a key rotation and reload). nil is ignored.
func (s *Service) SetSigningKeyring(k *signing.Keyring) {
	if k != nil {
		s.ring.Store(k)
	}
}

// KeyPolicy returns the policy in force (with bounds filled in).
func (s *Service) KeyPolicy() KeyPolicy { return s.c.Keys }

// SigningAllowed reports whether signing-required keys can be minted.
func (s *Service) SigningAllowed() bool { return s.c.Keys.SigningEnabled && s.ring.Load() != nil }

func (s *Service) now() time.Time {
	if s.c.Now != nil {
		return s.c.Now().UTC()
	}
	return time.Now().UTC()
}
