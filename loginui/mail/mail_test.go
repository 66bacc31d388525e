package mail_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/loginui/mail"
	"github.com/gatehouse/gatehouse/signing"
)

func TestWebhookMailerSignsAndRetries(t *testing.T) {
	sec := secret("wh")
	var calls atomic.Int32
	var got struct {
		body []byte
		sig  string
	}
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if n < 3 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got.body, got.sig = b, r.Header.Get("Gatehouse-Signature")
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	now := time.Unix(1_700_000_000, 0)
	m := &mail.WebhookMailer{URL: srv.URL, Secret: sec, Backoff: time.Millisecond, Now: func() time.Time { return now }}
	if err := m.Send(context.Background(), mail.Message{Event: mail.EventReset, To: "a@example.test", UserID: "u1", Link: "https://x/reset?token=t"}); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 {
		t.Fatalf("%d calls, want 3", calls.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	if got.sig != mail.WebhookSignature(sec, now, got.body) || !strings.HasPrefix(got.sig, "t=1700000000,v1=") {
		t.Fatalf("signature %q does not verify", got.sig)
	}
	if mail.WebhookSignature(secret("xx"), now, got.body) == got.sig {
		t.Fatal("signature independent of the secret")
	}
	var payload map[string]any
	if err := json.Unmarshal(got.body, &payload); err != nil || payload["event"] != "reset" || payload["link"] == nil {
		t.Fatalf("payload %s", got.body)
	}
}

func TestWebhookMailerGivesUpOnClientErrors(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer srv.Close()
	m := &mail.WebhookMailer{URL: srv.URL, Secret: secret("wh"), Backoff: time.Millisecond}
	if err := m.Send(context.Background(), mail.Message{Event: "verify", To: "a@b.test"}); !errors.Is(err, mail.ErrWebhookDelivery) {
		t.Fatalf("err = %v", err)
	}
	if calls.Load() != 1 {
		t.Fatalf("%d calls on a 400", calls.Load())
	}
}

func TestDevMailerLogsLinkNotAddress(t *testing.T) {
	var buf strings.Builder
	m := mail.NewDevMailer(zerolog.New(&buf))
	_ = m.Send(context.Background(), mail.Message{Event: "verify", To: "secret-person@example.test", UserID: "u1", Link: "https://p/verify?token=abc"})
	if !strings.Contains(buf.String(), "verify?token=abc") || strings.Contains(buf.String(), "secret-person") {
		t.Fatalf("dev log: %s", buf.String())
	}
}

// fakeSMTP is a minimal SMTP server with optional STARTTLS.
type fakeSMTP struct {
	ln       net.Listener
	tlsCfg   *tls.Config
	mu       sync.Mutex
	data     string
	sawTLS   bool
	rcpt     string
	finished chan struct{}
}

func newFakeSMTP(t *testing.T, withTLS bool) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{ln: ln, finished: make(chan struct{})}
	if withTLS {
		f.tlsCfg = selfSignedTLS(t)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go f.serve()
	return f
}

func (f *fakeSMTP) serve() {
	conn, err := f.ln.Accept()
	if err != nil {
		return
	}
	defer conn.Close()
	defer close(f.finished)
	var c net.Conn = conn
	rw := bufio.NewReadWriter(bufio.NewReader(c), bufio.NewWriter(c))
	say := func(s string) { rw.WriteString(s + "\r\n"); rw.Flush() }
	say("220 fake ESMTP")
	for {
		line, err := rw.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			if f.tlsCfg != nil && !f.sawTLS {
				say("250-fake\r\n250 STARTTLS")
			} else {
				say("250 fake")
			}
		case cmd == "STARTTLS":
			say("220 go ahead")
			tc := tls.Server(conn, f.tlsCfg)
			if tc.Handshake() != nil {
				return
			}
			f.mu.Lock()
			f.sawTLS = true
			f.mu.Unlock()
			c = tc
			rw = bufio.NewReadWriter(bufio.NewReader(c), bufio.NewWriter(c))
		case strings.HasPrefix(cmd, "MAIL FROM"):
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO"):
			f.mu.Lock()
			f.rcpt = strings.TrimSpace(line)
			f.mu.Unlock()
			say("250 ok")
		case cmd == "DATA":
			say("354 go")
			var b strings.Builder
			for {
				l, err := rw.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			f.mu.Lock()
			f.data = b.String()
			f.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func selfSignedTLS(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

func TestSMTPMailerUsesSTARTTLS(t *testing.T) {
	f := newFakeSMTP(t, true)
	m := &mail.SMTPMailer{Addr: f.ln.Addr().String(), From: "gatehouse@example.test", TLSConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // self-signed test server
	err := m.Send(context.Background(), mail.Message{Event: mail.EventVerify, To: "dest@example.test", UserID: "u", Link: "https://p/verify?token=t"})
	if err != nil {
		t.Fatal(err)
	}
	<-f.finished
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.sawTLS || !strings.Contains(f.rcpt, "dest@example.test") || !strings.Contains(f.data, "verify?token=t") || !strings.Contains(f.data, "Subject: Confirm") {
		t.Fatalf("tls=%v rcpt=%q data=%q", f.sawTLS, f.rcpt, f.data)
	}
}

func TestSMTPMailerRefusesPlaintextServer(t *testing.T) {
	f := newFakeSMTP(t, false)
	m := &mail.SMTPMailer{Addr: f.ln.Addr().String(), From: "gatehouse@example.test"}
	err := m.Send(context.Background(), mail.Message{Event: mail.EventVerify, To: "dest@example.test"})
	if !errors.Is(err, mail.ErrSMTPNoTLS) {
		t.Fatalf("err = %v", err)
	}
}

func TestSMTPMailerRefusesHeaderInjection(t *testing.T) {
	m := &mail.SMTPMailer{Addr: "127.0.0.1:1", From: "g@example.test"}
	if err := m.Send(context.Background(), mail.Message{To: "a@b.test\r\nBcc: c@d.test"}); !errors.Is(err, mail.ErrSMTPHeader) {
		t.Fatalf("err = %v", err)
	}
}

func secret(label string) signing.Secret {
	return signing.NewSecret([]byte(strings.Repeat(label, 40)[:40]))
}
