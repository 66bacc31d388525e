package command

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Usage is the text of `gatehouse help`.
const Usage = `gatehouse — forward-auth sidecar for reverse proxies

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
  gatehouse store migrate --from OLD.yml --to NEW.yml [--from-data-dir DIR] [--to-data-dir DIR] [--allow-conflicts] [--workers 8]
  gatehouse version

Every command that reads state takes --config FILE and --data-dir DIR
(env GATEHOUSE_DATA_DIR). Store commands work whether or not serve runs:
with a running server they go through its admin listener.

store migrate copies every durable record (users, sessions, API keys, OAuth
links, the denylist) from the store OLD.yml's state section names to the one
NEW.yml's names, then compares the counts. Stop the servers using the source
first. Running it again continues an interrupted copy; a record already in
the destination but different is a conflict (exit 1 unless --allow-conflicts).
`

// ExitUsage is the exit status for bad flags or arguments.
const ExitUsage = 2

// Env is what a subcommand may touch of the process.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// HTTPClient does check-config's fetches of external issuers' key
	// sets; nil means a plain client with the host's trust store.
	HTTPClient *http.Client
}

// usageError marks a command-line mistake: one line on stderr, exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Usagef reports a command-line mistake (exit 2).
func Usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// silentError exits 1 after the command already explained itself.
type silentError struct{}

func (silentError) Error() string { return "failed" }

// ExitCode reports err on stderr and returns the process exit status: 0
// for nil, 2 (one line) for a usage error, 1 for any other failure (not
// repeated when the command already explained itself).
func ExitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, flag.ErrHelp) {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "gatehouse:", firstLine(err.Error()))
		}
		return ExitUsage
	}
	var se silentError
	if errors.As(err, &se) {
		return 1
	}
	fmt.Fprintln(stderr, "gatehouse:", err)
	return 1
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
