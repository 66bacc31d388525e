package app

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"time"

	berrors "go.etcd.io/bbolt/errors"

	"github.com/gatehouse/gatehouse/admin"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/bolt"
	"github.com/gatehouse/gatehouse/keystore/redis"
)

// StoreFile is the bbolt file inside the data directory.
const StoreFile = "gatehouse.db"

// ErrStoreLocked reports that another process holds the bbolt file (a
// running server, usually).
var ErrStoreLocked = errors.New("store file locked by another process")

// Core is what every command needs: the store and the crypto built from
// the config, and the admin operations on them.
type Core struct {
	*Crypto
	Cfg   *config.Config
	Store keystore.Store
	Redis *redis.Store // set when state.backend is redis
	// PurgeDenylist drops expired denylist rows (bbolt; Redis expires them
	// itself); nil when the back-end needs none.
	PurgeDenylist func(ctx context.Context, now time.Time) (int, error)
	Ops           *admin.Ops
	closeStore    func()
}

// Close closes the store.
func (c *Core) Close() {
	if c.closeStore != nil {
		c.closeStore()
	}
}

// Open validates the config (warnings go to warn), builds the crypto and
// opens the store. For CLI use (cli true) the bbolt lock wait is short, so
// a running server is detected quickly; a held lock is ErrStoreLocked.
func Open(cfg *config.Config, warn io.Writer, cli bool) (*Core, error) {
	if err := Validate(cfg, warn); err != nil {
		return nil, err
	}
	cr, err := BuildCrypto(cfg)
	if err != nil {
		return nil, err
	}
	c := &Core{Crypto: cr, Cfg: cfg}
	switch cfg.State.Backend {
	case "redis":
		st, err := OpenRedis("state.redis", cfg.State.Redis)
		if err != nil {
			return nil, err
		}
		c.Store, c.Redis = st, st
		c.closeStore = func() { _ = st.Close() }
	default:
		timeout := 5 * time.Second
		if cli {
			timeout = 300 * time.Millisecond
		}
		st, err := bolt.Open(filepath.Join(cfg.DataDir, StoreFile), bolt.Options{Timeout: timeout})
		if err != nil {
			if errors.Is(err, berrors.ErrTimeout) {
				return nil, ErrStoreLocked
			}
			return nil, err
		}
		c.Store = st
		c.PurgeDenylist = st.PurgeExpired
		c.closeStore = func() { _ = st.Close() }
	}
	c.Ops = adminOps(cfg, c)
	if b, ok := c.Store.(interface{ BackupFile(string) error }); ok {
		c.Ops.Backup = b.BackupFile
	}
	return c, nil
}

// adminOps maps the config and the opened pieces onto the admin
// operations, one field per line.
func adminOps(cfg *config.Config, c *Core) *admin.Ops {
	return &admin.Ops{
		Store:            c.Store,
		Hasher:           c.Hasher,
		MinPassword:      cfg.Passwords.MinLength,
		MaxPassword:      cfg.Passwords.MaxLength,
		APIKeyHasher:     c.APIHasher,
		APIKeyPrefix:     cfg.APIKeys.Prefix,
		APIKeyEnv:        cfg.APIKeys.Env,
		APIKeyMax:        cfg.APIKeys.MaxPerUser,
		APIKeyLifetime:   cfg.APIKeys.DefaultLifetime,
		AllowedScopes:    cfg.APIKeys.AllowedScopes,
		ScopeSubsetCheck: cfg.APIKeys.ScopeSubsetCheck,
		Keyrings:         c.Keyrings,
		SigningEnabled:   cfg.APIKeys.Signing.Enabled,
		Issuer:           c.Issuer,
		AccessLifetime:   cfg.Tokens.Access.Lifetime,
		FingerprintKey:   c.FingerprintKey,
	}
}
