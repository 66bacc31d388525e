// Package app turns a loaded configuration into the running pieces every
// gatehouse command shares: the durable store (bbolt or Redis), the
// password and API-key hashers, the keyrings, the access-token keys, issuer
// and verifier, and the admin operations on top of them (Core). It also
// loads the configuration for the commands (LoadConfig, Validate) and
// builds the process logger (NewLogger).
//
// It owns the decisions about key material at start: which access-token
// key signs (tokens.access.active_kid, never a fallback to another key),
// and the Gatehouse-Assertion key generated into the data directory on
// first use.
//
// It must never serve a request, parse command-line flags, print to a
// terminal (warnings go to the writer it is given) or log a secret. It
// holds no process-wide state: two Cores for two configs can coexist.
package app
