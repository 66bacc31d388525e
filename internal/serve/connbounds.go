package serve

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// connBounds are the verifier listener's time bounds (docs/design.md,
// "Hot path costs"): Read from a request's first byte (and from accept for
// the first request) until its answer is written, the slow-loris bound;
// Write for writing an answer, the slow-reader bound; Idle between
// keep-alive requests.
type connBounds struct {
	Read, Write, Idle time.Duration
	// Tick is how often bounds are checked; a bound is enforced between
	// 2 × Tick early and on time, never late.
	Tick time.Duration
}

// verifierConnBounds are fasthttp's former ReadTimeout, WriteTimeout and
// IdleTimeout of the verifier.
var verifierConnBounds = connBounds{Read: 30 * time.Second, Write: 30 * time.Second, Idle: 2 * time.Minute, Tick: 250 * time.Millisecond}

// boundedListener enforces connBounds without a deadline change per
// request. fasthttp's timeouts move three deadlines on every keep-alive
// request, each a runtime timer update; here a connection records its
// phase (reading, writing, idle) and when it began with one atomic store
// per change, against a clock the listener's ticker keeps, and every Tick
// the listener expires the read or write deadline of each connection past
// its phase's bound. The blocked read or write then fails with the same
// timeout error a fasthttp deadline gives, and fasthttp closes the
// connection.
type boundedListener struct {
	net.Listener
	read, write, idle, tick int64 // nanoseconds
	start                   time.Time
	now                     atomic.Int64 // nanoseconds since start, every tick

	mu    sync.Mutex
	conns map[*boundedConn]struct{}

	done      chan struct{}
	closeOnce sync.Once
}

func newBoundedListener(ln net.Listener, b connBounds) *boundedListener {
	l := &boundedListener{
		Listener: ln,
		read:     int64(b.Read), write: int64(b.Write), idle: int64(b.Idle), tick: int64(b.Tick),
		start: time.Now(),
		conns: make(map[*boundedConn]struct{}),
		done:  make(chan struct{}),
	}
	go l.run(b.Tick)
	return l
}

// Accept wraps the connection; its first request is under the read bound
// from now.
func (l *boundedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	bc := &boundedConn{Conn: c, l: l}
	bc.setPhase(phaseReading)
	l.mu.Lock()
	l.conns[bc] = struct{}{}
	l.mu.Unlock()
	return bc, nil
}

// Close closes the listener; connections already accepted keep their
// bounds until they are closed.
func (l *boundedListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// run keeps the clock and checks the bounds every tick, until the
// listener is closed and its last connection too (the connections still
// open while a shutdown drains keep their bounds).
func (l *boundedListener) run(tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for range t.C {
		now := int64(time.Since(l.start))
		l.now.Store(now)
		if l.expire(now) == 0 && l.closed() {
			return
		}
	}
}

func (l *boundedListener) closed() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// pastDeadline is any time already past: a deadline there fails a
// pending or later read or write at once.
var pastDeadline = time.Unix(1, 0)

// expire sets a past deadline on every connection whose phase has lasted
// its bound. A phase's start is stamped with the ticker clock, up to a
// tick late, and is seen up to a tick late: the check uses bound - tick,
// so a bound is enforced between 2 × tick early and on time.
// It returns how many connections are open.
func (l *boundedListener) expire(now int64) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		if c.expired {
			continue
		}
		ph, since := c.phase()
		bound := l.read
		switch ph {
		case phaseWriting:
			bound = l.write
		case phaseIdle:
			bound = l.idle
		}
		if now-since < bound-l.tick {
			continue
		}
		c.expired = true
		if ph == phaseWriting {
			_ = c.Conn.SetWriteDeadline(pastDeadline)
		} else {
			_ = c.Conn.SetReadDeadline(pastDeadline)
		}
	}
	return len(l.conns)
}

const (
	phaseReading = iota // a request is being read (or handled)
	phaseWriting        // an answer is being written
	phaseIdle           // waiting for the next request's first byte
)

// boundedConn tracks its phase for its listener. Read and Write run on
// the connection's serving goroutine; the listener reads state from its
// ticker.
type boundedConn struct {
	net.Conn
	l       *boundedListener
	state   atomic.Int64 // phase start (ticker clock, ns) << 2 | phase
	expired bool         // guarded by l.mu
	once    sync.Once
}

func (c *boundedConn) setPhase(ph int64) { c.state.Store(c.l.now.Load()<<2 | ph) }

func (c *boundedConn) phase() (ph, since int64) {
	s := c.state.Load()
	return s & 3, s >> 2
}

// Read after an answer was written starts the idle phase; the first byte
// that arrives then starts reading the next request.
func (c *boundedConn) Read(p []byte) (int, error) {
	ph := c.state.Load() & 3
	if ph == phaseWriting {
		c.setPhase(phaseIdle)
		ph = phaseIdle
	}
	n, err := c.Conn.Read(p)
	if n > 0 && ph == phaseIdle {
		c.setPhase(phaseReading)
	}
	return n, err
}

// Write starts the writing phase of an answer.
func (c *boundedConn) Write(p []byte) (int, error) {
	if c.state.Load()&3 != phaseWriting {
		c.setPhase(phaseWriting)
	}
	return c.Conn.Write(p)
}

func (c *boundedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
