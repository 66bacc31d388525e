// Command loadbench is `make bench`: it starts a built gatehouse and a
// no-op fasthttp server side by side, drives both with the same in-repo
// load generator (fasthttp client, fixed concurrency, loopback only), and
// prints req/s, p50 and p99 for each credential kind with the ratio to the
// no-op server. Every request it sends goes to 127.0.0.1.
package main
