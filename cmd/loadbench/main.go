package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// options are the command's flags (defaults from BENCH_* variables).
type options struct {
	gatehouse, wrk   string
	threads, conns   int
	warmup, duration int // whole seconds
	passes, retries  int
	maxDrift         float64
	kinds            []string
	json             bool
	pprof            bool
}

func main() {
	noop := flag.String("noop", "", "internal: serve the no-op server on this address")
	bin := flag.String("gatehouse", "bin/gatehouse", "gatehouse binary")
	wrk := flag.String("wrk", "wrk", "wrk binary")
	threads := flag.Int("threads", envInt("BENCH_THREADS", 2), "wrk threads (-t) (env BENCH_THREADS)")
	conns := flag.Int("conns", envInt("BENCH_CONNS", 64), "wrk connections (-c) (env BENCH_CONNS)")
	warm := flag.Duration("warmup", envDuration("BENCH_WARMUP", 3*time.Second), "warm-up run before each measured run, whole seconds (env BENCH_WARMUP)")
	dur := flag.Duration("duration", envDuration("BENCH_DURATION", 10*time.Second), "measured run per row, whole seconds (env BENCH_DURATION)")
	passes := flag.Int("passes", envInt("BENCH_PASSES", 2), "passes (env BENCH_PASSES)")
	retries := flag.Int("retries", envInt("BENCH_RETRIES", 2), "repeats of a pass whose no-op figures drift apart (env BENCH_RETRIES)")
	drift := flag.Float64("max-drift", 0.10, "largest accepted change of the no-op req/s between the first and last run of a pass")
	kindList := flag.String("kinds", envString("BENCH_KINDS", allKinds()), "rows to measure, comma-separated (env BENCH_KINDS)")
	asJSON := flag.Bool("json", false, "print JSON instead of the markdown table")
	pprof := flag.Bool("pprof", os.Getenv("BENCH_PPROF") != "", "turn on listen.pprof in every gatehouse (a loopback port, printed at start) to profile it while the rows run (env BENCH_PPROF=1)")
	flag.Parse()
	if *noop != "" {
		serveNoop(*noop)
		return
	}
	opt := options{gatehouse: *bin, wrk: *wrk, threads: *threads, conns: *conns,
		warmup: wholeSeconds(*warm), duration: wholeSeconds(*dur), passes: *passes, retries: *retries,
		maxDrift: *drift, kinds: strings.Split(*kindList, ","), json: *asJSON, pprof: *pprof}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, opt)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(1)
	}
}

func allKinds() string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.key
	}
	return strings.Join(names, ",")
}

func envString(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
		fmt.Fprintf(os.Stderr, "loadbench: %s=%q is not a number\n", name, v)
		os.Exit(2)
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v := os.Getenv(name); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
		if n, err := strconv.Atoi(v); err == nil {
			return time.Duration(n) * time.Second
		}
		fmt.Fprintf(os.Stderr, "loadbench: %s=%q is not a duration\n", name, v)
		os.Exit(2)
	}
	return def
}

// wholeSeconds rounds up: wrk takes whole seconds.
func wholeSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

// serveNoop answers 200 with an empty body to everything: the ceiling a
// forward-auth server could reach on this machine.
func serveNoop(addr string) {
	s := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {}, NoDefaultServerHeader: true,
		NoDefaultContentType: true, NoDefaultDate: true}
	if err := s.ListenAndServe(addr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func (o options) validate() error {
	var errs []error
	if o.threads < 1 || o.conns < o.threads {
		errs = append(errs, errors.New("need at least one thread and one connection per thread"))
	}
	if o.warmup < 1 || o.duration < 1 {
		errs = append(errs, errors.New("warm-up and duration must be at least 1s"))
	}
	if o.passes < 1 || o.retries < 0 {
		errs = append(errs, errors.New("passes must be at least 1, retries at least 0"))
	}
	if o.maxDrift <= 0 {
		errs = append(errs, errors.New("max-drift must be positive"))
	}
	return errors.Join(errs...)
}

func run(ctx context.Context, opt options) error {
	if err := opt.validate(); err != nil {
		return err
	}
	ks, err := kindsByKey(opt.kinds)
	if err != nil {
		return err
	}
	if opt.wrk, err = exec.LookPath(opt.wrk); err != nil {
		return fmt.Errorf("wrk not found (Debian: apt-get install wrk): %w", err)
	}
	if _, err := os.Stat(opt.gatehouse); err != nil {
		return fmt.Errorf("gatehouse binary: %w (make build)", err)
	}
	if opt.gatehouse, err = filepath.Abs(opt.gatehouse); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "gatehouse-loadbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "bench.lua"), benchLua, 0o600); err != nil {
		return err
	}
	progress := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format, args...) }
	b := &bench{opt: opt, dir: dir, insts: map[string]*instance{}, headers: map[string][][2]string{}, progress: progress}

	// The no-op server: this binary in --noop mode.
	self, err := os.Executable()
	if err != nil {
		return err
	}
	noopAddr, err := freeAddr()
	if err != nil {
		return err
	}
	nsrv, err := startServer("no-op", filepath.Join(dir, "noop.log"), self, "--noop", noopAddr)
	if err != nil {
		return err
	}
	defer nsrv.stop()
	if err := waitHTTP(ctx, nsrv, "http://"+noopAddr+"/", 10*time.Second); err != nil {
		return fmt.Errorf("%v\n%s", err, nsrv.logTail())
	}
	b.noop = target{name: "no-op", url: "http://" + noopAddr + authPath, srv: nsrv}
	if b.noop.idle, err = readRSS(nsrv.pid()); err != nil {
		return err
	}

	// The external issuer, before the instances that trust it.
	for _, k := range ks {
		if externalInstances[k.inst] && b.ext == nil {
			if b.ext, err = startExternalIssuer(); err != nil {
				return fmt.Errorf("external issuer: %w", err)
			}
			defer b.ext.close()
			progress("external issuer (JWKS) at %s\n", b.ext.issuer)
		}
	}

	// One gatehouse per instance the chosen kinds need, each with a user.
	for _, k := range ks {
		if b.insts[k.inst] != nil {
			continue
		}
		extra := ""
		if externalInstances[k.inst] {
			extra = b.ext.configYAML()
		}
		if noTokenCache[k.inst] {
			extra += "verifier:\n  token_cache: {max_entries: 0}\n"
		}
		in, err := newInstance(opt.gatehouse, dir, k.inst, instanceAlgs[k.inst], k.inst == "signed", opt.pprof, extra)
		if err != nil {
			return err
		}
		if in.pprof != "" {
			progress("starting gatehouse %s (%s, pprof http://%s/debug/pprof/)\n", in.name, in.verifier, in.pprof)
		} else {
			progress("starting gatehouse %s (%s)\n", in.name, in.verifier)
		}
		err = in.start(ctx)
		if in.srv != nil {
			defer in.srv.stop()
		}
		if err != nil {
			return err
		}
		b.insts[k.inst] = in
	}
	if err := b.credentials(ks); err != nil {
		return err
	}

	ps, err := b.passes(ctx, ks)
	if err != nil {
		return err
	}
	rep := report{Settings: settings{Threads: opt.threads, Conns: opt.conns, WarmupSeconds: opt.warmup,
		MeasuredSeconds: opt.duration, Endpoint: authPath, CPUs: runtime.NumCPU(),
		WrkVersion: wrkVersion(opt.wrk), GoVersion: runtime.Version(), MaxDrift: opt.maxDrift}, Passes: ps}
	if opt.json {
		return rep.writeJSON(os.Stdout)
	}
	rep.writeMarkdown(os.Stdout)
	return nil
}

// credentials makes what every chosen kind sends.
func (b *bench) credentials(ks []kind) error {
	for _, k := range ks {
		in := b.insts[k.inst]
		var err error
		var h [2]string
		switch k.key {
		case "deny", "bypass":
			continue
		case "cookie":
			var c string
			c, err = in.sessionCookie()
			h = [2]string{"Cookie", c}
		case "api_key":
			var key string
			key, err = in.apiKey("bench", false)
			h = [2]string{"Authorization", "Bearer " + key}
		case "hs256", "eddsa", "es256", "hs256_nocache":
			var tok string
			tok, err = in.accessToken()
			h = [2]string{"Authorization", "Bearer " + tok}
		case "ext_rs256", "ext_es256", "ext_rs256_nocache", "ext_es256_nocache":
			var tok string
			tok, err = b.ext.token(extAlgs[k.key], time.Now())
			h = [2]string{"Authorization", "Bearer " + tok}
		case "signed":
			var key string
			if key, err = in.apiKey("bench-signed", true); err == nil {
				b.signer, err = newPresigner(key, keyPrefix, appHost, k.uri)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", k.label, err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", k.label, err)
		}
		b.headers[k.key] = [][2]string{h}
	}
	return nil
}

// wrkVersion is the first line of `wrk -v` up to the bracket.
func wrkVersion(bin string) string {
	out, _ := exec.Command(bin, "-v").CombinedOutput() // exits 1 after printing
	line, _, _ := bytes.Cut(out, []byte("\n"))
	v, _, _ := strings.Cut(string(line), " [")
	return strings.TrimSpace(v)
}
