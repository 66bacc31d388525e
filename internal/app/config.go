package app

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gatehouse/gatehouse/config"
)

// LoadConfig reads the config file at path, or builds the zero-config
// defaults when path is empty, applies dataDir when set, and creates the
// data directory (0700); in development it also fills missing secrets from,
// or generates them into, <data_dir>/secrets.yaml.
func LoadConfig(path, dataDir string, getenv func(string) string) (*config.Config, error) {
	var cfg *config.Config
	if path != "" {
		c, err := config.Load(path, getenv)
		if err != nil {
			return nil, err
		}
		cfg = c
	} else {
		cfg = config.FromDefaults(getenv)
	}
	if dataDir != "" {
		cfg.DataDir = dataDir
	}
	if _, err := config.EnsureDataDir(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Validate reports config problems: warnings go to w, errors fail, all of
// them in one error.
func Validate(cfg *config.Config, w io.Writer) error {
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
