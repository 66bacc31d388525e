package main

import (
	"math"
	"os"
	"testing"
)

func TestParseStat(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want cpuTicks
		ok   bool
	}{
		{"plain", "7482 (cat) R 7479 7479 22736 0 -1 4194304 128 0 0 0 1234 567 0 0 20 0 1 0 995888 3133440 409", cpuTicks{1234, 567}, true},
		// The command may contain spaces and ")": fields count after the last one.
		{"command with ) and spaces", "42 (a) b (c)) S 1 1 1 0 -1 0 0 0 0 0 7 8 0 0 20 0 9 0 1 2 3", cpuTicks{7, 8}, true},
		{"no command", "42 S 1 1 1", cpuTicks{}, false},
		{"truncated", "42 (x) S 1 1 1 0 -1 0 0 0 0 0 7", cpuTicks{}, false},
		{"not numbers", "42 (x) S 1 1 1 0 -1 0 0 0 0 0 a b 0 0", cpuTicks{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseStat([]byte(c.in))
			if (err == nil) != c.ok || got != c.want {
				t.Errorf("parseStat = %+v, %v; want %+v, ok=%v", got, err, c.want, c.ok)
			}
		})
	}
}

func TestParseVmRSS(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want uint64
		ok   bool
	}{
		{"status file", "Name:\tgatehouse\nVmPeak:\t 2000 kB\nVmRSS:\t   86016 kB\nRssAnon:\t 1 kB\n", 86016 << 10, true},
		{"last line without newline", "Name:\tx\nVmRSS:\t12 kB", 12 << 10, true},
		{"kernel thread has none", "Name:\tkthreadd\nState:\tS\n", 0, false},
		{"other unit", "VmRSS:\t12 MB\n", 0, false},
		{"not a number", "VmRSS:\tlots kB\n", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseVmRSS([]byte(c.in))
			if (err == nil) != c.ok || got != c.want {
				t.Errorf("parseVmRSS = %d, %v; want %d, ok=%v", got, err, c.want, c.ok)
			}
		})
	}
}

func TestCPUPerDecision(t *testing.T) {
	cases := []struct {
		name          string
		before, after cpuTicks
		requests      int64
		want          float64 // µs
		ok            bool
	}{
		// 150 + 50 ticks of 10 ms = 2 s for 100 000 requests: 20 µs each.
		{"user and system time add up", cpuTicks{100, 50}, cpuTicks{250, 100}, 100000, 20, true},
		{"only user time", cpuTicks{0, 0}, cpuTicks{63, 0}, 100000, 6.3, true},
		{"no CPU used", cpuTicks{5, 5}, cpuTicks{5, 5}, 10, 0, true},
		{"no request completed", cpuTicks{0, 0}, cpuTicks{10, 0}, 0, 0, false},
		{"user time went backwards", cpuTicks{10, 0}, cpuTicks{9, 5}, 10, 0, false},
		{"system time went backwards", cpuTicks{0, 10}, cpuTicks{5, 9}, 10, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := cpuPerDecision(c.before, c.after, c.requests)
			if (err == nil) != c.ok || math.Abs(got-c.want) > 1e-9 {
				t.Errorf("cpuPerDecision = %v, %v; want %v, ok=%v", got, err, c.want, c.ok)
			}
		})
	}
}

// TestReadOwnProc reads this process's own /proc files, so the parsers
// are also checked against the running kernel's format.
func TestReadOwnProc(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if _, err := readStat(os.Getpid()); err != nil {
		t.Errorf("readStat: %v", err)
	}
	if rss, err := readRSS(os.Getpid()); err != nil || rss == 0 {
		t.Errorf("readRSS = %d, %v", rss, err)
	}
}
