package command

import (
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/config"
)

// CheckConfig runs `gatehouse check-config`: every problem on stdout,
// exit 1 when any is an error.
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
	if err := cfg.Validate(); err != nil {
		var ve *config.ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Problems {
				kind := "error"
				if p.Warning {
					kind = "warning"
				}
				fmt.Fprintf(env.Stdout, "%s: %s: %s\n", kind, p.Path, p.Message)
			}
			if len(ve.Errors()) > 0 {
				return silentError{}
			}
		} else {
			fmt.Fprintln(env.Stdout, err)
			return silentError{}
		}
	}
	fmt.Fprintln(env.Stdout, "ok")
	return nil
}
