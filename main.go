package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/gatehouse/gatehouse/internal/command"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run picks the subcommand, runs it and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, command.Usage)
		return command.ExitUsage
	}
	env := &command.Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = command.Serve(env, rest)
	case "check-config":
		err = command.CheckConfig(env, rest)
	case "user":
		err = command.User(env, rest)
	case "apikey":
		err = command.APIKey(env, rest)
	case "passkey":
		err = command.Passkey(env, rest)
	case "token":
		err = command.Token(env, rest)
	case "keys":
		err = command.Keys(env, rest)
	case "proxyconf":
		err = command.Proxyconf(env, rest)
	case "backup":
		err = command.Backup(env, rest)
	case "store":
		err = command.Store(env, rest)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "gatehouse", buildVersion())
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, command.Usage)
	default:
		err = command.Usagef("unknown command %q (see 'gatehouse help')", cmd)
	}
	return command.ExitCode(err, stderr)
}

// buildVersion is the -ldflags version, else the module version, else
// "dev".
func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}
