package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gatehouse/gatehouse/internal/proctest"
)

var (
	// gatehouseBin is the binary TestMain built, empty when the build failed.
	gatehouseBin string
	// buildErr explains why gatehouseBin is empty.
	buildErr error
)

// TestMain builds gatehouse once for every test in the package.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gatehouse-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin := filepath.Join(dir, "gatehouse")
	cmd := exec.Command("go", "build", "-o", bin, "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		buildErr = fmt.Errorf("go build ..: %v\n%s", err, out)
	} else {
		gatehouseBin = bin
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireIntegration reports whether missing pieces must fail the run.
func requireIntegration() bool { return proctest.RequireIntegration() }

// unavailable skips the test, or fails it when GATEHOUSE_REQUIRE_INTEGRATION=1.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	proctest.Unavailable(t, format, args...)
}

// needGatehouse stops the test when the binary could not be built.
func needGatehouse(t testing.TB) {
	t.Helper()
	if gatehouseBin == "" {
		unavailable(t, "gatehouse binary not built: %v", buildErr)
	}
}

// needBinary returns the path of a proxy binary or stops the test.
func needBinary(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		unavailable(t, "%s not installed (apt-get install -y %s)", name, name)
	}
	return p
}
