package app

import (
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/admin"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/signing"
)

// Crypto holds the signing objects built from the config's secrets and
// keys. Building it has no side effects, so a reload builds a new one
// before it swaps anything in.
type Crypto struct {
	Hasher       *signing.Hasher
	Keyrings     map[string]*signing.Keyring // by ring name; rings the config leaves empty are absent
	JWTKeys      []signing.JWTKey
	JWTActiveKID string // kid of the key in JWTKeys that signs (tokens.access.active_kid)
	Issuer       *signing.JWTIssuer
	JWTVerify    *signing.JWTVerifier
	APIHasher    *signing.APIKeyHasher
	// FingerprintKey keys the session fingerprint claim (sfp) of access
	// JWTs; it is the token_hash secret.
	FingerprintKey signing.Secret
}

// accessAudience is the aud of access JWTs (docs/design.md, "Access JWT").
const accessAudience = "gatehouse:access"

// hashMemoryQuiet is how long hashing must have stopped before the
// password hasher's memory goes back to the OS (docs/design.md, "Memory").
const hashMemoryQuiet = 2 * time.Second

// BuildCrypto turns secrets and keys into the signing objects.
func BuildCrypto(cfg *config.Config) (*Crypto, error) {
	c := &Crypto{}
	h, err := signing.NewHasher(signing.PasswordParams{
		Memory:  cfg.Passwords.Memory,
		Time:    cfg.Passwords.Time,
		Threads: cfg.Passwords.Threads,
		SaltLen: 16,
		KeyLen:  32,
	}, signing.WithMaxConcurrentHashes(cfg.Passwords.MaxConcurrentHashes),
		signing.WithMemoryReturn(hashMemoryQuiet))
	if err != nil {
		return nil, fmt.Errorf("passwords: %w", err)
	}
	c.Hasher = h
	c.Keyrings = map[string]*signing.Keyring{}
	for _, name := range admin.Rings {
		kr := cfg.Keyrings.Get(name)
		if kr == nil || kr.IsZero() {
			continue
		}
		ring, err := signing.NewKeyring(kr.ActiveKeyID, kr.Keys)
		if err != nil {
			return nil, fmt.Errorf("keyrings.%s: %w", name, err)
		}
		c.Keyrings[name] = ring
	}
	ah, err := signing.NewAPIKeyHasher(cfg.Secrets.APIKeyHash)
	if err != nil {
		return nil, fmt.Errorf("secrets.api_key_hash: %w", err)
	}
	c.APIHasher = ah
	c.FingerprintKey = cfg.Secrets.TokenHash
	keys, active, err := accessKeys(cfg)
	if err != nil {
		return nil, err
	}
	c.JWTKeys, c.JWTActiveKID = keys, active.KID
	iss := strings.TrimSuffix(cfg.PublicURL, "/")
	c.Issuer, err = signing.NewJWTIssuer(signing.JWTIssuerConfig{
		Issuer:   iss,
		Audience: accessAudience,
		Key:      active,
	})
	if err != nil {
		return nil, fmt.Errorf("access tokens: %w", err)
	}
	c.JWTVerify, err = signing.NewJWTVerifier(signing.JWTVerifierConfig{
		Issuer:   iss,
		Audience: accessAudience,
		Leeway:   30 * time.Second,
		Keys:     keys,
	})
	if err != nil {
		return nil, fmt.Errorf("access tokens: %w", err)
	}
	return c, nil
}
