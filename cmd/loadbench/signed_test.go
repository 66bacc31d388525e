package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

func testPresigner(t *testing.T, uri string) presigner {
	t.Helper()
	raw, _, _, err := signing.GenerateAPIKey(keyPrefix, "prod")
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPresigner(raw, keyPrefix, appHost, uri)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPresignedEqualsSignRequest: the fast pre-signing path produces the
// Authorization that the signing package's client writes for the same
// request, date and nonce (so the verifier accepts it as it accepts the
// client's).
func TestPresignedEqualsSignRequest(t *testing.T) {
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	for _, uri := range []string{appURI, "/api/x", "/api/a%2Fb?z=1&a=2&a=1"} {
		t.Run(uri, func(t *testing.T) {
			p := testPresigner(t, uri)
			got, err := p.headers(now, "lb1-m1-42")
			if err != nil {
				t.Fatal(err)
			}
			r, err := http.NewRequest(http.MethodGet, "https://"+appHost+uri, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := signing.SignRequest(r, p.keyID, p.secret, now, "lb1-m1-42", nil); err != nil {
				t.Fatal(err)
			}
			want := [][2]string{
				{"X-Auth-Date", r.Header.Get("X-Auth-Date")},
				{"X-Auth-Nonce", r.Header.Get("X-Auth-Nonce")},
				{"Authorization", r.Header.Get("Authorization")},
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("header %d: got %q, want %q", i, got[i], want[i])
				}
			}
		})
	}
}

// TestPresignedFileLayout: the files are what lua/bench.lua reads: the
// date, the nonce prefix, the Authorization prefix, then one 64-byte hex
// signature per request whose nonce is the prefix and its 1-based index.
func TestPresignedFileLayout(t *testing.T) {
	p := testPresigner(t, appURI)
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	prefix := filepath.Join(t.TempDir(), "set")
	const threads, n = 2, 5
	if err := p.writeSet(prefix, threads, n, "lbX-", now); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for th := 1; th <= threads; th++ {
		b, err := os.ReadFile(prefix + "." + strconv.Itoa(th))
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.SplitN(b, []byte("\n"), 4)
		if len(lines) != 4 {
			t.Fatalf("thread %d: %d parts", th, len(lines))
		}
		date, np, apre, blob := string(lines[0]), string(lines[1]), string(lines[2]), lines[3]
		if date != "2026-12-02T08:00:00Z" || np != "lbX-"+strconv.Itoa(th)+"-" || apre != p.authPrefix() {
			t.Fatalf("thread %d: head %q %q %q", th, date, np, apre)
		}
		if len(blob) != n*64 {
			t.Fatalf("thread %d: %d signature bytes, want %d", th, len(blob), n*64)
		}
		for i := 1; i <= n; i++ {
			nonce := np + strconv.Itoa(i)
			if seen[nonce] {
				t.Fatalf("nonce %q repeats across threads", nonce)
			}
			seen[nonce] = true
			h, err := p.headers(now, nonce)
			if err != nil {
				t.Fatal(err)
			}
			if got := apre + string(blob[(i-1)*64:i*64]); got != h[2][1] {
				t.Errorf("thread %d request %d: %q, want %q", th, i, got, h[2][1])
			}
		}
	}
}
