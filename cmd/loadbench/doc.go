// Command loadbench is `make bench`: it starts a built gatehouse (one
// instance per access-token algorithm, one for signed requests, and two
// trusting an external issuer, with and without the verified-token cache;
// the issuer is this process, serving its JWKS on loopback) and a
// no-op fasthttp server (this binary with --noop: 200, empty body) on
// loopback ports picked at run time, drives every row with the same wrk
// load (`wrk -t2 -c64 --latency`, a warm-up run, then the measured run),
// and prints a markdown table (or JSON with --json): req/s, ratio to the
// no-op of the same pass, server CPU µs per decision (utime+stime from
// /proc/PID/stat over the measured run divided by completed requests),
// p50/p99, the count of statuses above 399, and VmRSS at idle and the
// largest under load.
//
// A pass is the no-op, every kind, and the no-op again; when the two no-op
// figures differ by more than --max-drift the pass is repeated, at most
// --retries times, and then kept and marked unstable. Every answer must
// have the expected status (200, or 401 for the denied row): one request
// is checked before loading, every answer of the warm-up run is checked by
// the Lua response hook, and the measured run by wrk's count of statuses
// above 399. Signed requests (LSA1) need a fresh nonce each: they are
// signed ahead with the signing package and lua/bench.lua cycles through
// them; their ratio is to the no-op driven by the same script.
//
// It never runs from `go test`; its tests cover the parsing, the drift
// rule and the CPU arithmetic. Every request it sends goes to 127.0.0.1,
// and it stops what it started by PID.
package main
