package jwks_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/jwks"
)

// URL rules are checked when the Source is made: https only, plain http
// only to loopback with AllowLoopbackHTTP, no userinfo or fragments.
func TestNewRefusesUnsafeURLs(t *testing.T) {
	cases := []struct {
		url      string
		loopback bool
		want     error
	}{
		{"https://idp.example.com/jwks", false, nil},
		{"https://idp.example.com:8443/keys?v=1", false, nil},
		{"http://idp.example.com/jwks", false, jwks.ErrInsecureURL},
		{"http://idp.example.com/jwks", true, jwks.ErrInsecureURL},
		{"http://127.0.0.1:8080/jwks", false, jwks.ErrInsecureURL},
		{"http://127.0.0.1:8080/jwks", true, nil},
		{"http://127.9.9.9/jwks", true, nil},
		{"http://[::1]:80/jwks", true, nil},
		{"http://localhost/jwks", true, nil},
		{"http://LocalHost/jwks", true, nil},
		{"http://localhost.evil.example/jwks", true, jwks.ErrInsecureURL},
		{"http://127.0.0.1.nip.io/jwks", true, jwks.ErrInsecureURL},
		{"http://10.0.0.1/jwks", true, jwks.ErrInsecureURL},
		{"https://user:pw@idp.example.com/jwks", false, jwks.ErrBadURL},
		{"https://idp.example.com@evil.example/jwks", false, jwks.ErrBadURL},
		{"https://idp.example.com/jwks#frag", false, jwks.ErrBadURL},
		{"https://idp.example.com/jwks#", false, jwks.ErrBadURL},
		{"https://idp.example.com:/jwks", false, jwks.ErrBadURL},
		{"https://idp.example.com:0/jwks", false, jwks.ErrBadURL},
		{"https://idp.example.com:065535/jwks", false, jwks.ErrBadURL},
		{"https://idp%2eexample.com/jwks", false, jwks.ErrBadURL},
		{"https://idp_x.example.com/jwks", false, jwks.ErrBadURL},
		{"https://[fe80::1%25eth0]/jwks", false, jwks.ErrBadURL},
		{"https://idp.example.com/jw ks", false, jwks.ErrBadURL},
		{"https:idp.example.com/jwks", false, jwks.ErrBadURL},
		{"//idp.example.com/jwks", false, jwks.ErrBadURL},
		{"ftp://idp.example.com/jwks", false, jwks.ErrBadURL},
		{"file:///etc/passwd", false, jwks.ErrBadURL},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			_, err := jwks.New(jwks.Options{JWKSURL: c.url, Client: http.DefaultClient, AllowLoopbackHTTP: c.loopback})
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			// The same rules apply to a discovery issuer.
			if c.url != "" && !strings.Contains(c.url, "?") {
				_, err = jwks.New(jwks.Options{Issuer: c.url, Discovery: true, Client: http.DefaultClient, AllowLoopbackHTTP: c.loopback})
				if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
					t.Fatalf("issuer: got %v, want %v", err, c.want)
				}
			}
		})
	}
}

func TestNewRefusesIncompleteOptions(t *testing.T) {
	cases := map[string]jwks.Options{
		"no client":                {JWKSURL: "https://a.example/jwks"},
		"neither url":              {Client: http.DefaultClient},
		"both url and discovery":   {Client: http.DefaultClient, Discovery: true, Issuer: "https://a.example", JWKSURL: "https://a.example/jwks"},
		"issuer with a query":      {Client: http.DefaultClient, Discovery: true, Issuer: "https://a.example/?x=1"},
		"max ttl under min ttl":    {Client: http.DefaultClient, JWKSURL: "https://a.example/jwks", MinTTL: time.Hour, MaxTTL: time.Minute},
		"discovery without issuer": {Client: http.DefaultClient, Discovery: true},
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := jwks.New(o); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// A failed fetch of any kind leaves the last good set in place and is
// counted; the error says why.
func TestRefreshRefusesHostileEndpoints(t *testing.T) {
	k := tk(t)
	good := setOf(rsaJWK("a", "", &k.rsa.PublicKey))
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(good) }))
	defer other.Close()
	hang := make(chan struct{})
	defer close(hang)
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    error
	}{
		{"oversized body", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"keys":[`))
			w.Write([]byte(strings.Repeat(" ", 1024)))
			w.Write([]byte(`]}`))
		}, jwks.ErrTooLarge},
		{"non-JSON", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) }, jwks.ErrInvalidSet},
		{"HTML error page with 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte("<html>maintenance</html>"))
		}, jwks.ErrFetch},
		{"HTML page labelled JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("<html>maintenance</html>"))
		}, jwks.ErrInvalidSet},
		{"status 500", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500); w.Write(good) }, jwks.ErrFetch},
		{"status 404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, jwks.ErrFetch},
		{"hanging endpoint times out", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-hang:
			}
		}, context.DeadlineExceeded},
		{"body that stalls times out", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"keys":[`))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-hang:
			}
		}, context.DeadlineExceeded},
		{"redirect to another origin", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/jwks", http.StatusFound)
		}, jwks.ErrRedirect},
		{"redirect loop on the same origin", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/again", http.StatusFound)
		}, jwks.ErrRedirect},
		{"private key published", func(w http.ResponseWriter, r *http.Request) {
			w.Write(setOf(with(rsaJWK("a", "", &k.rsa.PublicKey), "d", b64(k.rsa.D.Bytes()))))
		}, jwks.ErrPrivateKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			serveGood := true
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				g := serveGood
				mu.Unlock()
				if g {
					w.Write(good)
					return
				}
				c.handler(w, r)
			}))
			defer srv.Close()
			s := newSource(t, srv.URL+"/jwks", newClock(), func(o *jwks.Options) {
				o.MaxBody = 1000
				o.Timeout = 100 * time.Millisecond
			})
			if err := s.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			serveGood = false
			mu.Unlock()
			err := s.Refresh(context.Background())
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if _, err := s.Key("a", "RS256"); err != nil {
				t.Fatalf("last good set lost: %v", err)
			}
			if st := s.Stats(); st.Fetches != 2 || st.Failures != 1 || st.Keys != 1 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// An https endpoint works without AllowLoopbackHTTP (the production path).
func TestRefreshOverHTTPS(t *testing.T) {
	k := tk(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(setOf(ecJWK("e", &k.p384.PublicKey)))
	}))
	defer srv.Close()
	s, err := jwks.New(jwks.Options{JWKSURL: srv.URL + "/jwks", Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Key("e", "ES384"); err != nil {
		t.Fatal(err)
	}
	// The same server over plain http is refused without the option.
	if _, err := jwks.New(jwks.Options{JWKSURL: strings.Replace(srv.URL, "https", "http", 1), Client: srv.Client()}); !errors.Is(err, jwks.ErrInsecureURL) {
		t.Fatalf("plain http accepted: %v", err)
	}
}

// A redirect within the same origin is followed (decision documented in
// doc.go: another origin is refused).
func TestRefreshFollowsSameOriginRedirect(t *testing.T) {
	k := tk(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/new", http.StatusMovedPermanently) })
	mux.HandleFunc("/new", func(w http.ResponseWriter, r *http.Request) { w.Write(setOf(ecJWK("e", &k.p256.PublicKey))) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	s := newSource(t, srv.URL+"/old", newClock(), nil)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Key("e", "ES256"); err != nil {
		t.Fatal(err)
	}
}

// discoveryServer serves an OpenID discovery document naming issuer and a
// jwks_uri on itself (jwksPath) or elsewhere.
func discoveryServer(t *testing.T, jwksBody []byte, doc func(self string) string) *httptest.Server {
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("/tenant/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(doc(srv.URL)))
	})
	mux.HandleFunc("/tenant/keys", func(w http.ResponseWriter, r *http.Request) { w.Write(jwksBody) })
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestDiscovery(t *testing.T) {
	k := tk(t)
	body := setOf(edJWK("o", k.ed.Public().(ed25519.PublicKey)))
	cases := []struct {
		name   string
		issuer func(self string) string // configured
		doc    func(self string) string
		want   error
	}{
		{"issuer matches", func(s string) string { return s + "/tenant" }, func(s string) string {
			return fmt.Sprintf(`{"issuer":%q,"jwks_uri":%q}`, s+"/tenant", s+"/tenant/keys")
		}, nil},
		{"configured issuer with trailing slash", func(s string) string { return s + "/tenant/" }, func(s string) string {
			return fmt.Sprintf(`{"issuer":%q,"jwks_uri":%q}`, s+"/tenant/", s+"/tenant/keys")
		}, nil},
		{"mismatched issuer", func(s string) string { return s + "/tenant" }, func(s string) string {
			return fmt.Sprintf(`{"issuer":"https://evil.example/tenant","jwks_uri":%q}`, s+"/tenant/keys")
		}, jwks.ErrIssuerMismatch},
		{"issuer differing by a trailing slash", func(s string) string { return s + "/tenant" }, func(s string) string {
			return fmt.Sprintf(`{"issuer":%q,"jwks_uri":%q}`, s+"/tenant/", s+"/tenant/keys")
		}, jwks.ErrIssuerMismatch},
		{"jwks_uri over http to a remote host", func(s string) string { return s + "/tenant" }, func(s string) string {
			return fmt.Sprintf(`{"issuer":%q,"jwks_uri":"http://evil.example/keys"}`, s+"/tenant")
		}, jwks.ErrInsecureURL},
		{"jwks_uri with userinfo", func(s string) string { return s + "/tenant" }, func(s string) string {
			return fmt.Sprintf(`{"issuer":%q,"jwks_uri":"https://a@evil.example/keys"}`, s+"/tenant")
		}, jwks.ErrBadURL},
		{"no jwks_uri", func(s string) string { return s + "/tenant" }, func(s string) string {
			return fmt.Sprintf(`{"issuer":%q}`, s+"/tenant")
		}, jwks.ErrBadURL},
		{"discovery not JSON", func(s string) string { return s + "/tenant" }, func(s string) string { return "<html>" }, jwks.ErrFetch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := discoveryServer(t, body, c.doc)
			s, err := jwks.New(jwks.Options{Issuer: c.issuer(srv.URL), Discovery: true, Client: srv.Client(), AllowLoopbackHTTP: true})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Refresh(context.Background())
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			_, kerr := s.Key("o", "EdDSA")
			if (err == nil) != (kerr == nil) {
				t.Fatalf("Key after refresh: %v", kerr)
			}
		})
	}
}

// The cache lifetime follows Cache-Control (or Expires), clamped to
// [MinTTL, MaxTTL]; no-store, no-cache and missing headers give MinTTL.
func TestCacheLifetimeIsClamped(t *testing.T) {
	k := tk(t)
	body := setOf(rsaJWK("a", "", &k.rsa.PublicKey))
	c := newClock()
	date := c.Now().Format(http.TimeFormat)
	cases := []struct {
		name    string
		headers []string
		want    time.Duration
	}{
		{"missing", nil, 5 * time.Minute},
		{"max-age inside", []string{"Cache-Control", "public, max-age=3600"}, time.Hour},
		{"max-age under min", []string{"Cache-Control", "max-age=10"}, 5 * time.Minute},
		{"max-age over max", []string{"Cache-Control", "max-age=31536000"}, 24 * time.Hour},
		{"huge max-age", []string{"Cache-Control", "max-age=99999999999999999999"}, 5 * time.Minute},
		{"max-age less Age", []string{"Cache-Control", "max-age=3600", "Age", "600"}, 50 * time.Minute},
		{"quoted max-age", []string{"Cache-Control", `max-age="7200"`}, 2 * time.Hour},
		{"negative max-age", []string{"Cache-Control", "max-age=-5"}, 5 * time.Minute},
		{"garbage max-age", []string{"Cache-Control", "max-age=soon"}, 5 * time.Minute},
		{"no-store (Hydra)", []string{"Cache-Control", "max-age=3600, no-store"}, 5 * time.Minute},
		{"no-cache", []string{"Cache-Control", "no-cache"}, 5 * time.Minute},
		{"no-cache in a second header", []string{"Cache-Control", "max-age=3600", "Cache-Control", "no-cache"}, 5 * time.Minute},
		{"Expires against Date", []string{"Date", date, "Expires", c.Now().Add(2 * time.Hour).Format(http.TimeFormat)}, 2 * time.Hour},
		{"Expires in the past", []string{"Expires", c.Now().Add(-time.Hour).Format(http.TimeFormat)}, 5 * time.Minute},
		{"invalid Expires", []string{"Expires", "0"}, 5 * time.Minute},
		{"max-age wins over Expires", []string{"Cache-Control", "max-age=1800", "Expires", c.Now().Add(5 * time.Hour).Format(http.TimeFormat)}, 30 * time.Minute},
	}
	ep := newEndpoint(t, body)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ep.serve(200, body, tc.headers...)
			s := newSource(t, ep.URL, c, nil)
			if err := s.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := s.Stats().Expires.Sub(c.Now()); got != tc.want {
				t.Fatalf("lifetime %v, want %v", got, tc.want)
			}
		})
	}
}

// While the endpoint fails, the last good set works until expiry +
// StaleFor; then Key answers ErrStale (fail closed) until a fetch succeeds.
func TestStaleWindowThenErrStale(t *testing.T) {
	k := tk(t)
	body := setOf(rsaJWK("a", "", &k.rsa.PublicKey))
	ep := newEndpoint(t, body)
	ep.serve(200, body, "Cache-Control", "max-age=600")
	c := newClock()
	s := newSource(t, ep.URL, c, nil)
	if _, err := s.Key("a", "RS256"); err != jwks.ErrStale {
		t.Fatalf("before the first fetch: %v", err)
	}
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	ep.serve(503, []byte("down"))
	steps := []struct {
		advance time.Duration
		want    error
	}{
		{9 * time.Minute, nil},           // before expiry
		{2 * time.Minute, nil},           // expired, inside StaleFor
		{59 * time.Minute, nil},          // expiry + 1 h exactly
		{time.Nanosecond, jwks.ErrStale}, // past it
	}
	for i, st := range steps {
		c.Advance(st.advance)
		if err := s.Refresh(context.Background()); err == nil {
			t.Fatal("refresh against a failing endpoint succeeded")
		}
		if _, err := s.Key("a", "RS256"); err != st.want {
			t.Fatalf("step %d: got %v, want %v", i, err, st.want)
		}
	}
	ep.serve(200, body)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Key("a", "RS256"); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if st := s.Stats(); st.Fetches != 6 || st.Failures != 4 {
		t.Fatalf("stats %+v", st)
	}
}

// Rotation: a new key appears after a refresh, a removed key disappears.
func TestKeyRotation(t *testing.T) {
	k := tk(t)
	oldKey, newKey := rsaJWK("old", "", &k.rsa.PublicKey), rsaJWK("new", "", &k.rsa2.PublicKey)
	ep := newEndpoint(t, setOf(oldKey))
	s := newSource(t, ep.URL, newClock(), nil)
	steps := []struct {
		set      []byte
		old, new error
	}{
		{setOf(oldKey), nil, jwks.ErrUnknownKID},
		{setOf(oldKey, newKey), nil, nil},
		{setOf(newKey), jwks.ErrUnknownKID, nil},
	}
	for i, st := range steps {
		ep.serve(200, st.set)
		if err := s.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Key("old", "RS256"); err != st.old {
			t.Fatalf("step %d old: %v", i, err)
		}
		if _, err := s.Key("new", "RS256"); err != st.new {
			t.Fatalf("step %d new: %v", i, err)
		}
	}
}

// A flood of unknown kids from many goroutines asks for one refresh per
// UnknownKIDRefreshInterval, never more.
func TestUnknownKIDFloodAsksForOneRefreshPerInterval(t *testing.T) {
	k := tk(t)
	ep := newEndpoint(t, setOf(rsaJWK("a", "", &k.rsa.PublicKey)))
	c := newClock()
	s := newSource(t, ep.URL, c, nil)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	flood := func() {
		var wg sync.WaitGroup
		for g := range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 200 {
					if _, err := s.Key(fmt.Sprintf("kid-%d-%d", g, i), "RS256"); err != jwks.ErrUnknownKID {
						t.Errorf("got %v", err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	// A token whose alg fits no key never asks for a refresh.
	for _, alg := range []string{"none", "HS256", "", "ES512"} {
		if _, err := s.Key("unknown", alg); err != jwks.ErrAlgMismatch {
			t.Fatalf("alg %q: %v", alg, err)
		}
	}
	if got := s.Stats().UnknownKIDRefreshes; got != 0 {
		t.Fatalf("an unusable alg asked for %d refreshes", got)
	}
	steps := []struct {
		advance time.Duration
		want    uint64
	}{
		{0, 1},
		{UnknownKIDInterval - time.Nanosecond, 1},
		{time.Nanosecond, 2},
		{time.Second, 2},
		{time.Hour, 3},
		{-time.Second, 3},   // clock slightly back: still closed
		{-2 * time.Hour, 4}, // clock set far back: the gate reopens
		{time.Second, 4},
	}
	for i, st := range steps {
		c.Advance(st.advance)
		flood()
		if got := s.Stats().UnknownKIDRefreshes; got != st.want {
			t.Fatalf("step %d: %d refreshes asked for, want %d", i, got, st.want)
		}
	}
	if ep.hits.Load() != 1 {
		t.Fatalf("without the refresher, Key fetched: %d hits", ep.hits.Load())
	}
}

const UnknownKIDInterval = jwks.UnknownKIDRefreshInterval

// With the refresher running, an unknown kid leads to one background fetch
// that brings the new key; a flood in the same interval adds none.
func TestRefresherFetchesOnUnknownKID(t *testing.T) {
	k := tk(t)
	oldKey, newKey := rsaJWK("old", "", &k.rsa.PublicKey), ecJWK("new", &k.p256.PublicKey)
	ep := newEndpoint(t, setOf(oldKey))
	fetched := make(chan jwks.FetchResult, 16)
	c := newClock()
	s := newSource(t, ep.URL, c, func(o *jwks.Options) {
		o.OnFetch = func(r jwks.FetchResult) { fetched <- r }
	})
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-fetched
	s.Start()
	ep.serve(200, setOf(oldKey, newKey))
	if _, err := s.Key("new", "ES256"); err != jwks.ErrUnknownKID {
		t.Fatalf("before the refresh: %v", err)
	}
	for range 1000 { // the background fetch may land during the flood
		if _, err := s.Key("new", "ES256"); err != jwks.ErrUnknownKID && err != nil {
			t.Fatal(err)
		}
	}
	if r := <-fetched; r.Err != nil || r.Keys != 2 {
		t.Fatalf("background fetch %+v", r)
	}
	if _, err := s.Key("new", "ES256"); err != nil {
		t.Fatalf("after the refresh: %v", err)
	}
	for range 1000 {
		s.Key("other", "ES256")
	}
	s.Close()
	if got := ep.hits.Load(); got != 2 {
		t.Fatalf("%d fetches, want 2", got)
	}
}

// Start on a Source without keys fetches at once; Close stops it and is
// idempotent; Start after Close does nothing.
func TestStartFetchesFirstSetAndCloseStops(t *testing.T) {
	k := tk(t)
	ep := newEndpoint(t, setOf(rsaJWK("a", "", &k.rsa.PublicKey)))
	fetched := make(chan jwks.FetchResult, 16)
	s := newSource(t, ep.URL, newClock(), func(o *jwks.Options) {
		o.OnFetch = func(r jwks.FetchResult) { fetched <- r }
	})
	s.Start()
	s.Start()
	if r := <-fetched; r.Err != nil {
		t.Fatal(r.Err)
	}
	if _, err := s.Key("a", "RS256"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close()
	s.Start()
	if got := ep.hits.Load(); got != 1 {
		t.Fatalf("%d fetches", got)
	}
}

func BenchmarkKey(b *testing.B) {
	k := tk(b)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(setOf(rsaJWK("a", "", &k.rsa.PublicKey), ecJWK("b", &k.p256.PublicKey), edJWK("c", k.ed.Public().(ed25519.PublicKey))))
	}))
	defer srv.Close()
	s, err := jwks.New(jwks.Options{JWKSURL: srv.URL, Client: srv.Client(), AllowLoopbackHTTP: true})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Key("b", "ES256"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
