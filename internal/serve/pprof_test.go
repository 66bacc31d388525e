package serve

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse/gatehouse/config"
)

// The profiling mux serves only /debug/pprof/: it must not become a
// second admin or portal listener.
func TestPprofServerServesOnlyDebugPprof(t *testing.T) {
	h := pprofServer().Handler
	cases := []struct {
		path string
		want int
	}{
		{"/debug/pprof/", http.StatusOK},
		{"/debug/pprof/heap?debug=1", http.StatusOK},
		{"/metrics", http.StatusNotFound},
		{"/", http.StatusNotFound},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", c.path, nil))
		if rec.Code != c.want {
			t.Errorf("%s: %d, want %d", c.path, rec.Code, c.want)
		}
	}
}

func TestPprofListenerIsOffByDefault(t *testing.T) {
	s := &Server{cfg: config.Default()}
	ln, err := s.listenPprof()
	if err != nil || ln != nil {
		t.Fatalf("listener %v, error %v; want none", ln, err)
	}
}
