package command

import (
	"errors"
	"flag"
	"io"
	"strings"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/internal/app"
)

// stateFlags are the flags every state-reading command takes.
type stateFlags struct {
	config  string
	dataDir string
}

func (s *stateFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.config, "config", "", "YAML config file (default: zero-config development)")
	fs.StringVar(&s.dataDir, "data-dir", "", "data directory (env GATEHOUSE_DATA_DIR; default ./gatehouse-data)")
}

// load reads the config the flags name (see app.LoadConfig).
func (s stateFlags) load(env *Env) (*config.Config, error) {
	return app.LoadConfig(s.config, s.dataDir, env.Getenv)
}

// newFlags makes a flag set that reports mistakes as one-line usage errors.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args and turns flag errors into usage errors; nargs
// is the exact number of positional arguments wanted (-1: any).
// Flags may come before or after positional arguments; "--" ends flags,
// so every later argument is positional even when it begins with '-'
// (`gatehouse apikey revoke -- -abc`). It returns the positional
// arguments.
func parseFlags(fs *flag.FlagSet, args []string, nargs int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, Usagef("%s: see 'gatehouse help'", fs.Name())
			}
			return nil, Usagef("%s: %v", fs.Name(), err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if endedAtTerminator(fs, args[:len(args)-len(rest)]) {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if nargs >= 0 && len(pos) != nargs {
		if len(pos) > nargs {
			return nil, Usagef("%s: unexpected argument %q", fs.Name(), pos[nargs])
		}
		return nil, Usagef("%s: missing argument", fs.Name())
	}
	return pos, nil
}

// endedAtTerminator reports whether fs.Parse, having consumed parsed,
// stopped at a "--" of its own rather than at a positional argument. It
// walks parsed as the flag package does, so a "--" that is the value of a
// flag (`--name --`) is not taken for the terminator.
func endedAtTerminator(fs *flag.FlagSet, parsed []string) bool {
	for i := 0; i < len(parsed); i++ {
		a := parsed[i]
		if a == "--" {
			return i == len(parsed)-1
		}
		name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			continue
		}
		i++ // the flag's value
	}
	return false
}
