package proctest

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RequireEnv names the variable that turns a missing tool from a skip into
// a failure (CI sets GATEHOUSE_REQUIRE_INTEGRATION=1).
const RequireEnv = "GATEHOUSE_REQUIRE_INTEGRATION"

// RequireIntegration reports whether missing tools fail the tests.
func RequireIntegration() bool { return os.Getenv(RequireEnv) == "1" }

// Unavailable skips the test, or fails it when
// GATEHOUSE_REQUIRE_INTEGRATION=1.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if RequireIntegration() {
		t.Fatalf(RequireEnv+"=1: "+format, args...)
	}
	t.Skipf(format, args...)
}

// ToolsCache is where scripts/build-*.sh put the tools they build from the
// Go module proxy: $GATEHOUSE_TOOLS_CACHE, else /var/cache/gatehouse-tools
// (the same default as scripts/tools-cache.sh).
func ToolsCache() string {
	if c := os.Getenv("GATEHOUSE_TOOLS_CACHE"); c != "" {
		return c
	}
	return "/var/cache/gatehouse-tools"
}

// maxOutput bounds the output kept per process, so a chatty process under
// load cannot grow the test's memory.
const maxOutput = 1 << 20

// stopWithin is how long Stop waits after SIGTERM before SIGKILL.
const stopWithin = 5 * time.Second

// FreePort asks the kernel for a free loopback port and releases it.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Proc is a started process.
type Proc struct {
	Name string
	cmd  *exec.Cmd
	out  *output
	done chan struct{}
	once sync.Once
}

// Start starts cmd in its own process group with its output captured, and
// registers a cleanup that stops it and logs the output when the test
// failed.
func Start(t testing.TB, name string, cmd *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{Name: name, cmd: cmd, out: &output{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("----- %s output -----\n%s", name, p.out.String())
		}
	})
	return p
}

// Stop sends SIGTERM to the process group and SIGKILL after 5 s, and waits
// for the process to end. Later calls do nothing.
func (p *Proc) Stop() {
	p.once.Do(func() {
		pgid := p.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(stopWithin):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
	})
}

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Done is closed when the process has ended.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Output is what the process wrote so far (its first MiB).
func (p *Proc) Output() string { return p.out.String() }

// output collects a process's stdout and stderr across goroutines.
type output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if room := maxOutput - o.b.Len(); room > 0 {
		o.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}
