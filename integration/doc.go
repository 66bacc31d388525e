// Package integration holds end-to-end tests that put a built gatehouse
// behind real reverse proxies — nginx, Caddy, HAProxy and Traefik's own
// ForwardAuth code — and check the whole path client → proxy → gatehouse →
// upstream, plus contract tests for Envoy's ext_authz (Envoy itself cannot
// be installed on the build machines).
//
// Every proxy configuration comes from `gatehouse proxyconf`, never from a
// hand-written file. Tests pick ports at run time, kill what they start in
// t.Cleanup and print process logs only on failure. A missing proxy binary
// skips its test, unless GATEHOUSE_REQUIRE_INTEGRATION=1, which turns the
// skip into a failure (CI sets it). See README.md for the Traefik build.
//
// These tests must never talk to anything but 127.0.0.1.
package integration
