package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// kind is one row of the table: a credential (or none) sent to one
// gatehouse instance, and the status every answer must have.
type kind struct {
	key   string // name in --kinds
	label string
	inst  string // instance that answers it
	uri   string // X-Forwarded-Uri
	want  int
}

var kinds = []kind{
	{"deny", "denied (no credential)", "hs256", appURI, 401},
	{"bypass", "anonymous bypass", "hs256", publicURI, 200},
	{"cookie", "session cookie", "hs256", appURI, 200},
	{"api_key", "API key", "hs256", appURI, 200},
	{"hs256", "HS256 JWT", "hs256", appURI, 200},
	{"eddsa", "EdDSA JWT", "eddsa", appURI, 200},
	{"es256", "ES256 JWT", "es256", appURI, 200},
	{"signed", "signed request (LSA1)", "signed", appURI, 200},
	// Tokens of an external issuer (external_jwt): verified-token cache
	// hits on "ext", every request verified on "ext_nocache", next to the
	// own HS256 token on the same instance.
	{"ext_rs256", "external RS256 JWT", "ext", appURI, 200},
	{"ext_es256", "external ES256 JWT", "ext", appURI, 200},
	{"hs256_nocache", "HS256 JWT, no token cache", "ext_nocache", appURI, 200},
	{"ext_rs256_nocache", "ext. RS256 JWT, no token cache", "ext_nocache", appURI, 200},
	{"ext_es256_nocache", "ext. ES256 JWT, no token cache", "ext_nocache", appURI, 200},
}

// instanceAlgs is tokens.access.algorithm of each instance.
var instanceAlgs = map[string]string{"hs256": "HS256", "eddsa": "EdDSA", "es256": "ES256", "signed": "HS256",
	"ext": "HS256", "ext_nocache": "HS256"}

// externalInstances trust the loopback external issuer (external.go);
// noTokenCache turns verifier.token_cache off in the instance.
var (
	externalInstances = map[string]bool{"ext": true, "ext_nocache": true}
	noTokenCache      = map[string]bool{"ext_nocache": true}
)

// extAlgs is the signing alg of each external-token kind.
var extAlgs = map[string]string{"ext_rs256": "RS256", "ext_es256": "ES256", "ext_rs256_nocache": "RS256", "ext_es256_nocache": "ES256"}

func kindsByKey(keys []string) ([]kind, error) {
	var out []kind
	seen := map[string]bool{}
	for _, k := range keys {
		found := false
		for _, c := range kinds {
			if c.key == k {
				if !seen[k] {
					out = append(out, c)
				}
				seen[k], found = true, true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown kind %q", k)
		}
	}
	return out, nil
}

// verdict is what to do with a pass once its two no-op figures are known.
type verdict uint8

const (
	accept verdict = iota // drift within the limit
	repeat                // drift over the limit, attempts left
	giveUp                // drift over the limit on the last attempt: keep it, say so
)

// noopDrift is how far the last no-op figure of a pass moved from the
// first, as a fraction of the first.
func noopDrift(first, last float64) float64 {
	if first <= 0 {
		return math.Inf(1)
	}
	return math.Abs(last-first) / first
}

// decide applies the drift rule: a pass whose no-op figures differ by more
// than limit is repeated, at most maxAttempts times in all.
func decide(drift, limit float64, attempt, maxAttempts int) verdict {
	switch {
	case drift <= limit:
		return accept
	case attempt < maxAttempts:
		return repeat
	default:
		return giveUp
	}
}

// target is a server under load.
type target struct {
	name string
	url  string
	srv  *server
	idle uint64 // VmRSS after start, before any load
}

// load is what wrk sends.
type load struct {
	headers [][2]string // static requests
	signed  string      // file prefix of pre-signed requests (lua/bench.lua), or ""
	want    int
	// reuseOK: the target does not check nonces (the no-op), so running
	// out of pre-signed requests and starting again is harmless.
	reuseOK bool
}

// row is one measured line of a pass.
type row struct {
	Kind           string  `json:"kind"`
	Label          string  `json:"label"`
	Target         string  `json:"target"`
	ExpectedStatus int     `json:"expected_status"`
	Requests       int64   `json:"requests"`
	Seconds        float64 `json:"seconds"`
	RPS            float64 `json:"rps"`
	Baseline       string  `json:"ratio_to,omitempty"`
	Ratio          float64 `json:"ratio"`
	CPUMicros      float64 `json:"server_cpu_us_per_decision"`
	P50Millis      float64 `json:"p50_ms"`
	P99Millis      float64 `json:"p99_ms"`
	Non2xx         int64   `json:"non_2xx"`
	SocketErrors   int64   `json:"socket_errors"`
	RSSIdleMiB     float64 `json:"rss_idle_mib"`
	RSSLoadMiB     float64 `json:"rss_load_max_mib"`
}

// String is the row's progress line.
func (r row) String() string {
	return fmt.Sprintf("  %-30s %8.0f req/s %6.1f µs/decision  p99 %6.2f ms  RSS %4.0f MiB", r.Label, r.RPS, r.CPUMicros, r.P99Millis, r.RSSLoadMiB)
}

// pass is one accepted pass: no-op first, every kind, no-op last.
type pass struct {
	Pass          int       `json:"pass"`
	Attempts      int       `json:"attempts"`
	RejectedDrift []float64 `json:"rejected_drifts,omitempty"`
	Drift         float64   `json:"noop_drift"`
	DriftExceeded bool      `json:"drift_exceeded"`
	Rows          []row     `json:"rows"`
}

type bench struct {
	opt      options
	dir      string
	noop     target
	insts    map[string]*instance
	headers  map[string][][2]string // static credential headers by kind key
	signer   presigner
	ext      *externalIssuer // the external issuer, when a kind needs it
	sets     int             // pre-signed sets written so far (nonce prefixes)
	progress func(format string, args ...any)
}

const mib = 1 << 20

// measure runs one row: a single request whose status must be want, a
// warm-up run in which every answer is checked, then the measured run
// with the server's CPU time and RSS around it.
func (b *bench) measure(ctx context.Context, t target, l load, probeHeaders [][2]string) (row, error) {
	st, err := probe(t.url, probeHeaders)
	if err != nil {
		return row{}, fmt.Errorf("%s: probe: %w", t.name, err)
	}
	if st != l.want {
		return row{}, fmt.Errorf("%s: a single request answered %d, want %d\n%s", t.name, st, l.want, t.srv.logTail())
	}
	run := wrkRun{bin: b.opt.wrk, threads: b.opt.threads, conns: b.opt.conns, url: t.url, headers: l.headers,
		script: filepath.Join(b.dir, "bench.lua"), deadline: 60 * time.Second}
	warm, meas := "", ""
	if l.signed != "" {
		warm, meas = l.signed+"-warm", l.signed+"-measure"
	}
	want := strconv.Itoa(l.want)
	run.seconds = b.opt.warmup
	run.args = []string{want, "check", warm}
	w, out, err := run.run(ctx)
	if err != nil {
		return row{}, fmt.Errorf("%s: warm-up: %w\n%s", t.name, err, out)
	}
	if err := checkRun(w, l.want, true, l.reuseOK); err != nil {
		return row{}, fmt.Errorf("%s: warm-up: %w\n%s", t.name, err, out)
	}

	run.seconds = b.opt.duration
	run.args = []string{want, "count", meas}
	before, err := readStat(t.srv.pid())
	if err != nil {
		return row{}, err
	}
	rss := sampleRSS(t.srv.pid(), 100*time.Millisecond)
	m, out, err := run.run(ctx)
	after, serr := readStat(t.srv.pid())
	maxRSS, rerr := rss.Max()
	if err != nil {
		return row{}, fmt.Errorf("%s: %w\n%s", t.name, err, out)
	}
	if err := errors.Join(serr, rerr); err != nil {
		return row{}, fmt.Errorf("%s: /proc: %w", t.name, err)
	}
	if err := checkRun(m, l.want, false, l.reuseOK); err != nil {
		return row{}, fmt.Errorf("%s: %w\n%s", t.name, err, out)
	}
	cpu, err := cpuPerDecision(before, after, m.Requests)
	if err != nil {
		return row{}, fmt.Errorf("%s: %w", t.name, err)
	}
	return row{
		Target: t.name, ExpectedStatus: l.want,
		Requests: m.Requests, Seconds: m.Duration.Seconds(), RPS: m.RPS(),
		CPUMicros: cpu,
		P50Millis: float64(m.P50) / float64(time.Millisecond), P99Millis: float64(m.P99) / float64(time.Millisecond),
		Non2xx: m.Non2xx, SocketErrors: m.Socket.total(),
		RSSIdleMiB: float64(t.idle) / mib, RSSLoadMiB: float64(maxRSS) / mib,
	}, nil
}

// checkRun fails a run whose answers are not all the expected status.
// checked runs (the warm-up, with the Lua response hook) count every
// other status; measured runs rely on wrk's count of statuses above 399.
func checkRun(r wrkResult, want int, checked, reuseOK bool) error {
	switch {
	case r.Requests == 0:
		return errors.New("no request completed")
	case r.Wrapped > 0 && !reuseOK:
		return errors.New("the pre-signed requests ran out (nonces were reused)")
	case checked && r.Unexpected > 0:
		return fmt.Errorf("%d of %d answers were not %d (first: %d)", r.Unexpected, r.Requests, want, r.FirstStatus)
	case want < 400 && r.Non2xx > 0:
		return fmt.Errorf("%d of %d answers were not %d (statuses above 399)", r.Non2xx, r.Requests, want)
	case want >= 400 && r.Non2xx != r.Requests:
		return fmt.Errorf("%d of %d answers were not %d (statuses below 400)", r.Requests-r.Non2xx, r.Requests, want)
	case r.Socket.Timeout > 0:
		return fmt.Errorf("%d requests timed out", r.Socket.Timeout)
	}
	return nil
}

// onePass measures the no-op, every kind, and the no-op again.
func (b *bench) onePass(ctx context.Context, ks []kind) ([]row, error) {
	noopLoad := load{headers: forwarded(appURI), want: 200}
	first, err := b.measure(ctx, b.noop, noopLoad, noopLoad.headers)
	if err != nil {
		return nil, err
	}
	first.Kind, first.Label = "noop", "no-op (first)"
	b.progress("%s\n", first)
	rows := []row{first}
	for _, k := range ks {
		in := b.insts[k.inst]
		t := target{name: "gatehouse " + in.name, url: "http://" + in.verifier + authPath, srv: in.srv, idle: in.idleRSS}
		if k.key != "signed" {
			l := load{headers: append(forwarded(k.uri), b.headers[k.key]...), want: k.want}
			r, err := b.measure(ctx, t, l, l.headers)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k.label, err)
			}
			r.Kind, r.Label = k.key, k.label
			b.progress("%s\n", r)
			rows = append(rows, r)
			continue
		}
		base, r, err := b.signedRows(ctx, t, k, first.RPS)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k.label, err)
		}
		b.progress("%s\n%s\n", r, base)
		rows = append(rows, r, base)
	}
	last, err := b.measure(ctx, b.noop, noopLoad, noopLoad.headers)
	if err != nil {
		return nil, err
	}
	last.Kind, last.Label = "noop", "no-op (last)"
	b.progress("%s\n", last)
	rows = append(rows, last)
	setRatios(rows)
	return rows, nil
}

// presignMargin is how many more requests are signed than the first
// no-op figure of the pass says wrk can send (the signed rows are slower).
const presignMargin = 1.5

// signedRows pre-signs the requests, measures gatehouse with them, then
// the no-op with the same script and files (its baseline).
func (b *bench) signedRows(ctx context.Context, t target, k kind, noopRPS float64) (row, row, error) {
	b.sets++
	prefix := filepath.Join(b.dir, fmt.Sprintf("signed-%d", b.sets))
	nonce := fmt.Sprintf("lb%x-%d-", time.Now().UnixNano(), b.sets)
	perThread := func(seconds int) int {
		return int(noopRPS*float64(seconds)*presignMargin/float64(b.opt.threads)) + 1000
	}
	now := time.Now()
	if err := b.signer.writeSet(prefix+"-warm", b.opt.threads, perThread(b.opt.warmup), nonce+"w", now); err != nil {
		return row{}, row{}, err
	}
	if err := b.signer.writeSet(prefix+"-measure", b.opt.threads, perThread(b.opt.duration), nonce+"m", now); err != nil {
		return row{}, row{}, err
	}
	defer removeSet(prefix, b.opt.threads)
	probeHeaders := func() ([][2]string, error) {
		h, err := b.signer.headers(time.Now(), nonce+"p"+strconv.FormatInt(time.Now().UnixNano(), 36))
		return append(forwarded(k.uri), h...), err
	}
	ph, err := probeHeaders()
	if err != nil {
		return row{}, row{}, err
	}
	l := load{headers: forwarded(k.uri), signed: prefix, want: k.want}
	r, err := b.measure(ctx, t, l, ph)
	if err != nil {
		return row{}, row{}, err
	}
	r.Kind, r.Label = k.key, k.label
	if ph, err = probeHeaders(); err != nil {
		return row{}, row{}, err
	}
	base, err := b.measure(ctx, b.noop, load{headers: l.headers, signed: prefix, want: 200, reuseOK: true}, ph)
	if err != nil {
		return row{}, row{}, err
	}
	base.Kind, base.Label = "noop_signed", "no-op (signed-request client)"
	return base, r, nil
}

func removeSet(prefix string, threads int) {
	for _, phase := range []string{"-warm", "-measure"} {
		for t := 1; t <= threads; t++ {
			_ = os.Remove(prefix + phase + "." + strconv.Itoa(t))
		}
	}
}

// setRatios fills each row's ratio: the signed row against the no-op
// measured with the same (Lua request-building) client just after it,
// every other row against the mean of the pass's first and last no-op.
func setRatios(rows []row) {
	var first, last, signedBase float64
	for _, r := range rows {
		switch r.Label {
		case "no-op (first)":
			first = r.RPS
		case "no-op (last)":
			last = r.RPS
		}
		if r.Kind == "noop_signed" {
			signedBase = r.RPS
		}
	}
	mean := (first + last) / 2
	for i := range rows {
		r := &rows[i]
		switch r.Kind {
		case "noop", "noop_signed":
			r.Ratio = 1
		case "signed":
			r.Baseline, r.Ratio = "noop_signed", ratio(r.RPS, signedBase)
		default:
			r.Baseline, r.Ratio = "noop", ratio(r.RPS, mean)
		}
	}
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// passes runs opt.passes passes, repeating a pass whose no-op figures
// drift apart by more than opt.maxDrift, at most opt.retries times.
func (b *bench) passes(ctx context.Context, ks []kind) ([]pass, error) {
	var out []pass
	for p := 1; p <= b.opt.passes; p++ {
		res := pass{Pass: p}
		for attempt := 1; ; attempt++ {
			b.progress("pass %d, attempt %d\n", p, attempt)
			rows, err := b.onePass(ctx, ks)
			if err != nil {
				return out, err
			}
			d := noopDrift(rows[0].RPS, rows[len(rows)-1].RPS)
			v := decide(d, b.opt.maxDrift, attempt, b.opt.retries+1)
			if v == repeat {
				b.progress("pass %d: the no-op moved %.1f %% between first and last (limit %.0f %%): repeating\n", p, d*100, b.opt.maxDrift*100)
				res.RejectedDrift = append(res.RejectedDrift, d)
				continue
			}
			res.Attempts, res.Drift, res.DriftExceeded, res.Rows = attempt, d, v == giveUp, rows
			if v == giveUp {
				b.progress("pass %d: the no-op still moved %.1f %% after %d attempts; keeping the last attempt, marked unstable\n", p, d*100, attempt)
			}
			break
		}
		out = append(out, res)
	}
	return out, nil
}
