package serve

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// testBounds are short connBounds; the checks below allow generous slack
// late (a loaded machine schedules the ticker late) and none early beyond
// the documented 2 × Tick.
var testBounds = connBounds{Read: 400 * time.Millisecond, Write: 400 * time.Millisecond, Idle: 1200 * time.Millisecond, Tick: 50 * time.Millisecond}

const lateSlack = 3 * time.Second

// serveBounded serves the verifier server of a test gatehouse on a
// loopback listener wrapped as Run wraps it, and returns its address.
func serveBounded(t *testing.T) string {
	t.Helper()
	ts := newTestServer(t, everyoneRule, "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := ts.verifierServer()
	if srv.ReadTimeout != 0 || srv.WriteTimeout != 0 || srv.IdleTimeout != 0 {
		t.Fatal("fasthttp timeouts set: the listener's bounds would be moved per request again")
	}
	bl := newBoundedListener(ln, testBounds)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(bl) }()
	t.Cleanup(func() {
		_ = srv.Shutdown()
		<-done
	})
	return ln.Addr().String()
}

// waitClosed reads from c until the server closes it and returns how long
// that took from start (whatever the server answered before closing).
func waitClosed(t *testing.T, c net.Conn, start time.Time) time.Duration {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err := io.Copy(io.Discard, c)
	if err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("connection not closed by the server: %v", err)
	}
	return time.Since(start)
}

func checkWithin(t *testing.T, what string, got, bound, tick time.Duration) {
	t.Helper()
	if got < bound-2*tick || got > bound+lateSlack {
		t.Fatalf("%s closed after %s, want within [%s, %s]", what, got, bound-2*tick, bound+lateSlack)
	}
}

const authRequest = "GET /auth/nginx HTTP/1.1\r\nHost: gatehouse\r\nX-Original-Method: GET\r\nX-Original-URL: http://app.example.test/x\r\n\r\n"

// TestSlowLorisCutOffWithinReadBound: a client that sends part of a
// request and stalls is disconnected at the read bound, on a fresh
// connection and on a keep-alive one.
func TestSlowLorisCutOffWithinReadBound(t *testing.T) {
	addr := serveBounded(t)
	t.Run("first request", func(t *testing.T) {
		c := dialT(t, addr)
		start := time.Now()
		if _, err := io.WriteString(c, "GET /auth/nginx HTTP/1.1\r\nHost: gatehouse\r\nX-Original-"); err != nil {
			t.Fatal(err)
		}
		checkWithin(t, "stalled first request", waitClosed(t, c, start), testBounds.Read, testBounds.Tick)
	})
	t.Run("after a keep-alive request", func(t *testing.T) {
		c := dialT(t, addr)
		br := bufio.NewReader(c)
		askOn(t, c, br)
		if _, err := io.WriteString(c, "GET /auth/nginx HTTP/1.1\r\nHo"); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		checkWithin(t, "stalled second request", waitClosed(t, c, start), testBounds.Read, testBounds.Tick)
	})
}

// TestIdleKeepAliveClosedWithinIdleBound: an idle keep-alive connection
// is kept for the idle bound (longer than the read bound) and then closed.
func TestIdleKeepAliveClosedWithinIdleBound(t *testing.T) {
	addr := serveBounded(t)
	c := dialT(t, addr)
	askOn(t, c, bufio.NewReader(c))
	start := time.Now()
	checkWithin(t, "idle keep-alive connection", waitClosed(t, c, start), testBounds.Idle, testBounds.Tick)
}

// TestKeepAliveRequestsOutliveTheReadBound: the read bound counts per
// request, so a connection answering requests spread over several read
// bounds stays open.
func TestKeepAliveRequestsOutliveTheReadBound(t *testing.T) {
	addr := serveBounded(t)
	c := dialT(t, addr)
	br := bufio.NewReader(c)
	for i := 0; i < 6; i++ { // 6 × 150 ms: more than twice the read bound
		askOn(t, c, br)
		time.Sleep(150 * time.Millisecond)
	}
}

// dialT connects to addr; the connection is closed at the end of the test.
func dialT(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// askOn sends one forward-auth request on c and reads its answer (a 401:
// no credential).
func askOn(t *testing.T, c net.Conn, br *bufio.Reader) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, authRequest); err != nil {
		t.Fatal(err)
	}
	var resp fasthttp.Response
	if err := resp.Read(br); err != nil {
		t.Fatalf("answer: %v", err)
	}
	if resp.StatusCode() != fasthttp.StatusUnauthorized {
		t.Fatalf("status %d, want 401", resp.StatusCode())
	}
	_ = c.SetDeadline(time.Time{})
}

// TestSlowReaderCutOffWithinWriteBound: a write to a client that does not
// read fails with a timeout at the write bound (forward-auth answers are
// small, so this is checked on the listener directly with a large write).
func TestSlowReaderCutOffWithinWriteBound(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bl := newBoundedListener(ln, testBounds)
	defer bl.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close() // never read
	c, err := bl.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	start := time.Now()
	for written := 0; err == nil && written < 1<<30; written += len(chunk) { // far more than the socket buffers
		_, err = c.Write(chunk)
	}
	took := time.Since(start)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write to a stalled reader: %v, want a timeout", err)
	}
	checkWithin(t, "write to a stalled reader", took, testBounds.Write, testBounds.Tick)
}
