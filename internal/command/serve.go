package command

import (
	"errors"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/serve"
)

// Serve runs `gatehouse serve`: it opens the store and runs the server
// until a signal stops it.
func Serve(env *Env, args []string) error {
	fs := newFlags("serve")
	var sf stateFlags
	sf.register(fs)
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	cfg, err := sf.load(env)
	if err != nil {
		return err
	}
	log := app.NewLogger(cfg, env.Stderr)
	goredis.SetLogger(app.RedisLogger{L: log.With().Str("component", "redis").Logger()})
	c, err := app.Open(cfg, env.Stderr, false)
	if errors.Is(err, app.ErrStoreLocked) {
		return fmt.Errorf("the store in %s is held by another process (is gatehouse already running?)", cfg.DataDir)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	s, err := serve.New(cfg, c, log, serve.Options{
		ConfigPath: sf.config,
		Getenv:     env.Getenv,
		Stderr:     env.Stderr,
	})
	if err != nil {
		return err
	}
	return s.Run()
}
