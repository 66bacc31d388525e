package command

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/app"
)

// CheckConfig runs `gatehouse check-config`: every problem on stdout,
// exit 1 when any is an error. In production mode it also connects to
// each Redis deployment the config uses and reports one that is
// unreachable or misconfigured (app.CheckRedis), and fetches the key set
// of each external_jwt issuer once (app.CheckExternalJWKS); it writes
// nothing.
func CheckConfig(env *Env, args []string) error {
	fs := newFlags("check-config")
	path := fs.String("config", "", "YAML config file")
	if _, err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *path == "" {
		return Usagef("check-config: --config is required")
	}
	cfg, err := config.Load(*path, env.Getenv)
	if err != nil {
		fmt.Fprintln(env.Stdout, err)
		return silentError{}
	}
	var problems []config.Problem
	if err := cfg.Validate(); err != nil {
		var ve *config.ValidationError
		if !errors.As(err, &ve) {
			fmt.Fprintln(env.Stdout, err)
			return silentError{}
		}
		problems = ve.Problems
	}
	if cfg.Mode == config.ModeProduction {
		// A production config is checked against the Redis it names,
		// section by section, unless the section is already wrong.
		problems = append(problems, app.CheckRedis(cfg, func(path string) bool {
			return hasErrorUnder(problems, path)
		})...)
		client := env.HTTPClient
		if client == nil {
			client = &http.Client{}
		}
		problems = append(problems, app.CheckExternalJWKS(context.Background(), cfg, client, func(path string) bool {
			return hasErrorUnder(problems, path)
		})...)
	}
	failed := false
	for _, p := range problems {
		kind := "error"
		if p.Warning {
			kind = "warning"
		} else {
			failed = true
		}
		fmt.Fprintf(env.Stdout, "%s: %s: %s\n", kind, p.Path, p.Message)
	}
	if failed {
		return silentError{}
	}
	fmt.Fprintln(env.Stdout, "ok")
	return nil
}

// hasErrorUnder reports whether an error (not a warning) names path or a
// key below it.
func hasErrorUnder(ps []config.Problem, path string) bool {
	for _, p := range ps {
		if !p.Warning && (p.Path == path || strings.HasPrefix(p.Path, path+".")) {
			return true
		}
	}
	return false
}
