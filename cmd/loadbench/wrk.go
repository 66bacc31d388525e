package main

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

//go:embed lua/bench.lua
var benchLua []byte

// wrkResult is what one wrk run reports.
type wrkResult struct {
	Requests int64
	// Duration is the run time to the microsecond (from the Lua done
	// hook; the summary line rounds it to 10 ms).
	Duration time.Duration
	// Non2xx is wrk's "Non-2xx or 3xx responses" (statuses above 399);
	// wrk prints the line only when it is not zero.
	Non2xx   int64
	Socket   socketErrors
	P50, P99 time.Duration
	// From the Lua done hook: answers whose status was not the expected
	// one (counted in check mode only), the first such status, and how
	// often a signed-request thread ran out of pre-signed requests.
	Unexpected  int64
	FirstStatus int
	Wrapped     int64
}

type socketErrors struct{ Connect, Read, Write, Timeout int64 }

func (s socketErrors) total() int64 { return s.Connect + s.Read + s.Write + s.Timeout }

// RPS is completed requests per second of the run.
func (r wrkResult) RPS() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Duration.Seconds()
}

var (
	reRequests   = regexp.MustCompile(`^\s*(\d+) requests in [0-9.]+[a-z]+, `)
	reNon2xx     = regexp.MustCompile(`^\s*Non-2xx or 3xx responses: (\d+)\s*$`)
	reSocket     = regexp.MustCompile(`^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)\s*$`)
	rePercentile = regexp.MustCompile(`^\s*(50|99)(?:\.0+)?%\s+([0-9.]+[a-z]+)\s*$`)
	reHook       = regexp.MustCompile(`^loadbench: unexpected=(\d+) first=(\d+) wrapped=(\d+) duration_us=(\d+)\s*$`)
)

// parseWrk reads the text wrk --latency prints, with the line of our Lua
// done hook. The request count, the 50 % and 99 % percentiles and the hook
// line must all be present.
func parseWrk(out []byte) (wrkResult, error) {
	var r wrkResult
	var haveReq, haveP50, haveP99, haveHook bool
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if m := reRequests.FindStringSubmatch(line); m != nil {
			n, err := strconv.ParseInt(m[1], 10, 64)
			if err != nil {
				return r, fmt.Errorf("wrk: request count %q", m[1])
			}
			r.Requests, haveReq = n, true
		} else if m := reNon2xx.FindStringSubmatch(line); m != nil {
			r.Non2xx, _ = strconv.ParseInt(m[1], 10, 64)
		} else if m := reSocket.FindStringSubmatch(line); m != nil {
			r.Socket.Connect, _ = strconv.ParseInt(m[1], 10, 64)
			r.Socket.Read, _ = strconv.ParseInt(m[2], 10, 64)
			r.Socket.Write, _ = strconv.ParseInt(m[3], 10, 64)
			r.Socket.Timeout, _ = strconv.ParseInt(m[4], 10, 64)
		} else if m := rePercentile.FindStringSubmatch(line); m != nil {
			d, err := parseWrkTime(m[2])
			if err != nil {
				return r, err
			}
			if m[1] == "50" {
				r.P50, haveP50 = d, true
			} else {
				r.P99, haveP99 = d, true
			}
		} else if m := reHook.FindStringSubmatch(line); m != nil {
			r.Unexpected, _ = strconv.ParseInt(m[1], 10, 64)
			st, _ := strconv.Atoi(m[2])
			r.FirstStatus = st
			r.Wrapped, _ = strconv.ParseInt(m[3], 10, 64)
			us, _ := strconv.ParseInt(m[4], 10, 64)
			r.Duration = time.Duration(us) * time.Microsecond
			haveHook = true
		}
	}
	switch {
	case !haveReq:
		return r, errors.New("wrk: no \"N requests in T\" line")
	case !haveP50 || !haveP99:
		return r, errors.New("wrk: no 50%/99% latency lines (run with --latency)")
	case !haveHook:
		return r, errors.New("wrk: no line from the Lua done hook")
	case r.Duration <= 0:
		return r, errors.New("wrk: zero run time")
	}
	return r, nil
}

// parseWrkTime reads wrk's time format: a decimal number and one of us,
// ms, s, m, h.
func parseWrkTime(s string) (time.Duration, error) {
	i := strings.IndexFunc(s, func(c rune) bool { return c >= 'a' && c <= 'z' })
	if i <= 0 {
		return 0, fmt.Errorf("wrk: time %q", s)
	}
	v, err := strconv.ParseFloat(s[:i], 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("wrk: time %q", s)
	}
	var unit float64
	switch s[i:] {
	case "us":
		unit = float64(time.Microsecond)
	case "ms":
		unit = float64(time.Millisecond)
	case "s":
		unit = float64(time.Second)
	case "m":
		unit = float64(time.Minute)
	case "h":
		unit = float64(time.Hour)
	default:
		return 0, fmt.Errorf("wrk: time unit in %q", s)
	}
	return time.Duration(v * unit), nil
}

// wrkRun is one invocation of wrk.
type wrkRun struct {
	bin      string
	threads  int
	conns    int
	seconds  int
	url      string
	headers  [][2]string
	script   string   // path of the Lua script
	args     []string // the script's arguments
	deadline time.Duration
}

func (w wrkRun) argv() []string {
	a := []string{"-t", strconv.Itoa(w.threads), "-c", strconv.Itoa(w.conns),
		"-d", strconv.Itoa(w.seconds) + "s", "--latency", "-s", w.script}
	for _, h := range w.headers {
		a = append(a, "-H", h[0]+": "+h[1])
	}
	a = append(a, w.url, "--")
	return append(a, w.args...)
}

// run executes wrk and parses its output; the raw output is returned with
// any error.
func (w wrkRun) run(ctx context.Context) (wrkResult, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(w.seconds)*time.Second+w.deadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.bin, w.argv()...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return wrkResult{}, out.Bytes(), fmt.Errorf("wrk: %w", err)
	}
	r, err := parseWrk(out.Bytes())
	return r, out.Bytes(), err
}
