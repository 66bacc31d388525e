package bolt_test

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/bolt"
	"github.com/gatehouse/gatehouse/keystore/storetest"
)

// fakeClock starts at the real time and moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Reset puts the clock back to the real time.
func (c *fakeClock) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = time.Now()
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func openTemp(t testing.TB, opts bolt.Options) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "gatehouse.db"), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestContract runs the shared suite at default (fsynced) settings.
func TestContract(t *testing.T) {
	clock := newFakeClock()
	storetest.Run(t, func(t *testing.T) keystore.Store {
		// The suite expects each new store's clock to start at time.Now.
		clock.Reset()
		return openTemp(t, bolt.Options{Clock: clock.Now})
	}, clock.Advance)
}
