package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/signing"
)

func main() {
	noop := flag.String("noop", "", "internal: serve the no-op server on this address")
	bin := flag.String("gatehouse", "bin/gatehouse", "gatehouse binary")
	dur := flag.Duration("duration", 5*time.Second, "measured time per run")
	warm := flag.Duration("warmup", time.Second, "warm-up time per run")
	conns := flag.Int("conns", 32, "concurrent connections")
	kinds := flag.String("kinds", "cookie,jwt,api_key,signed", "credential kinds to measure")
	flag.Parse()
	if *noop != "" {
		serveNoop(*noop)
		return
	}
	if err := run(*bin, *dur, *warm, *conns, strings.Split(*kinds, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(1)
	}
}

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

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitHTTP(url string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer within %s", url, d)
}

type env struct {
	bin, dir, cfg string
}

func (e env) cli(stdin string, args ...string) (string, error) {
	cmd := exec.Command(e.bin, append(args, "--config", e.cfg)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("gatehouse %s: %v: %s", args[0], err, errb.String())
	}
	return strings.TrimSpace(out.String()), nil
}

// request is one prepared forward-auth question.
type request struct {
	headers [][2]string
}

const (
	appHost = "app.example.test"
	appPath = "/api/items?limit=10"
)

func run(bin string, dur, warm time.Duration, conns int, kinds []string) error {
	dir, err := os.MkdirTemp("", "gatehouse-loadbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ver, portal, adm := freeAddr(), freeAddr(), freeAddr()
	cfg := filepath.Join(dir, "gatehouse.yaml")
	yaml := fmt.Sprintf(`mode: development
data_dir: %s
listen: {verifier: %q, portal: %q, admin: %q}
public_url: http://%s
log: {level: warn}
passwords: {memory: 1024, time: 1, threads: 1}
api_keys:
  enabled: true
  allowed_scopes: [read]
rules:
  - name: api
    paths: ["/api/"]
    policy: authenticated
`, filepath.Join(dir, "data"), ver, portal, adm, portal)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		return err
	}
	e := env{bin: bin, dir: dir, cfg: cfg}
	gh := exec.Command(bin, "serve", "--config", cfg)
	var ghLog bytes.Buffer
	gh.Stdout, gh.Stderr = &ghLog, &ghLog
	if err := gh.Start(); err != nil {
		return err
	}
	defer func() { _ = gh.Process.Kill(); _ = gh.Wait() }()
	if err := waitHTTP("http://"+adm+"/healthz", 20*time.Second); err != nil {
		return fmt.Errorf("%v\n%s", err, ghLog.String())
	}
	noopAddr := freeAddr()
	self, _ := os.Executable()
	nop := exec.Command(self, "--noop", noopAddr)
	nop.Stderr = os.Stderr
	if err := nop.Start(); err != nil {
		return err
	}
	defer func() { _ = nop.Process.Kill(); _ = nop.Wait() }()
	if err := waitHTTP("http://"+noopAddr+"/", 10*time.Second); err != nil {
		return err
	}

	const email, pw = "bench@example.test", "bench-password-123"
	if _, err := e.cli(pw+"\n", "user", "add", "--email", email, "--password-stdin", "--roles", "read", "--verified"); err != nil {
		return err
	}
	jwt, err := e.cli("", "token", "issue", "--user", email, "--lifetime", "1h")
	if err != nil {
		return err
	}
	key, err := e.cli("", "apikey", "create", "--user", email, "--name", "bench", "--scopes", "read")
	if err != nil {
		return err
	}
	signKey, err := e.cli("", "apikey", "create", "--user", email, "--name", "bench-signed", "--scopes", "read", "--signing-required")
	if err != nil {
		return err
	}
	cookie, err := login(portal, email, pw)
	if err != nil {
		return err
	}

	fmt.Printf("gatehouse load benchmark: %d connections, %s warm-up, %s measured per run, GOMAXPROCS of this machine: %d cores\n", conns, warm, dur, runtime.NumCPU())
	fmt.Printf("%-8s %12s %10s %10s %12s %10s %10s %7s\n", "kind", "noop req/s", "p50", "p99", "gate req/s", "p50", "p99", "ratio")
	worst := 1e9
	for _, kind := range kinds {
		var gen func(i int) request
		switch kind {
		case "cookie":
			gen = fixed([2]string{"Cookie", "gatehouse_session=" + cookie})
		case "jwt":
			gen = fixed([2]string{"Authorization", "Bearer " + jwt})
		case "api_key":
			gen = fixed([2]string{"Authorization", "Bearer " + key})
		case "signed":
			gen, err = signedGen(signKey)
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown kind %q", kind)
		}
		// Check the credential really allows before measuring.
		if st := probe(ver, gen(-1)); st != 200 {
			return fmt.Errorf("%s: gatehouse answered %d, not 200\n%s", kind, st, ghLog.String())
		}
		n := load(noopAddr, gen, conns, warm, dur)
		g := load(ver, gen, conns, warm, dur)
		if g.non200 > 0 {
			return fmt.Errorf("%s: %d of %d answers were not 200 (first: %s)", kind, g.non200, g.count, g.firstBad)
		}
		ratio := g.rps / n.rps
		worst = min(worst, ratio)
		fmt.Printf("%-8s %12.0f %10s %10s %12.0f %10s %10s %6.0f%%\n", kind, n.rps, n.p50, n.p99, g.rps, g.p50, g.p99, ratio*100)
	}
	fmt.Printf("lowest ratio: %.0f%% (target: every kind >= 60%% of the no-op server)\n", worst*100)
	return nil
}

func fixed(h [2]string) func(int) request {
	r := request{headers: [][2]string{h}}
	return func(int) request { return r }
}

// signedGen signs a fresh request (new nonce) each call.
func signedGen(raw string) (func(int) request, error) {
	dot := strings.IndexByte(raw, '.')
	parts := strings.SplitN(raw[:dot], "_", 3)
	if dot < 0 || len(parts) != 3 {
		return nil, fmt.Errorf("unexpected API key shape")
	}
	keyID, secret := parts[2], raw[dot+1:]
	var seq atomic.Uint64
	return func(int) request {
		hr, _ := http.NewRequest("GET", "http://"+appHost+appPath, nil)
		nonce := fmt.Sprintf("lb-%d-%d", time.Now().UnixNano(), seq.Add(1))
		if err := signing.SignRequest(hr, keyID, secret, time.Now().UTC(), nonce, nil); err != nil {
			panic(err)
		}
		return request{headers: [][2]string{
			{"Authorization", hr.Header.Get("Authorization")},
			{"X-Auth-Date", hr.Header.Get("X-Auth-Date")},
			{"X-Auth-Nonce", hr.Header.Get("X-Auth-Nonce")},
		}}
	}, nil
}

func login(portal, email, pw string) (string, error) {
	body, _ := json.Marshal(map[string]string{"identifier": email, "password": pw})
	resp, err := http.Post("http://"+portal+"/api/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	for _, c := range resp.Cookies() {
		if c.Name == "gatehouse_session" && c.Value != "" {
			return c.Value, nil
		}
	}
	return "", fmt.Errorf("login answered %s without a session cookie", resp.Status)
}

func fill(req *fasthttp.Request, addr string, r request) {
	req.Reset()
	req.SetRequestURI("http://" + addr + "/auth/nginx")
	req.Header.SetMethod("GET")
	req.Header.Set("X-Original-Method", "GET")
	req.Header.Set("X-Original-URL", "http://"+appHost+appPath)
	req.Header.Set("Accept", "application/json")
	for _, h := range r.headers {
		req.Header.Set(h[0], h[1])
	}
}

func probe(addr string, r request) int {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	fill(req, addr, r)
	if err := fasthttp.DoTimeout(req, resp, 5*time.Second); err != nil {
		return 0
	}
	return resp.StatusCode()
}

type result struct {
	rps      float64
	p50, p99 time.Duration
	count    int
	non200   int
	firstBad string
}

// load runs conns workers against addr for warm+dur and measures the last
// dur.
func load(addr string, gen func(int) request, conns int, warm, dur time.Duration) result {
	hc := &fasthttp.HostClient{Addr: addr, MaxConns: conns, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		lat     []time.Duration
		non200  int
		first   string
		start   = time.Now()
		measure = start.Add(warm)
		end     = measure.Add(dur)
	)
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			local := make([]time.Duration, 0, 1<<16)
			bad := 0
			firstBad := ""
			for i := 0; ; i++ {
				t0 := time.Now()
				if t0.After(end) {
					break
				}
				fill(req, addr, gen(w))
				err := hc.Do(req, resp)
				t1 := time.Now()
				if t0.After(measure) {
					local = append(local, t1.Sub(t0))
					if err != nil || resp.StatusCode() != 200 {
						bad++
						if firstBad == "" {
							firstBad = fmt.Sprintf("%d %v %s", resp.StatusCode(), err, resp.Body())
						}
					}
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			non200 += bad
			if first == "" {
				first = firstBad
			}
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r := result{count: len(lat), non200: non200, firstBad: first, rps: float64(len(lat)) / dur.Seconds()}
	if len(lat) > 0 {
		r.p50 = lat[len(lat)/2].Round(time.Microsecond)
		r.p99 = lat[len(lat)*99/100].Round(time.Microsecond)
	}
	return r
}
