// Package proctest starts the external processes of gatehouse's
// integration tests (integration/README.md): on loopback ports picked at
// run time, each in its own process group, stopped by PID in t.Cleanup,
// its output (first MiB) logged only when the test failed. It also holds
// the skip-or-fail rule for missing tools (GATEHOUSE_REQUIRE_INTEGRATION)
// and the location of the tools cache scripts/build-*.sh fill.
//
// Only tests import it. It must never stop a process it did not start,
// by name or otherwise, nor leave one running after the test.
package proctest
