package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	berrors "go.etcd.io/bbolt/errors"

	"github.com/gatehouse/gatehouse/admin"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/privfile"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/bolt"
	"github.com/gatehouse/gatehouse/keystore/redis"
	"github.com/gatehouse/gatehouse/signing"
)

// storeFile is the bbolt file inside the data directory.
const storeFile = "gatehouse.db"

var errStoreLocked = errors.New("store file locked by another process")

// loadConfig reads --config or builds the zero-config defaults, applies
// --data-dir, and in development fills missing secrets from (or into) the
// data directory.
func loadConfig(env *cmdEnv, sf stateFlags) (*config.Config, error) {
	var cfg *config.Config
	if sf.config != "" {
		c, err := config.Load(sf.config, env.getenv)
		if err != nil {
			return nil, err
		}
		cfg = c
	} else {
		cfg = config.FromDefaults(env.getenv)
	}
	if sf.dataDir != "" {
		cfg.DataDir = sf.dataDir
	}
	// Creates the data directory (0700); in development also fills missing
	// secrets from, or generates them into, <data_dir>/secrets.yaml.
	if _, err := config.EnsureDataDir(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// validate reports config problems: warnings go to w, errors fail.
func validate(cfg *config.Config, w io.Writer) error {
	err := cfg.Validate()
	if err == nil {
		return nil
	}
	var ve *config.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	for _, p := range ve.Warnings() {
		fmt.Fprintf(w, "gatehouse: warning: %s: %s\n", p.Path, p.Message)
	}
	if errs := ve.Errors(); len(errs) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "the configuration has %d problem(s):", len(errs))
		for _, p := range errs {
			fmt.Fprintf(&b, "\n  %s: %s", p.Path, p.Message)
		}
		return errors.New(b.String())
	}
	return nil
}

// core is what every command needs: the store and the crypto built from
// the config.
type core struct {
	cfg   *config.Config
	store keystore.Store
	redis *redis.Store // set when state.backend is redis
	// purgeDenylist drops expired denylist rows (bbolt; Redis expires them
	// itself); nil when the back-end needs none.
	purgeDenylist func(ctx context.Context, now time.Time) (int, error)
	hasher        *signing.Hasher
	keyrings      map[string]*signing.Keyring
	jwtKeys       []signing.JWTKey
	jwtActiveKID  string // kid of the key in jwtKeys that signs (tokens.access.active_kid)
	issuer        *signing.JWTIssuer
	jwtVerify     *signing.JWTVerifier
	apiHasher     *signing.APIKeyHasher
	fpKey         signing.Secret
	ops           *admin.Ops
	closeStore    func()
}

func (c *core) Close() {
	if c.closeStore != nil {
		c.closeStore()
	}
}

// openApp validates the config and opens the store. For CLI use the lock
// wait is short, so a running server is detected quickly.
func openApp(cfg *config.Config, warn io.Writer, cli bool) (*core, error) {
	if err := validate(cfg, warn); err != nil {
		return nil, err
	}
	c := &core{cfg: cfg}
	if err := c.buildCrypto(); err != nil {
		return nil, err
	}
	switch cfg.State.Backend {
	case "redis":
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		st, err := redis.Open(ctx, redis.Options{URL: cfg.State.Redis.URL})
		if err != nil {
			return nil, fmt.Errorf("state.redis: %w", err)
		}
		c.store, c.redis = st, st
		c.closeStore = func() { _ = st.Close() }
	default:
		timeout := 5 * time.Second
		if cli {
			timeout = 300 * time.Millisecond
		}
		st, err := bolt.Open(filepath.Join(cfg.DataDir, storeFile), bolt.Options{Timeout: timeout})
		if err != nil {
			if errors.Is(err, berrors.ErrTimeout) {
				return nil, errStoreLocked
			}
			return nil, err
		}
		c.store = st
		c.purgeDenylist = st.PurgeExpired
		c.closeStore = func() { _ = st.Close() }
	}
	c.ops = &admin.Ops{
		Store: c.store, Hasher: c.hasher,
		MinPassword: cfg.Passwords.MinLength, MaxPassword: cfg.Passwords.MaxLength,
		APIKeyHasher: c.apiHasher, APIKeyPrefix: cfg.APIKeys.Prefix, APIKeyEnv: cfg.APIKeys.Env,
		APIKeyMax: cfg.APIKeys.MaxPerUser, APIKeyLifetime: cfg.APIKeys.DefaultLifetime,
		AllowedScopes: cfg.APIKeys.AllowedScopes, Keyrings: c.keyrings, SigningEnabled: cfg.APIKeys.Signing.Enabled,
		ScopeSubsetCheck: cfg.APIKeys.ScopeSubsetCheck,
		Issuer:           c.issuer, AccessLifetime: cfg.Tokens.Access.Lifetime, FingerprintKey: c.fpKey,
	}
	if b, ok := c.store.(interface{ BackupFile(string) error }); ok {
		c.ops.Backup = b.BackupFile
	}
	return c, nil
}

// buildCrypto turns secrets and keys into the signing objects.
func (c *core) buildCrypto() error {
	cfg := c.cfg
	h, err := signing.NewHasher(signing.PasswordParams{Memory: cfg.Passwords.Memory, Time: cfg.Passwords.Time,
		Threads: cfg.Passwords.Threads, SaltLen: 16, KeyLen: 32},
		signing.WithMaxConcurrentHashes(cfg.Passwords.MaxConcurrentHashes))
	if err != nil {
		return fmt.Errorf("passwords: %w", err)
	}
	c.hasher = h
	c.keyrings = map[string]*signing.Keyring{}
	for _, name := range admin.Rings {
		kr := cfg.Keyrings.Get(name)
		if kr == nil || kr.IsZero() {
			continue
		}
		ring, err := signing.NewKeyring(kr.ActiveKeyID, kr.Keys)
		if err != nil {
			return fmt.Errorf("keyrings.%s: %w", name, err)
		}
		c.keyrings[name] = ring
	}
	ah, err := signing.NewAPIKeyHasher(cfg.Secrets.APIKeyHash)
	if err != nil {
		return fmt.Errorf("secrets.api_key_hash: %w", err)
	}
	c.apiHasher = ah
	c.fpKey = cfg.Secrets.TokenHash
	keys, active, err := accessKeys(cfg)
	if err != nil {
		return err
	}
	c.jwtKeys, c.jwtActiveKID = keys, active.KID
	iss := strings.TrimSuffix(cfg.PublicURL, "/")
	c.issuer, err = signing.NewJWTIssuer(signing.JWTIssuerConfig{Issuer: iss, Audience: accessAudience, Key: active})
	if err != nil {
		return fmt.Errorf("access tokens: %w", err)
	}
	c.jwtVerify, err = signing.NewJWTVerifier(signing.JWTVerifierConfig{Issuer: iss, Audience: accessAudience, Leeway: 30 * time.Second, Keys: keys})
	if err != nil {
		return fmt.Errorf("access tokens: %w", err)
	}
	return nil
}

// accessAudience is the aud of access JWTs (SPEC §5.2).
const accessAudience = "gatehouse:access"

// accessKeys returns the access-token keys and the one that signs: the
// key tokens.access.active_kid names (signing.ActiveJWTKey; HS256 signs
// with the access_token secret, which has no kid). A kid that names no
// key is an error, never a fallback to another key.
func accessKeys(cfg *config.Config) ([]signing.JWTKey, signing.JWTKey, error) {
	alg := cfg.Tokens.Access.Algorithm
	if alg == "" || alg == "HS256" {
		keys := []signing.JWTKey{{Alg: "HS256", HMAC: cfg.Secrets.AccessToken}}
		active, err := signing.ActiveJWTKey(keys, "")
		return keys, active, err
	}
	var keys []signing.JWTKey
	var active signing.JWTKey
	kids := make([]string, 0, len(cfg.Tokens.Access.Keys))
	for kid := range cfg.Tokens.Access.Keys {
		kids = append(kids, kid)
	}
	sort.Strings(kids)
	for _, kid := range kids {
		pemBytes, err := os.ReadFile(cfg.Tokens.Access.Keys[kid])
		if err != nil {
			return nil, active, fmt.Errorf("tokens.access.keys.%s: %w", kid, err)
		}
		k, err := signing.ParseJWTKeyPEM(kid, pemBytes)
		if err != nil {
			return nil, active, fmt.Errorf("tokens.access.keys.%s: %w", kid, err)
		}
		if k.Alg != alg {
			return nil, active, fmt.Errorf("tokens.access.keys.%s: key is %s, tokens.access.algorithm is %s", kid, k.Alg, alg)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, active, fmt.Errorf("tokens.access.algorithm %s needs tokens.access.keys", alg)
	}
	active, err := signing.ActiveJWTKey(keys, cfg.Tokens.Access.ActiveKID)
	if err != nil {
		return nil, active, fmt.Errorf("tokens.access.active_kid: %w", err)
	}
	return keys, active, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func newFernetKeyText() (string, error) { return signing.GenerateFernetKey() }

// nextKeyID picks k<N+1> after the highest k<N> in ids.
func nextKeyID(ids []string) string {
	max := 0
	for _, id := range ids {
		if n, err := strconv.Atoi(strings.TrimPrefix(id, "k")); err == nil && strings.HasPrefix(id, "k") && n > max {
			max = n
		}
	}
	return "k" + strconv.Itoa(max+1)
}

// assertionKeyFile holds the Ed25519 key that signs Gatehouse-Assertion
// JWTs; generated on first use, mode 0600.
const assertionKeyFile = "assertion-ed25519.pem"

// assertionKey loads or creates the assertion signing key.
func assertionKey(cfg *config.Config) (signing.JWTKey, error) {
	path := filepath.Join(cfg.DataDir, assertionKeyFile)
	if b, err := os.ReadFile(path); err == nil {
		return signing.ParseJWTKeyPEM("assertion-1", b)
	} else if !errors.Is(err, os.ErrNotExist) {
		return signing.JWTKey{}, err
	}
	k, pemBytes, err := signing.GenerateEd25519Key("assertion-1")
	if err != nil {
		return k, err
	}
	if err := privfile.Write(path, pemBytes, true); err != nil {
		return k, fmt.Errorf("write %s: %w", path, err)
	}
	return k, nil
}
