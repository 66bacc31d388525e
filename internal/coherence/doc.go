// Package coherence keeps the verifier's caches in step with writes made
// in this process. The verifier caches users, sessions, API keys and
// denylist answers for a second (docs/design.md, "State"); the portal and
// the admin commands write through Store (and Denylist, when the denylist
// is a separate shared store), which drops the affected cache entry as
// soon as a write succeeds, so a logout, a password change or a
// revocation takes effect at once rather than within that second.
//
// It owns one policy: which store write drops which cache entry (see the
// table in store.go and its test). Revocations made by other replicas are
// not its concern: they arrive over Redis pub/sub (internal/serve).
//
// It must never change what is written, retry, swallow or rewrite a store
// error, or drop an entry for a write that failed.
package coherence
