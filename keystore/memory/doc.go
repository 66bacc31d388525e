// Package memory is the bounded, in-process store for gatehouse's
// ephemeral state — revoked token ids (keystore.Denylist), single-use
// markers such as signature nonces and TOTP replay guards
// (keystore.Markers) and fixed-window rate-limit counters
// (keystore.Counters) — for development and single-process deployments.
//
// Every kind holds at most Options.MaxEntries live keys. Expired entries
// are dropped lazily when touched and swept when a kind is full; when a
// kind is still full, a new key is refused with keystore.ErrFull while
// keys already present keep working. Callers must treat that error as a
// deny: a nonce or replay marker that cannot be recorded must not be
// accepted (fail closed).
//
// What it must never do: grow without bound, block a caller behind a slow
// operation (each shard's mutex guards only map work), allocate on
// IsDenied (the verifier calls it for every token), or keep memory the
// caller may reuse (a table keeps two keyed 64-bit hashes of each key, not
// the key: 24 bytes per entry and nothing for the garbage collector to scan). Nothing here survives a
// restart: revocations that must outlive the process also go to the
// durable store (docs/design.md "State"), and several replicas need the Redis back-end.
// The store returns only booleans, counts and durations, so there is no
// returned data whose lifetime matters.
package memory
