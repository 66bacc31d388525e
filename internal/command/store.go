package command

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/gatehouse/gatehouse/admin"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/keystore/migrate"
	"github.com/gatehouse/gatehouse/signing"
)

// maxMigrateWorkers bounds --workers.
const maxMigrateWorkers = 64

// Store runs `gatehouse store migrate --from FILE --to FILE`: every
// durable record of the store the first config's state section names is
// copied into the store of the second (README "Moving a standalone store
// to Cluster", docs/design.md "Store migration").
func Store(env *Env, args []string) error {
	if len(args) == 0 {
		return Usagef("store: missing subcommand (migrate)")
	}
	sub, args := args[0], args[1:]
	if sub != "migrate" {
		return Usagef("store: unknown subcommand %q", sub)
	}
	fs := newFlags("store migrate")
	from := fs.String("from", "", "config file whose state section names the source store")
	to := fs.String("to", "", "config file whose state section names the destination store")
	fromDir := fs.String("from-data-dir", "", "data directory of the source config (default: its data_dir)")
	toDir := fs.String("to-data-dir", "", "data directory of the destination config (default: its data_dir)")
	allow := fs.Bool("allow-conflicts", false, "report conflicting records, keep the destination's, and do not fail for them")
	workers := fs.Int("workers", 8, "records copied in parallel")
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return Usagef("store migrate: --from and --to are required")
	}
	if *workers < 1 || *workers > maxMigrateWorkers {
		return Usagef("store migrate: --workers must be 1..%d", maxMigrateWorkers)
	}
	srcCfg, err := app.LoadConfig(*from, *fromDir, env.Getenv)
	if err != nil {
		return fmt.Errorf("store migrate: --from: %w", err)
	}
	dstCfg, err := app.LoadConfig(*to, *toDir, env.Getenv)
	if err != nil {
		return fmt.Errorf("store migrate: --to: %w", err)
	}
	if isBolt(srcCfg) && isBolt(dstCfg) && migrate.SameFile(boltFile(srcCfg), boltFile(dstCfg)) {
		return fmt.Errorf("store migrate: --from and --to name one store (%s)", boltFile(srcCfg))
	}
	if err := sameRecordSecrets(srcCfg, dstCfg); err != nil {
		return fmt.Errorf("store migrate: %w", err)
	}
	src, closeSrc, err := openMigrateSide(env, "source", srcCfg)
	if err != nil {
		return err
	}
	defer closeSrc()
	dst, closeDst, err := openMigrateSide(env, "destination", dstCfg)
	if err != nil {
		return err
	}
	defer closeDst()
	if !isBolt(srcCfg) {
		fmt.Fprintln(env.Stderr, "store migrate: the source is Redis: stop every gatehouse writing to it first, or what they write during the copy is missed")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := migrate.Run(ctx, src, dst, migrate.Options{
		AllowConflicts: *allow,
		Workers:        *workers,
		Progress:       env.Stderr,
	})
	if rep != nil {
		rep.WriteSummary(env.Stdout)
	}
	switch {
	case err == nil:
		fmt.Fprintln(env.Stdout, "migrated; every count verified")
		return nil
	case errors.Is(err, migrate.ErrSameStore):
		return fmt.Errorf("store migrate: --from and --to name one store")
	case errors.Is(err, migrate.ErrConflicts):
		return fmt.Errorf("store migrate: %d records conflict (listed above); resolve them or run again with --allow-conflicts", rep.ConflictCount())
	case errors.Is(err, migrate.ErrMismatch):
		return fmt.Errorf("store migrate: verification failed: the destination's counts differ (above)")
	case ctx.Err() != nil:
		return fmt.Errorf("store migrate: interrupted; run the same command again to continue")
	}
	return fmt.Errorf("store migrate: %w; run the same command again to continue", err)
}

func isBolt(cfg *config.Config) bool { return cfg.State.Backend != "redis" }

func boltFile(cfg *config.Config) string { return filepath.Join(cfg.DataDir, app.StoreFile) }

// openMigrateSide opens the durable store of cfg and, with
// shared.backend redis, the shared Redis that holds its revocations and
// markers (as serve wires them; docs/design.md "State"). A bbolt file
// held by another process — a running server, whose admin endpoint says
// so — is refused: the copy must have the file to itself.
func openMigrateSide(env *Env, role string, cfg *config.Config) (migrate.Side, func(), error) {
	core, err := app.Open(cfg, env.Stderr, true)
	if errors.Is(err, app.ErrStoreLocked) {
		if ep, eerr := admin.ReadEndpoint(cfg.DataDir); eerr == nil {
			return migrate.Side{}, nil, fmt.Errorf("store migrate: the %s store %s is held by a running gatehouse (admin listener %s, pid %d); stop it before migrating", role, boltFile(cfg), ep.Addr, ep.PID)
		}
		return migrate.Side{}, nil, fmt.Errorf("store migrate: the %s store %s is locked by another process; stop it before migrating", role, boltFile(cfg))
	}
	if err != nil {
		return migrate.Side{}, nil, fmt.Errorf("store migrate: %s: %w", role, err)
	}
	side := migrate.Side{Store: core.Store}
	if cfg.Shared.Backend != "redis" {
		return side, core.Close, nil
	}
	if core.Redis != nil && app.SameRedis(cfg.Shared.Redis, cfg.State.Redis) {
		side.Denylist, side.Markers = core.Redis, core.Redis
		return side, core.Close, nil
	}
	shared, err := app.OpenRedis("shared.redis", cfg.Shared.Redis)
	if err != nil {
		core.Close()
		return migrate.Side{}, nil, fmt.Errorf("store migrate: %s: %w", role, err)
	}
	side.Denylist, side.Markers = shared, shared
	return side, func() { _ = shared.Close(); core.Close() }, nil
}

// sameRecordSecrets refuses a destination config whose secrets would
// leave copied records dead: session and refresh digests are keyed by
// token_hash, API key digests by api_key_hash, and envelopes need every
// key of the source's keyrings.
func sameRecordSecrets(src, dst *config.Config) error {
	for _, role := range []string{"token_hash", "api_key_hash"} {
		if !src.Secrets.Get(role).Equal(dst.Secrets.Get(role)) {
			return fmt.Errorf("secrets.%s differs between --from and --to: the copied %s would not verify", role, map[string]string{"token_hash": "sessions", "api_key_hash": "API keys"}[role])
		}
	}
	for _, ring := range config.KeyringNames {
		s, d := src.Keyrings.Get(ring), dst.Keyrings.Get(ring)
		for _, id := range s.KeyIDs() {
			dk, ok := d.Keys[id]
			if !ok || !signing.ConstantTimeEqual([]byte(s.Keys[id]), []byte(dk)) {
				return fmt.Errorf("keyrings.%s: --to lacks key %s of --from (or holds another key under that id): the copied envelopes would not open", ring, id)
			}
		}
	}
	return nil
}
