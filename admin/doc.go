// Package admin is gatehouse's administration surface: the operations
// behind `gatehouse user|apikey|token|keys|backup` (one implementation,
// run either directly on the store or inside a running server), the admin
// listener's HTTP handler (/healthz, /readyz, /metrics and the loopback
// command endpoint authenticated by the data directory's admin token), and
// the client the CLI uses to reach a running server.
//
// It never logs or returns secrets other than the one a command exists to
// print once (a new API key, an issued token), and it never accepts
// command requests from a non-loopback peer.
package admin
