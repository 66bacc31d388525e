// Package migrate copies every durable record of one keystore.Store into
// another (`gatehouse store migrate`; docs/design.md "Store migration"):
// bbolt to Redis, Redis to Redis (standalone, Sentinel or Cluster, any
// key prefix) and Redis to bbolt.
//
// What is copied: the denylist (revoked JWT ids, revoked refresh chains,
// spent refresh, reset and recovery tokens, login lockouts) with each
// entry's expiry, through keystore.Exporter; single-use markers with
// theirs when the source exports them (keystore.MarkerExporter) and the
// destination keeps them; every user with all its fields, and each
// user's sessions and refresh records, API keys and OAuth links, found
// through ListUsers and the per-user lists (every such record belongs to
// a user, since DeleteUser cascades). Sealed values are fields of those
// records and travel as the envelopes they are: the destination needs the
// same keyrings, and the same token_hash and api_key_hash secrets for the
// digests to match (the command checks both). Expired sessions and
// expired denylist entries and markers are not copied.
//
// It is the one writer of users and keys outside internal/accounts, on
// purpose: it copies records verbatim and must never apply the account
// service's creation policy (new ids, password rules, key caps, scope
// checks), which would rewrite them; it never mints a credential.
//
// Order: the denylist first, then markers, then each user followed by its
// records, so at no point of an interrupted run does the destination hold
// a credential without the revocations that apply to it.
//
// Guarantees:
//   - Exact copy through the destination's own Create methods and Deny,
//     which claim ids, emails and provider+subject and keep the indexes
//     exactly as a live write does: ids, digests, timestamps and every
//     field are kept, nothing bypasses a back-end's invariants.
//   - Idempotent and resumable: a record already in the destination and
//     equal (same stored encoding) is skipped; one present but different,
//     or whose unique email or owner is taken by something else, is a
//     conflict, reported by kind and id (never email, digest or envelope)
//     and fatal unless Options.AllowConflicts. Deny never shortens, so
//     the denylist copies again harmlessly. Running again after a crash
//     or Ctrl-C continues where the last run stopped.
//   - Refuses a destination that is the source (SameStore).
//   - Verification: after the copy it counts each kind, live as of one
//     cut-off time, in both stores; a difference is ErrMismatch.
//
// What it must never do: write to the source, hold a source transaction
// while it writes, print a stored value other than an id, or report
// success while a count differs or a conflict was not allowed.
package migrate
