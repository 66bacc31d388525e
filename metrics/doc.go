// Package metrics exposes gatehouse's Prometheus metrics: verifier
// decisions by dialect, outcome and credential kind, decision latency,
// store errors and rate-limit hits. It is served on the admin listener.
//
// Label values come from fixed enumerations only (never from request
// data), so cardinality stays bounded and no identifier is ever exported.
package metrics
