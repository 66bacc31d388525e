package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `gatehouse — forward-auth sidecar for reverse proxies

Usage:
  gatehouse serve [--config FILE] [--data-dir DIR]
  gatehouse check-config --config FILE
  gatehouse user add --email E --password-stdin [--roles a,b] [--superuser] [--verified] [--name N]
  gatehouse user list [--json]
  gatehouse user set-password --email E --password-stdin
  gatehouse user set-roles --email E --roles a,b
  gatehouse user disable|enable|delete --email E
  gatehouse apikey create --user E --name N --scopes a,b [--expires DUR] [--signing-required]
  gatehouse apikey list --user E [--json]
  gatehouse apikey revoke KEY_ID
  gatehouse token issue --user E [--lifetime 15m]
  gatehouse keys status|rotate|reencrypt [--ring NAME]
  gatehouse proxyconf nginx|traefik|caddy|envoy|haproxy [flags]
  gatehouse backup FILE
  gatehouse version

Every command that reads state takes --config FILE and --data-dir DIR
(env GATEHOUSE_DATA_DIR). Store commands work whether or not serve runs:
with a running server they go through its admin listener.
`

// exitUsage is the exit status for bad flags or arguments.
const exitUsage = 2

// usageError marks a command-line mistake: one line on stderr, exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	env := &cmdEnv{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = cmdServe(env, rest)
	case "check-config":
		err = cmdCheckConfig(env, rest)
	case "user":
		err = cmdUser(env, rest)
	case "apikey":
		err = cmdAPIKey(env, rest)
	case "token":
		err = cmdToken(env, rest)
	case "keys":
		err = cmdKeys(env, rest)
	case "proxyconf":
		err = cmdProxyconf(env, rest)
	case "backup":
		err = cmdBackup(env, rest)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "gatehouse", buildVersion())
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
	default:
		err = usagef("unknown command %q (see 'gatehouse help')", cmd)
	}
	return exitCode(err, stderr)
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, flag.ErrHelp) {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "gatehouse:", firstLine(err.Error()))
		}
		return exitUsage
	}
	var se silentError
	if errors.As(err, &se) {
		return 1
	}
	fmt.Fprintln(stderr, "gatehouse:", err)
	return 1
}

// silentError exits 1 after the command already explained itself.
type silentError struct{}

func (silentError) Error() string { return "failed" }

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

// cmdEnv is what a subcommand may touch of the process.
type cmdEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
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
				return nil, usagef("%s: see 'gatehouse help'", fs.Name())
			}
			return nil, usagef("%s: %v", fs.Name(), err)
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
			return nil, usagef("%s: unexpected argument %q", fs.Name(), pos[nargs])
		}
		return nil, usagef("%s: missing argument", fs.Name())
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
