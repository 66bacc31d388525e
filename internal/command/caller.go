package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/admin"
	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/app"
)

// caller runs an admin operation either in this process on the opened
// store or on a running server through its admin listener.
type caller struct {
	ops    *admin.Ops
	client *admin.Client
	close  func()
}

func (c *caller) call(ctx context.Context, op string, req, out any) error {
	if c.client != nil {
		return c.client.Call(ctx, op, req, out)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	res, err := admin.Dispatch(ctx, c.ops, op, body)
	if err != nil {
		return err
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// openCaller loads the config and opens the store, or finds the running
// server that holds it.
func openCaller(env *Env, sf stateFlags) (*caller, *config.Config, error) {
	cfg, err := sf.load(env)
	if err != nil {
		return nil, nil, err
	}
	core, err := app.Open(cfg, env.Stderr, true)
	if errors.Is(err, app.ErrStoreLocked) {
		ep, eerr := admin.ReadEndpoint(cfg.DataDir)
		if eerr != nil {
			return nil, nil, fmt.Errorf("the store in %s is locked by another process and no running gatehouse announced its admin listener", cfg.DataDir)
		}
		return &caller{client: &admin.Client{Endpoint: ep}, close: func() {}}, cfg, nil
	}
	if err != nil {
		return nil, nil, err
	}
	// Audit events of commands run on the file directly go to stderr.
	core.Ops.Log = app.NewLogger(cfg, env.Stderr).With().Str("component", "admin").Logger()
	return &caller{ops: core.Ops, close: core.Close}, cfg, nil
}
