// Package redis is the Redis back-end of gatehouse's state: the durable
// keystore.Store (users, sessions, API keys, OAuth links, sealed
// envelopes, the revocation denylist) and the shared ephemeral state
// (keystore.Denylist, keystore.Markers, keystore.Counters) that several
// replicas behind a load balancer must agree on. It runs against Redis
// 7.0 or newer (PXAT, PEXPIRE NX/GT), standalone, behind Sentinel or as a
// Cluster, through go-redis.
//
// Topologies. Options names exactly one: URL (go-redis NewClient on
// ParseURL), Sentinel (NewFailoverClient: the sentinels name the primary
// and the client follows it across failovers) or Cluster
// (NewClusterClient: the client learns nodes and slots from the seeds,
// and reloads the slot map when a node stops answering, so it finds the
// replica that took over a killed primary's slots; clusterreload.go).
// TLS, the pool size and the dial, read and write timeouts apply to each;
// the config package's state.redis and shared.redis sections map onto
// Options one key to one field (README "Running several replicas").
// Ping asks the server, the current primary, or every Cluster primary (a
// primary that is down leaves its slots unreachable), so /readyz fails
// while any of them does. Check adds what check-config needs: Redis 7.0 or
// newer, a primary rather than a replica, the configured topology
// (a URL at a Cluster node is refused), cluster_state:ok.
//
// Guarantees:
//   - Every unique claim (user id, folded email, session digest, API key
//     id, provider+subject), every index update and every cascade
//     (DeleteUser removes the user's sessions, API keys and OAuth links)
//     runs inside one Lua script, which Redis executes atomically: two
//     replicas creating the same email get exactly one winner. Record
//     updates read, change and write back through a compare-and-swap
//     script on the whole stored value, retried a bounded number of times
//     with a short jittered wait; each retry re-reads the record and
//     re-applies only the caller's change (UpdateUser and UpdateAPIKey
//     take a function, not a record), so a concurrent change is never
//     overwritten and a deleted record is never recreated.
//   - A write is done when the call returns: the server has applied it
//     and answered. Whether it survives a Redis restart is the operator's
//     persistence setting (AOF with appendfsync everysec or always, RDB
//     snapshots, replicas); gatehouse does not change it. Run the durable
//     state on a Redis that persists.
//   - Acknowledged means replicated, when asked (Options.MinReplicasAck,
//     config state.redis.min_replicas_ack): with N > 0 every durable
//     write is sent in one pipeline with WAIT N timeout on the same
//     connection — on a Cluster, the connection of the primary that owns
//     the written key (ClusterClient.MasterForKey), since WAIT counts the
//     replicas that have this connection's writes, and a go-redis Cluster
//     client would send a keyless WAIT to every shard (its routing policy
//     for WAIT is all shards, minimum of the answers) on pooled
//     connections that did not write. Durable here means users,
//     sessions, API keys, OAuth links, sealed-envelope swaps, denylist
//     entries (Deny) and single-use markers (SetIfAbsent: a marker lost
//     in a failover would let a used reset token, nonce or TOTP code be
//     used again). Writes that only record when a credential was last
//     used (TouchSession, TouchAPIKey), rate-limit counters (Incr) and
//     index repair (expired-session purges) never wait: losing one in a
//     failover weakens nothing, and they run on the request path. A write
//     that fewer than N replicas confirm within the timeout returns
//     ErrNotReplicated, which callers treat as any store failure (the
//     portal and the API answer 503, the verifier denies). The write DID
//     happen on the primary: the caller saw an error, yet the record may
//     exist now and may survive a failover or be lost in one. Callers
//     must therefore retry idempotently — a retried CreateUser may find
//     its own record (ErrDuplicate), a retried revocation is harmless, a
//     marker stays set so its single-use value is spent (fail closed) —
//     and must never report the change as done. WAIT only covers a
//     failover to a replica that has the write (Sentinel promotes the
//     replica with the most data); it does not make a write survive the
//     loss of every node, which is persistence's job (README "Running
//     several replicas"). N replicas must stay up for writes to succeed:
//     to keep writing after losing the primary with N = 1, run two
//     replicas.
//   - Commands are never retried by the client (Open sets MaxRetries -1
//     on every topology, and MaxRedirects -1 on a Cluster client, whose
//     redirect loop would otherwise also resend a command after a lost
//     reply; do the same on a client passed to NewFromClient): a write
//     whose reply was lost is an error to the caller, not a second
//     application that would turn a successful CreateUser into
//     ErrDuplicate or a fresh nonce into a replay. A MOVED reply still
//     makes the Cluster client reload its slot map, so the next call
//     reaches the new owner.
//   - Any failure to reach the server is an error, never a false "not
//     denied", "absent" or "not found": callers fail closed. Calls after
//     Close return keystore.ErrClosed.
//   - Deny stores the entry and publishes the id on <prefix>revocations in
//     the same script; SubscribeRevocations (or WatchRevocations) hands
//     each published id to a replica's verifier cache, reconnecting on its
//     own, so every replica drops a revoked entry within a second.
//   - Records are one binary value per key with a leading format byte;
//     decoders refuse what they do not know and verify that a record
//     belongs to the key it was read from. A corrupt value is an error.
//     The layouts are shared with keystore/bolt (keystore/internal/record);
//     only the format bytes differ.
//
// Keys. Everything starts with the prefix (Options.Prefix, default
// "gatehouse:"). Durable records live under <prefix>{state}: — users
// (user:<id>), the email index (email:<folded>), sessions
// (sess:<hex digest>, expiring in Redis one minute after ExpiresAt), API
// keys (key:<id>), OAuth links (link:<provider>\x00<subject>), per-user
// sorted-set indexes (usess:, ukeys: by CreatedAt, ulinks:) and global
// indexes (users, keys, links, sessexp). Ephemeral keys are
// <prefix>deny:<id>, <prefix>mark:<key> and <prefix>ctr:<key>.
//
// Cluster. The {state} hash tag puts all durable records in one slot, so
// the multi-key scripts work in Cluster mode; the price is that durable
// state lives on one shard (users and sessions are small). Ephemeral keys
// carry no tag and spread across the cluster; each operation on them
// touches a single key. EachSealed walks the global indexes, not SCAN, so
// it sees every record in Cluster mode too.
//
// Revocations on a Cluster use ordinary Pub/Sub (PUBLISH, SUBSCRIBE), not
// sharded Pub/Sub (SPUBLISH, SSUBSCRIBE). Deny sets the denylist entry and
// publishes in one script; a script may only SPUBLISH to a shard channel
// in the slot of its keys, so sharded Pub/Sub would force every denylist
// entry into the channel's slot, on one primary. An ordinary PUBLISH from
// any node is forwarded over the cluster bus to every node, so a
// subscriber on any node hears it, and the subscription needs no change
// when slots move. The cost — each message crosses the bus to every node —
// is small for revocations, which are rare next to reads. On Sentinel the
// subscription lives on the current primary; after a failover it
// reconnects (to the new primary) and the watch's Subscribed hook empties
// the caches, since messages published meanwhile are lost.
//
// What it must never do: put a stored value — email, password hash,
// envelope, digest — or the connection URL (it may hold a password) into
// an error message; hand out memory a later call could change (every
// returned record is decoded afresh and owned by the caller; strings may
// share the immutable reply buffer, byte slices are copies); accept keys
// beyond the bounds (ids 1024 bytes, digests 64, ephemeral keys
// MaxKeyLen); or report success for a write the server did not confirm.
package redis
