package web

import (
	"bytes"
	"net/http"
	"time"
)

// Padded runs h into a buffer and releases the answer no earlier than min
// after the request started, so the work done for an existing account
// (hashing, mail) cannot be told apart by timing.
func Padded(min time.Duration, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &bufferedWriter{header: w.Header(), status: http.StatusOK}
		h(rec, r)
		if d := min - time.Since(start); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
			}
		}
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body.Bytes())
	}
}

// bufferedWriter holds an answer until Padded releases it. Headers go
// straight to the real writer's map (nothing is sent before WriteHeader).
type bufferedWriter struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(s int) {
	if !b.wrote {
		b.status, b.wrote = s, true
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}
