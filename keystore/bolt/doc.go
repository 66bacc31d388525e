// Package bolt is the default durable back-end of keystore.Store: one
// bbolt file (users, sessions, API keys, OAuth links, the revocation
// denylist) that a single gatehouse process opens exclusively.
//
// Guarantees:
//   - Every write runs in its own bbolt write transaction and is committed
//     and fsynced before the method returns (Options.NoSync, for tests
//     only, drops the fsync). Unique keys (user id, folded email, session
//     digest, API key id, provider+subject) are checked and claimed in the
//     same transaction that writes the record, and DeleteUser removes the
//     user's sessions, API keys and OAuth links in that transaction too.
//   - The file is created with mode 0600 (an existing file is tightened to
//     0600) and the file lock is waited for at most Options.Timeout; a
//     second process gets an error naming the file as held, never a hang.
//   - The file carries a schema version in the meta bucket. Open applies
//     pending migrations in one transaction and refuses a file written by
//     a newer build. Records start with a format byte and decoders refuse
//     formats they do not know: a corrupt record is an error (callers fail
//     closed), never a guess. The layouts of users, sessions, API keys and
//     OAuth links are shared with keystore/redis (keystore/internal/record);
//     the denylist's expiry records are this package's own.
//   - Backup and BackupFile copy the file from one read transaction while
//     the store keeps serving.
//   - UpdateUser and UpdateAPIKey read the record, apply the caller's
//     change function and write the result in one write transaction, so
//     concurrent changes of different fields all land and a record deleted
//     meanwhile is ErrNotFound, never recreated.
//
// What it must never do: return memory that aliases the memory-mapped
// file (bbolt's Get results die with their transaction; every returned
// record, slice and string here is a fresh copy the caller owns and may
// keep and modify indefinitely), hold a transaction open across a caller
// callback (EachSealed and EachDenied read in batches and call back
// outside any transaction) other than the change function of UpdateUser and
// UpdateAPIKey, which by contract only sets fields of a decoded copy and
// never calls back into the store, or put a stored value — email, password hash, envelope,
// digest — into an error message. Errors name record ids and wrap the
// keystore sentinels, so callers test them with errors.Is.
package bolt
