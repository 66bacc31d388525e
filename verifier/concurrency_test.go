package verifier_test

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/verifier"
)

type recorder struct {
	allowed, denied, storeErrs atomic.Int64
}

func (r *recorder) ObserveDecision(d verifier.Decision) {
	if d.Reason == verifier.ReasonNone {
		r.allowed.Add(1)
	} else {
		r.denied.Add(1)
	}
}
func (r *recorder) StoreError(string) { r.storeErrs.Add(1) }

// TestConcurrentDecisionsAndReload runs decisions from many goroutines
// while rules are reloaded (run with -race); every answer is one of the
// two rule sets' answers, never a mix or a crash.
func TestConcurrentDecisionsAndReload(t *testing.T) {
	rec := &recorder{}
	e := newEnv(t, func(o *verifier.Options) { o.Metrics = rec })
	tok := e.jwt(bobID)
	raw, _, _ := e.apiKey(aliceID, []string{"read"}, nil)
	open := []config.Rule{{Name: "open", Paths: []string{"/admin/"}, Policy: "bypass"}}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			rules := specRules()
			if i%2 == 0 {
				rules = open
			}
			if err := e.v.Reload(rules, "deny"); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var bad atomic.Int64
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				d := dialects[(g+i)%len(dialects)]
				a := e.do(bearer(fwd(d, "GET", "https://app.example.test/admin/x"), tok))
				if a.status != 200 && a.code() != "INSUFFICIENT_ROLES" {
					bad.Add(1)
				}
				a = e.do(bearer(fwd(d, "GET", "https://app.example.test/api/x"), raw))
				if a.status != 200 && a.code() != "AUTHORIZATION_DENIED" { // spec rules allow; "open" set denies by default
					bad.Add(1)
				}
			}
		}(g)
	}
	waitFor := func() {
		for rec.allowed.Load()+rec.denied.Load() < 4*600 {
			select {
			case <-stop:
				return
			default:
			}
			runtime.Gosched()
		}
	}
	waitFor()
	close(stop)
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d unexpected answers", bad.Load())
	}
	if rec.allowed.Load() == 0 || rec.storeErrs.Load() != 0 {
		t.Fatalf("observer: allowed %d denied %d store errors %d", rec.allowed.Load(), rec.denied.Load(), rec.storeErrs.Load())
	}
}
