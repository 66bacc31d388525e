package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// userHZ is the unit of the CPU times in /proc/PID/stat: Linux reports
// them in USER_HZ, which is 100 on every architecture Go supports
// (sysconf(_SC_CLK_TCK)).
const userHZ = 100

// cpuTicks is a process's user and system CPU time in USER_HZ ticks.
type cpuTicks struct{ user, system uint64 }

// parseStat reads utime and stime (fields 14 and 15) from the text of
// /proc/PID/stat. The command name (field 2) is in parentheses and may
// hold spaces and parentheses itself, so fields are counted after the
// last ')'.
func parseStat(b []byte) (cpuTicks, error) {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return cpuTicks{}, errors.New("stat: no command field")
	}
	// After ")": field 3 (state) is the first.
	f := bytes.Fields(b[end+1:])
	if len(f) < 13 {
		return cpuTicks{}, errors.New("stat: too few fields")
	}
	u, err1 := strconv.ParseUint(string(f[11]), 10, 64)
	s, err2 := strconv.ParseUint(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return cpuTicks{}, errors.New("stat: utime/stime are not numbers")
	}
	return cpuTicks{user: u, system: s}, nil
}

// parseVmRSS reads VmRSS from the text of /proc/PID/status, in bytes.
func parseVmRSS(b []byte) (uint64, error) {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("status: unexpected VmRSS line %q", line)
		}
		kb, err := strconv.ParseUint(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("status: unexpected VmRSS line %q", line)
		}
		return kb << 10, nil
	}
	return 0, errors.New("status: no VmRSS line")
}

// cpuPerDecision is the server CPU time spent per completed request over
// an interval, in microseconds: (Δutime + Δstime) / requests.
func cpuPerDecision(before, after cpuTicks, requests int64) (float64, error) {
	if requests <= 0 {
		return 0, errors.New("no completed requests")
	}
	if after.user < before.user || after.system < before.system {
		return 0, errors.New("CPU time went backwards (another process?)")
	}
	ticks := (after.user - before.user) + (after.system - before.system)
	return float64(ticks) * (1e6 / userHZ) / float64(requests), nil
}

func readStat(pid int) (cpuTicks, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return cpuTicks{}, err
	}
	return parseStat(b)
}

func readRSS(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	return parseVmRSS(b)
}

// rssSampler records the largest VmRSS of a process while it runs.
type rssSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	max  uint64
	err  error
}

func sampleRSS(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{stop: make(chan struct{})}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			rss, err := readRSS(pid)
			if err != nil {
				s.err = err
				return
			}
			s.max = max(s.max, rss)
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Max stops sampling and returns the largest VmRSS seen.
func (s *rssSampler) Max() (uint64, error) {
	close(s.stop)
	s.done.Wait()
	return s.max, s.err
}

// server is a process loadbench started and stops by its PID.
type server struct {
	name string
	cmd  *exec.Cmd
	log  string // file holding its stdout and stderr
	exit chan error
}

func startServer(name, logPath string, bin string, args ...string) (*server, error) {
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &server{name: name, cmd: cmd, log: logPath, exit: make(chan error, 1)}
	go func() { s.exit <- cmd.Wait() }()
	return s, nil
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// alive reports whether the process has not exited yet.
func (s *server) alive() bool {
	select {
	case err := <-s.exit:
		s.exit <- err
		return false
	default:
		return true
	}
}

// stop sends SIGTERM to the PID, and SIGKILL when it has not exited
// within five seconds.
func (s *server) stop() {
	if !s.alive() {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exit:
		s.exit <- err
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		s.exit <- <-s.exit
	}
}

// logTail is the end of the server's log, for error messages.
func (s *server) logTail() string {
	b, err := os.ReadFile(s.log)
	if err != nil {
		return ""
	}
	const keep = 4 << 10
	if len(b) > keep {
		b = b[len(b)-keep:]
	}
	return string(b)
}
