// Package command implements gatehouse's subcommands: serve (flags, then
// internal/serve), check-config, the store commands (user, apikey, token,
// keys, backup), store migrate and proxyconf, with the command-line conventions they
// share: flags before or after positional arguments, "--" ending flags
// (parseFlags), one-line usage errors with exit status 2, and exit status
// 1 for every other failure (ExitCode).
//
// A store command runs its admin operation on the store directly, or,
// when a running server holds the store, through that server's admin
// listener (caller.go), so the server's caches see the change. store
// migrate is the exception: it opens both stores itself and refuses a
// bbolt file a server holds (store.go).
//
// It owns the command line only. It must never decide an admin
// operation's policy (that is admin's), read a password from an argument
// (only --password-stdin), or print a secret other than the one a command
// exists to show once (a new API key or token, on stdout).
package command
