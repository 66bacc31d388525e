// Package serve runs `gatehouse serve`: it builds the verifier and the
// portal from a Core (internal/app), serves the three listeners (verifier,
// portal, admin), and keeps them running: SIGHUP reloads, SIGTERM and
// SIGINT drain and stop.
//
// It owns the server's lifecycle decisions:
//   - server.go: which shared store serves nonces, markers, counters and
//     revocations (memory or Redis), and what /readyz pings;
//   - options.go: the mapping of the config onto verifier.Options and
//     loginui.Options, written one field per line so a new option is one
//     new line, and checked for completeness by options_test.go;
//   - run.go: the listeners, their timeouts, the signal loop and the drain;
//   - reload.go: SIGHUP, all or nothing: every new piece is built first,
//     then all are swapped in; on any error nothing changes and the old
//     configuration keeps running (a changed external_jwt is such an
//     error: restart to change it);
//   - external.go: one key source per external_jwt issuer, the first
//     fetches at startup (parallel, bounded; an issuer that fails answers
//     503 until its refresher succeeds, gatehouse still starts), the
//     refreshers' lifetime and their logs;
//   - janitor.go: purging expired sessions and denylist rows;
//   - revocations.go: applying revocations other replicas publish (Redis);
//   - setup.go: the first-administrator setup link.
//
// Which writes drop which verifier cache entries is internal/coherence's
// decision; this package only puts its wrappers between the portal, the
// admin operations and the store.
//
// It must never parse flags or read environment variables itself (the
// caller passes Getenv), decide a request (that is the verifier's and the
// portal's job), or log a secret, token or setup link (the link goes to
// the terminal only).
package serve
