// Package keystore holds gatehouse's durable and shared state: the storage
// contracts that the verifier (reads) and the portal (writes) depend on,
// their bbolt (keystore/bolt) and Redis back-ends, the bounded in-process
// store for ephemeral state (keystore/memory) and one contract suite
// (keystore/storetest) that every back-end must pass. It is also the one
// home of the Session.AuthMethod grammar (authmethod.go, ParseAuthMethod),
// which the verifier's auth_methods rules and the portal both read.
//
// It never logs secrets or raw tokens: only digests and envelopes are
// stored, and errors name keys, never stored values.
package keystore
