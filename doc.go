// Command gatehouse is a forward-auth sidecar for reverse proxies (see
// README.md). Package main only wires: main.go picks the subcommand and
// calls internal/command, which runs it (serve through internal/serve, the
// store commands through admin, on a Core built by internal/app), and
// exits with its status. Nothing here decides anything.
//
// The tests in this directory build the binary and run it as a child
// process: they test the command as operators use it.
package main
