package loginui_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui"
)

func TestLoginCookieAndBearer(t *testing.T) {
	h := newHarness(t, nil)
	u := h.addUser("Alice@Example.test", false)

	c := h.client()
	c.login("alice@example.TEST", testPassword)
	var me struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}
	r := c.do("GET", "/api/users/me", nil)
	wantStatus(t, r, 200, "")
	r.json(t, &me)
	if me.ID != u.ID {
		t.Fatalf("me = %+v", me)
	}
	if c.cookie("gatehouse_session") == "" {
		t.Fatal("no session cookie")
	}

	tk := h.loginBearer("alice@example.test", testPassword)
	wantStatus(t, h.bearer(tk.AccessToken).do("GET", "/api/users/me", nil), 200, "")
}

func TestLoginErrors(t *testing.T) {
	h := newHarness(t, nil)
	inactive := h.addUser("off@example.test", false)
	if _, err := h.store.UpdateUser(t.Context(), inactive.ID, func(u *keystore.User) error { u.Active = false; return nil }); err != nil {
		t.Fatal(err)
	}
	h.addUser("bob@example.test", false)
	cases := []struct {
		name, path string
		body       any
		ctype      string
		status     int
		code       string
	}{
		{"unknown field", "/api/auth/login", `{"identifier":"bob@example.test","password":"x","extra":1}`, "", 422, loginui.CodeLoginPayloadInvalid},
		{"missing password", "/api/auth/login", `{"identifier":"bob@example.test"}`, "", 422, loginui.CodeLoginPayloadInvalid},
		{"not json", "/api/auth/login", `identifier=bob`, "", 422, loginui.CodeLoginPayloadInvalid},
		{"form content type", "/api/auth/login", `{"identifier":"bob@example.test","password":"x"}`, "text/plain", 422, loginui.CodeLoginPayloadInvalid},
		{"trailing data", "/api/auth/login", `{"identifier":"a","password":"b"}{}`, "", 422, loginui.CodeLoginPayloadInvalid},
		{"oversize", "/api/auth/login", `{"identifier":"` + strings.Repeat("a", 20000) + `","password":"x"}`, "", 422, loginui.CodeLoginPayloadInvalid},
		{"bad transport", "/api/auth/login?transport=carrier-pigeon", `{"identifier":"bob@example.test","password":"x"}`, "", 422, loginui.CodeLoginPayloadInvalid},
		{"wrong password", "/api/auth/login", `{"identifier":"bob@example.test","password":"wrong password!!"}`, "", 400, loginui.CodeLoginBadCredentials},
		{"unknown user", "/api/auth/login", `{"identifier":"nobody@example.test","password":"wrong password!!"}`, "", 400, loginui.CodeLoginBadCredentials},
		{"empty identifier", "/api/auth/login", `{"identifier":"","password":"x"}`, "", 400, loginui.CodeLoginBadCredentials},
		{"inactive", "/api/auth/login", `{"identifier":"off@example.test","password":"` + testPassword + `"}`, "", 400, loginui.CodeLoginAccountUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.ctype != "" {
				hdr = []string{"Content-Type", tc.ctype}
			}
			r := h.client().do("POST", tc.path, tc.body, hdr...)
			wantStatus(t, r, tc.status, tc.code)
			if strings.Contains(string(r.body), "bob@") {
				t.Fatal("answer echoes the identifier")
			}
		})
	}
}

// TestLoginEnumerationIdenticalAnswers: unknown account and wrong password
// give identical status, body and headers, and both take at least the
// minimum response time.
func TestLoginEnumerationIdenticalAnswers(t *testing.T) {
	const min = 120 * time.Millisecond
	h := newHarness(t, func(o *loginui.Options) { o.MinResponseTime = min })
	h.addUser("carol@example.test", false)
	send := func(email string) (resp, time.Duration) {
		start := time.Now()
		r := h.client().do("POST", "/api/auth/login", map[string]string{"identifier": email, "password": "not the password"})
		return r, time.Since(start)
	}
	known, dk := send("carol@example.test")
	unknown, du := send("nobody@example.test")
	wantStatus(t, known, 400, loginui.CodeLoginBadCredentials)
	if unknown.status != known.status || string(unknown.body) != string(known.body) {
		t.Fatalf("answers differ: %d %s vs %d %s", known.status, known.body, unknown.status, unknown.body)
	}
	known.header.Del("Date")
	unknown.header.Del("Date")
	if !equalHeaders(known.header, unknown.header) {
		t.Fatalf("headers differ:\n%v\n%v", known.header, unknown.header)
	}
	if dk < min || du < min {
		t.Fatalf("answers faster than the minimum: %v %v", dk, du)
	}
	if d := dk - du; d > min || d < -min {
		t.Fatalf("timing differs by %v", d)
	}
}

func equalHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if strings.Join(v, "\x00") != strings.Join(b[k], "\x00") {
			return false
		}
	}
	return true
}

func TestLogoutCookieAndBearer(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("dave@example.test", false)

	c := h.client()
	c.login("dave@example.test", testPassword)
	wantStatus(t, c.do("POST", "/api/auth/logout", nil), 204, "")
	wantStatus(t, c.do("GET", "/api/users/me", nil), 401, loginui.CodeAuthenticationFailed)

	tk := h.loginBearer("dave@example.test", testPassword)
	b := h.bearer(tk.AccessToken)
	wantStatus(t, b.do("POST", "/api/auth/logout", nil), 204, "")
	wantStatus(t, b.do("GET", "/api/users/me", nil), 401, loginui.CodeAuthenticationFailed)
	// Logout also revoked the refresh chain.
	wantStatus(t, h.client().do("POST", "/api/auth/refresh", map[string]string{"refresh_token": tk.RefreshToken}), 401, loginui.CodeRefreshTokenInvalid)
	// No credential at all.
	wantStatus(t, h.client().do("POST", "/api/auth/logout", nil), 401, loginui.CodeAuthenticationFailed)
}

func TestLogoutCookieSessionIsGone(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("erin@example.test", false)
	c := h.client()
	c.login("erin@example.test", testPassword)
	sess := c.cookie("gatehouse_session")
	wantStatus(t, c.do("POST", "/api/auth/logout", nil), 204, "")
	r := h.client().do("GET", "/api/users/me", nil, "Cookie", "gatehouse_session="+sess)
	wantStatus(t, r, 401, loginui.CodeAuthenticationFailed)
}

// TestLogoutStoreFailureIsNotASuccess: a failing denylist gives 503 and
// the token keeps working (no false success).
func TestLogoutStoreFailureIsNotASuccess(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("fay@example.test", false)
	tk := h.loginBearer("fay@example.test", testPassword)
	b := h.bearer(tk.AccessToken)
	h.deny.set(true)
	wantStatus(t, b.do("POST", "/api/auth/logout", nil), 503, loginui.CodeTokenProcessingFailed)
	wantStatus(t, b.do("GET", "/api/users/me", nil), 503, loginui.CodeTokenProcessingFailed)
	h.deny.set(false)
	wantStatus(t, b.do("GET", "/api/users/me", nil), 200, "")
}

func TestRefreshRotationAndReuseRevokesChain(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("gil@example.test", false)
	tk := h.loginBearer("gil@example.test", testPassword)
	c := h.client()

	r := c.do("POST", "/api/auth/refresh", map[string]string{"refresh_token": tk.RefreshToken})
	wantStatus(t, r, 200, "")
	var t2 tokens
	r.json(t, &t2)
	if t2.RefreshToken == tk.RefreshToken || t2.AccessToken == "" {
		t.Fatal("refresh did not rotate")
	}
	wantStatus(t, h.bearer(t2.AccessToken).do("GET", "/api/users/me", nil), 200, "")

	// Reuse of the spent token: refused, and the whole chain dies.
	wantStatus(t, c.do("POST", "/api/auth/refresh", map[string]string{"refresh_token": tk.RefreshToken}), 401, loginui.CodeRefreshTokenInvalid)
	wantStatus(t, c.do("POST", "/api/auth/refresh", map[string]string{"refresh_token": t2.RefreshToken}), 401, loginui.CodeRefreshTokenInvalid)
	wantStatus(t, h.bearer(t2.AccessToken).do("GET", "/api/users/me", nil), 401, loginui.CodeAuthenticationFailed)

	// Other error shapes.
	wantStatus(t, c.do("POST", "/api/auth/refresh", map[string]string{"refresh_token": "garbage"}), 401, loginui.CodeRefreshTokenInvalid)
	wantStatus(t, c.do("POST", "/api/auth/refresh", `{"refresh_token":"x","more":1}`), 422, loginui.CodeRequestBodyInvalid)
	wantStatus(t, c.do("POST", "/api/auth/refresh", nil), 401, loginui.CodeRefreshTokenInvalid)
}

func TestRefreshExpires(t *testing.T) {
	h := newHarness(t, func(o *loginui.Options) { o.RefreshLifetime = time.Hour })
	h.addUser("hal@example.test", false)
	tk := h.loginBearer("hal@example.test", testPassword)
	h.clock.Advance(time.Hour + time.Second)
	wantStatus(t, h.client().do("POST", "/api/auth/refresh", map[string]string{"refresh_token": tk.RefreshToken}), 401, loginui.CodeRefreshTokenInvalid)
}

func TestRefreshCookieTransport(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("ivy@example.test", false)
	c := h.client()
	r := c.do("POST", "/api/auth/login?transport=bearer&refresh=cookie", map[string]string{"identifier": "ivy@example.test", "password": testPassword})
	wantStatus(t, r, 200, "")
	var tk tokens
	r.json(t, &tk)
	if tk.RefreshToken != "" {
		t.Fatal("refresh token in body despite refresh=cookie")
	}
	// The refresh cookie is path-scoped; send it explicitly.
	rc := findSetCookie(r.header, "gatehouse_session_refresh")
	if rc == "" {
		t.Fatal("no refresh cookie")
	}
	r = h.client().do("POST", "/api/auth/refresh", "", "Cookie", "gatehouse_session_refresh="+rc)
	wantStatus(t, r, 200, "")
	if findSetCookie(r.header, "gatehouse_session_refresh") == "" {
		t.Fatal("rotated refresh cookie not set")
	}
}

func findSetCookie(h http.Header, name string) string {
	for _, sc := range h.Values("Set-Cookie") {
		if v, ok := strings.CutPrefix(sc, name+"="); ok {
			v, _, _ = strings.Cut(v, ";")
			return v
		}
	}
	return ""
}

// TestRefreshConcurrentUseHasOneWinner: of many simultaneous uses of one
// refresh token exactly one succeeds.
func TestRefreshConcurrentUseHasOneWinner(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("jo@example.test", false)
	tk := h.loginBearer("jo@example.test", testPassword)
	const n = 12
	var wg sync.WaitGroup
	codes := make([]int, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			codes[i] = h.client().do("POST", "/api/auth/refresh", map[string]string{"refresh_token": tk.RefreshToken}).status
		}(i)
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case 200:
			ok++
		case 401:
		default:
			t.Fatalf("unexpected status %d", c)
		}
	}
	if ok != 1 {
		t.Fatalf("%d winners, want exactly 1 (%v)", ok, codes)
	}
}
