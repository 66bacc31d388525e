package bolt_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore/bolt"
)

const crashChildEnv = "GATEHOUSE_BOLT_CRASH_CHILD_DB"

// TestHelperProcessCrashWriter is the child of TestCrashKeepsEveryReportedWrite:
// it does nothing unless started by it.
func TestHelperProcessCrashWriter(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("helper process for TestCrashKeepsEveryReportedWrite")
	}
	s, err := bolt.Open(path, bolt.Options{}) // default: fsync on every commit
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	for i := 0; i < 1000; i++ {
		u := user(i, fmt.Sprintf("crash%d@example.test", i))
		if err := s.CreateUser(bg, u); err != nil {
			fmt.Fprintln(os.Stderr, "create:", err)
			os.Exit(3)
		}
		// Reported only after CreateUser said the write is done.
		fmt.Fprintf(os.Stdout, "id %s\n", u.ID)
	}
	_ = s.Close()
	os.Exit(0)
}

// TestCrashKeepsEveryReportedWrite SIGKILLs a process that is writing
// users and checks that every user it reported as created survived.
func TestCrashKeepsEveryReportedWrite(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("running as the child")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessCrashWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})

	const killAfter = 300
	var ids []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if id, ok := strings.CutPrefix(line, "id "); ok {
			ids = append(ids, id)
			if len(ids) == killAfter && !killed {
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				killed = true
			}
		}
	}
	// Lines still in the pipe when the kill landed were printed after a
	// successful CreateUser too; the scan above read them all.
	waitErr := cmd.Wait()
	if !killed {
		t.Fatalf("child ended before %d writes: %v\n%s", killAfter, waitErr, stderr.String())
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Logf("child was not ended by the signal (it may have finished first): %v", waitErr)
	}
	t.Logf("child reported %d users before dying", len(ids))

	s, err := bolt.Open(path, bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer s.Close()
	for _, id := range ids {
		if _, err := s.GetUser(bg, id); err != nil {
			t.Errorf("user %s was reported created but is gone: %v", id, err)
		}
	}
	n, err := s.CountUsers(bg)
	if err != nil {
		t.Fatal(err)
	}
	if n < len(ids) || n > len(ids)+1 {
		t.Errorf("file holds %d users; reported %d (at most one more may have committed unreported)", n, len(ids))
	}
	list, err := s.ListUsers(bg, 0, 0)
	if err != nil || len(list) != n {
		t.Errorf("email index lists %d users, records %d: %v", len(list), n, err)
	}
}
