// Command gatehouse is a forward-auth sidecar for reverse proxies (see
// README.md). Package main holds only the command: main.go parses
// subcommands and flags, commands.go runs the store commands (directly or
// through a running server's admin listener), wiring.go turns a config into
// the store and crypto objects, serve.go runs the three listeners and
// handles signals, notify.go keeps the verifier's caches in step with
// writes made in this process, proxyconf_cmd.go maps the config onto
// proxyconf. Decisions live in the packages; this one wires them.
package main
