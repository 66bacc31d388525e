// Package hydratest runs a real ORY Hydra v2 (integration/README.md,
// "Hydra: the recipe") as the external OpenID provider of gatehouse's
// tests: one process per Start, in-memory storage, JWT access tokens,
// public and admin API on 127.0.0.1 with ports picked at run time, stopped
// by PID when the test ends. It registers client-credentials clients,
// fetches their access tokens and rotates the signing key.
//
// Only tests import it; gatehouse itself must never. It must never listen
// beyond loopback, hand Hydra the caller's environment, or log client
// secrets, tokens or the private keys Hydra's admin API returns.
package hydratest
