package loginui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/bolt"
	"github.com/gatehouse/gatehouse/keystore/memory"
	"github.com/gatehouse/gatehouse/loginui"
	"github.com/gatehouse/gatehouse/signing"
)

// fastParams keep argon2id cheap in tests.
var fastParams = signing.PasswordParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const testPassword = "correct horse battery"

// fakeClock is a settable clock shared by the portal and the stores.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// captureMailer records messages.
type captureMailer struct {
	mu   sync.Mutex
	msgs []loginui.Message
	ch   chan loginui.Message
}

func newCaptureMailer() *captureMailer { return &captureMailer{ch: make(chan loginui.Message, 64)} }

func (m *captureMailer) Send(_ context.Context, msg loginui.Message) error {
	m.mu.Lock()
	m.msgs = append(m.msgs, msg)
	m.mu.Unlock()
	m.ch <- msg
	return nil
}

// next waits for the next message of event.
func (m *captureMailer) next(t *testing.T, event string) loginui.Message {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case msg := <-m.ch:
			if msg.Event == event {
				return msg
			}
		case <-timeout:
			t.Fatalf("no %s mail", event)
		}
	}
}

// none asserts no message arrives within d.
func (m *captureMailer) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case msg := <-m.ch:
		t.Fatalf("unexpected %s mail", msg.Event)
	case <-time.After(d):
	}
}

// failingDenylist fails every call while fail is set.
type failingDenylist struct {
	keystore.Denylist
	mu   sync.Mutex
	fail bool
}

var errInjected = errors.New("injected store failure")

func (f *failingDenylist) set(v bool) { f.mu.Lock(); f.fail = v; f.mu.Unlock() }
func (f *failingDenylist) failing() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fail
}
func (f *failingDenylist) Deny(ctx context.Context, id string, until time.Time) error {
	if f.failing() {
		return errInjected
	}
	return f.Denylist.Deny(ctx, id, until)
}
func (f *failingDenylist) IsDenied(ctx context.Context, id []byte) (bool, error) {
	if f.failing() {
		return false, errInjected
	}
	return f.Denylist.IsDenied(ctx, id)
}

func secret(label string) signing.Secret {
	return signing.NewSecret([]byte(strings.Repeat(label, 40)[:40]))
}

type harness struct {
	t      testing.TB
	p      *loginui.Portal
	srv    *httptest.Server
	store  *bolt.Store
	mem    *memory.Store
	deny   *failingDenylist
	mail   *captureMailer
	logs   *syncBuffer
	clock  *fakeClock
	hasher *signing.Hasher
	opts   loginui.Options
}

func newHarness(t testing.TB, mod func(*loginui.Options)) *harness {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	st, err := bolt.Open(filepath.Join(t.TempDir(), "gh.db"), bolt.Options{Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	mem := memory.New(memory.Options{Clock: clock.Now})
	hasher, err := signing.NewHasher(fastParams)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, store: st, mem: mem, deny: &failingDenylist{Denylist: st}, mail: newCaptureMailer(), logs: &syncBuffer{}, clock: clock, hasher: hasher}
	o := loginui.Options{
		Users: st, Sessions: st, Denylist: h.deny, Markers: mem, Counters: mem,
		Secrets: loginui.Secrets{
			TokenHash: secret("th"), CSRF: secret("cs"), VerifyToken: secret("vt"), ResetToken: secret("rt"),
			AccessToken: secret("at"), Fingerprint: secret("fp"),
		},
		Development:     true,
		Hasher:          hasher,
		Mailer:          h.mail,
		Logger:          zerolog.New(h.logs),
		Now:             clock.Now,
		MinResponseTime: 5 * time.Millisecond,
		RateLimits: map[string]loginui.RateLimit{
			loginui.SlotLogin: {Max: 1000, Window: time.Minute}, loginui.SlotRegister: {Max: 1000, Window: time.Minute},
			loginui.SlotForgotPassword: {Max: 1000, Window: time.Minute}, loginui.SlotRefresh: {Max: 1000, Window: time.Minute},
			loginui.SlotChangePassword: {Max: 1000, Window: time.Minute}, loginui.SlotResetPassword: {Max: 1000, Window: time.Minute},
			loginui.SlotVerifyToken: {Max: 1000, Window: time.Minute},
		},
	}
	srv := httptest.NewUnstartedServer(nil)
	o.PublicURL = "http://" + srv.Listener.Addr().String()
	if mod != nil {
		mod(&o)
	}
	h.opts = o
	p, err := loginui.New(o)
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	h.p = p
	srv.Config.Handler = p
	srv.Start()
	h.srv = srv
	t.Cleanup(func() {
		h.srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		p.Close(ctx)
	})
	return h
}

// addUser stores a user with testPassword.
func (h *harness) addUser(email string, superuser bool) *keystore.User {
	h.t.Helper()
	hash, err := h.hasher.Hash(testPassword)
	if err != nil {
		h.t.Fatal(err)
	}
	id, _ := signing.RandomHex(16)
	now := h.clock.Now()
	u := &keystore.User{ID: id, Email: email, PasswordHash: hash, Active: true, Verified: true, Superuser: superuser, CreatedAt: now, UpdatedAt: now}
	if superuser {
		u.Roles = []string{"admin"}
	}
	if err := h.store.CreateUser(context.Background(), u); err != nil {
		h.t.Fatal(err)
	}
	return u
}

func (h *harness) user(id string) *keystore.User {
	h.t.Helper()
	u, err := h.store.GetUser(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return u
}

// client is a cookie-keeping HTTP client that does not follow redirects.
type client struct {
	h      *harness
	c      *http.Client
	csrf   string
	bearer string
}

func (h *harness) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{h: h, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) code() string {
	var e struct{ Code string }
	_ = json.Unmarshal(r.body, &e)
	return e.Code
}

func (r resp) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

// do sends a request. body: nil, string (sent as is, JSON type) or a value
// encoded as JSON. CSRF and bearer headers are added when set.
func (c *client) do(method, path string, body any, hdr ...string) resp {
	c.h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case url.Values:
		rd = strings.NewReader(b.Encode())
	default:
		bs, _ := json.Marshal(b)
		rd = bytes.NewReader(bs)
	}
	req, err := http.NewRequest(method, c.h.srv.URL+path, rd)
	if err != nil {
		c.h.t.Fatal(err)
	}
	if _, ok := body.(url.Values); ok {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.c.Do(req)
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.h.srv.URL)
	for _, ck := range c.c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// login logs in with a cookie session and keeps the CSRF token.
func (c *client) login(email, pw string) {
	c.h.t.Helper()
	r := c.do("POST", "/api/auth/login", map[string]string{"identifier": email, "password": pw})
	if r.status != 200 {
		c.h.t.Fatalf("login: %d %s", r.status, r.body)
	}
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	r.json(c.h.t, &out)
	if out.CSRF == "" || out.CSRF != c.cookie("gatehouse_csrf") {
		c.h.t.Fatalf("csrf token %q does not match cookie", out.CSRF)
	}
	c.csrf = out.CSRF
}

type tokens struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token"`
}

// loginBearer logs in with ?transport=bearer.
func (h *harness) loginBearer(email, pw string) tokens {
	h.t.Helper()
	r := h.client().do("POST", "/api/auth/login?transport=bearer", map[string]string{"identifier": email, "password": pw})
	if r.status != 200 {
		h.t.Fatalf("bearer login: %d %s", r.status, r.body)
	}
	var tk tokens
	r.json(h.t, &tk)
	if tk.AccessToken == "" || tk.RefreshToken == "" || tk.TokenType != "bearer" {
		h.t.Fatalf("bearer login answer: %s", r.body)
	}
	return tk
}

func (h *harness) bearer(tok string) *client {
	c := h.client()
	c.bearer = tok
	return c
}

func wantStatus(t *testing.T, r resp, status int, code string) {
	t.Helper()
	if r.status != status || (code != "" && r.code() != code) {
		t.Fatalf("got %d %s, want %d %s", r.status, r.body, status, code)
	}
}
