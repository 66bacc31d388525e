package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseWrk(t *testing.T) {
	cases := []struct {
		file string
		want wrkResult
	}{
		{"wrk-ok.txt", wrkResult{Requests: 72309, Duration: 1002670 * time.Microsecond,
			P50: 702 * time.Microsecond, P99: 2420 * time.Microsecond}},
		{"wrk-status.txt", wrkResult{Requests: 1316, Duration: 1100810 * time.Microsecond, Non2xx: 1316,
			P50: 3750 * time.Microsecond, P99: 15370 * time.Microsecond, Unexpected: 1316, FirstStatus: 404}},
		{"wrk-socket.txt", wrkResult{Requests: 9224, Duration: 1003458 * time.Microsecond,
			Socket: socketErrors{Read: 18449}, P50: 51 * time.Microsecond, P99: 2670 * time.Microsecond}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseWrk(b)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("parseWrk:\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestParseWrkRefusesIncompleteOutput(t *testing.T) {
	full, err := os.ReadFile(filepath.Join("testdata", "wrk-ok.txt"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, drop string
	}{
		{"no request count", "requests in"},
		{"no 50th percentile", "50%"},
		{"no 99th percentile", "99%"},
		{"no Lua hook line", "loadbench:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var kept []string
			for _, l := range strings.Split(string(full), "\n") {
				if !strings.Contains(l, c.drop) {
					kept = append(kept, l)
				}
			}
			if _, err := parseWrk([]byte(strings.Join(kept, "\n"))); err == nil {
				t.Errorf("parseWrk accepted output without %q", c.drop)
			}
		})
	}
	if _, err := parseWrk([]byte("loadbench: unexpected=0 first=0 wrapped=0 duration_us=0\n  5 requests in 0.00s, 1KB read\n  50%  1.00ms\n  99%  2.00ms\n")); err == nil {
		t.Error("parseWrk accepted a zero run time")
	}
}

func TestParseWrkTime(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"702.00us", 702 * time.Microsecond, true},
		{"1.13ms", 1130 * time.Microsecond, true},
		{"0.94ms", 940 * time.Microsecond, true},
		{"10.00s", 10 * time.Second, true},
		{"1.50m", 90 * time.Second, true},
		{"2.00h", 2 * time.Hour, true},
		{"5", 0, false},
		{"ms", 0, false},
		{"1.0ns", 0, false},
		{"-1.0ms", 0, false},
	}
	for _, c := range cases {
		got, err := parseWrkTime(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseWrkTime(%q) = %v, %v; want %v, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestCheckRun(t *testing.T) {
	ok := wrkResult{Requests: 1000, Duration: time.Second}
	with := func(f func(*wrkResult)) wrkResult { r := ok; f(&r); return r }
	cases := []struct {
		name    string
		r       wrkResult
		want    int
		checked bool
		reuseOK bool
		fails   bool
	}{
		{"allowed row, every answer 2xx", ok, 200, false, false, false},
		{"allowed row with a status above 399 fails", with(func(r *wrkResult) { r.Non2xx = 1 }), 200, false, false, true},
		{"deny row, every answer above 399", with(func(r *wrkResult) { r.Non2xx = 1000 }), 401, false, false, false},
		{"deny row with one 2xx/3xx answer fails", with(func(r *wrkResult) { r.Non2xx = 999 }), 401, false, false, true},
		{"checked run, other statuses counted by the hook fail", with(func(r *wrkResult) { r.Non2xx, r.Unexpected, r.FirstStatus = 1000, 3, 403 }), 401, true, false, true},
		{"unchecked run ignores the hook's zero count", ok, 200, false, false, false},
		{"no request completed fails", wrkResult{}, 200, false, false, true},
		{"reused nonces fail against gatehouse", with(func(r *wrkResult) { r.Wrapped = 1 }), 200, false, false, true},
		{"reused nonces are fine against the no-op", with(func(r *wrkResult) { r.Wrapped = 1 }), 200, false, true, false},
		{"timeouts fail", with(func(r *wrkResult) { r.Socket.Timeout = 2 }), 200, false, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkRun(c.r, c.want, c.checked, c.reuseOK)
			if (err != nil) != c.fails {
				t.Errorf("checkRun = %v, want failure %v", err, c.fails)
			}
		})
	}
}

func TestWrkArgv(t *testing.T) {
	w := wrkRun{threads: 2, conns: 64, seconds: 10, url: "http://127.0.0.1:1/auth/traefik",
		headers: [][2]string{{"X-Forwarded-Host", "app.example.test"}}, script: "s.lua", args: []string{"200", "count", ""}}
	got := strings.Join(w.argv(), "|")
	want := "-t|2|-c|64|-d|10s|--latency|-s|s.lua|-H|X-Forwarded-Host: app.example.test|http://127.0.0.1:1/auth/traefik|--|200|count|"
	if got != want {
		t.Errorf("argv:\n got %s\nwant %s", got, want)
	}
}
