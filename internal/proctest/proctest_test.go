package proctest_test

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/proctest"
)

// TestStopEndsTheWholeProcessGroup prevents a test leaving a server's
// children behind: Stop reaches a grandchild through the process group.
func TestStopEndsTheWholeProcessGroup(t *testing.T) {
	sh := needSh(t)
	p := proctest.Start(t, "sh", exec.Command(sh, "-c", `sleep 300 & echo "child $!"; wait`))
	var child int
	for child == 0 && !p.Exited() {
		time.Sleep(10 * time.Millisecond)
		if out := p.Output(); strings.HasPrefix(out, "child ") && strings.HasSuffix(out, "\n") {
			for _, c := range strings.TrimSpace(strings.TrimPrefix(out, "child ")) {
				child = child*10 + int(c-'0')
			}
		}
	}
	if child == 0 {
		t.Fatalf("no child pid; output %q", p.Output())
	}
	p.Stop()
	if !p.Exited() {
		t.Fatal("process still running after Stop")
	}
	// The grandchild got the signal with the group; once dead it may stay a
	// zombie until init reaps it, which counts as ended.
	deadline := time.Now().Add(10 * time.Second)
	for alive(child) {
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d survived Stop", child)
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.Stop() // a second Stop (as t.Cleanup does) is harmless
}

// TestOutputIsBounded prevents a chatty process from growing the test's
// memory without bound.
func TestOutputIsBounded(t *testing.T) {
	sh := needSh(t)
	p := proctest.Start(t, "yes", exec.Command(sh, "-c", `head -c 3000000 /dev/zero`))
	<-p.Done()
	if n := len(p.Output()); n != 1<<20 {
		t.Fatalf("kept %d bytes of 3000000, want 1 MiB", n)
	}
}

// alive reports whether pid runs (exists and is not a zombie).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) state ...: the state follows the last ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

func needSh(t *testing.T) string {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	return sh
}
