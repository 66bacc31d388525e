package loginui_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui"
	"github.com/gatehouse/gatehouse/signing"
)

// oauthSetup is a portal with one OIDC provider ("idp") and, when gh is
// set, a GitHub provider ("github").
type oauthSetup struct {
	h   *harness
	idp *fakeOIDC
	gh  *fakeGitHub
}

func newOAuthSetup(t *testing.T, mod func(o *loginui.Options, idp *loginui.OAuthProvider)) *oauthSetup {
	t.Helper()
	s := &oauthSetup{}
	clock := &fakeClock{}
	// The provider reads the harness clock once it exists.
	s.idp = newFakeOIDC(t, func() time.Time { return clock.Now() })
	s.gh = newFakeGitHub(t)
	s.h = newHarness(t, func(o *loginui.Options) {
		o.Links = o.Users.(keystore.OAuthLinks)
		idp := loginui.OAuthProvider{Name: "idp", Kind: loginui.OAuthKindOIDC, DisplayName: "Test IdP", Issuer: s.idp.srv.URL,
			ClientID: fakeClientID, ClientSecret: signing.NewSecret([]byte(fakeClientSecret)), Scopes: []string{"openid", "email"},
			TrustEmailVerified: true}
		gh := loginui.OAuthProvider{Name: "github", Kind: loginui.OAuthKindGitHub, DisplayName: "GitHub", ClientID: fakeClientID,
			ClientSecret: signing.NewSecret([]byte(fakeClientSecret)), TrustEmailVerified: true,
			AuthURL: s.gh.srv.URL + "/login/oauth/authorize", TokenURL: s.gh.srv.URL + "/login/oauth/access_token", APIBase: s.gh.srv.URL + "/api"}
		if mod != nil {
			mod(o, &idp)
		}
		o.OAuth.Enabled = true
		o.OAuth.FlowCookieSecret = secret("oc")
		o.OAuth.Providers = append([]loginui.OAuthProvider{idp, gh}, o.OAuth.Providers...)
	})
	clock.mu.Lock()
	clock.t = s.h.clock.Now()
	clock.mu.Unlock()
	s.idp.now = s.h.clock.Now
	return s
}

// get fetches an absolute URL with c's cookies, without following
// redirects.
func (c *client) get(u string) resp {
	c.h.t.Helper()
	res, err := c.c.Get(u)
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// providerStep follows the portal's 302 to the provider and returns the
// callback URL the provider sends the browser back to.
func providerStep(t *testing.T, r resp) string {
	t.Helper()
	if r.status != http.StatusFound && r.status != http.StatusSeeOther {
		t.Fatalf("authorize: %d %s", r.status, r.body)
	}
	nc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := nc.Get(r.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("provider authorize: %d", res.StatusCode)
	}
	return res.Header.Get("Location")
}

// startLogin begins a login flow and returns the callback URL.
func (c *client) startLogin(t *testing.T, provider, rd string) string {
	t.Helper()
	path := "/api/auth/oauth/" + provider + "/authorize"
	if rd != "" {
		path += "?rd=" + url.QueryEscape(rd)
	}
	return providerStep(t, c.do("GET", path, nil))
}

func (c *client) oauthLogin(t *testing.T, provider, rd string) resp {
	t.Helper()
	return c.get(c.startLogin(t, provider, rd))
}

func wantOAuthErr(t *testing.T, r resp, status int, code string) {
	t.Helper()
	if r.status != status || r.header.Get("Gatehouse-Error") != code {
		t.Fatalf("got %d %q %s, want %d %s", r.status, r.header.Get("Gatehouse-Error"), r.body, status, code)
	}
}

func (s *oauthSetup) userCount(t *testing.T) int {
	n, err := s.h.store.CountUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (s *oauthSetup) link(t *testing.T, provider, subject string) *keystore.OAuthLink {
	t.Helper()
	l, err := s.h.store.GetOAuthLink(context.Background(), provider, subject)
	if err != nil {
		t.Fatalf("link %s/%s: %v", provider, subject, err)
	}
	return l
}

func TestOAuthOIDCLoginCreatesUserAndReusesLink(t *testing.T) {
	s := newOAuthSetup(t, nil)
	c := s.h.client()
	r := c.oauthLogin(t, "idp", "")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != s.h.srv.URL+"/" {
		t.Fatalf("callback: %d %q %s", r.status, r.header.Get("Location"), r.body)
	}
	me := c.do("GET", "/api/users/me", nil)
	wantStatus(t, me, 200, "")
	var v struct {
		ID       string `json:"id"`
		Email    string `json:"email"`
		Verified bool   `json:"is_verified"`
	}
	me.json(t, &v)
	if v.Email != "alice@example.test" || !v.Verified {
		t.Fatalf("me: %s", me.body)
	}
	l := s.link(t, "idp", "sub-1")
	if l.UserID != v.ID || l.AccessToken != "" || l.RefreshToken != "" {
		t.Fatalf("link %+v (tokens must not be stored without store_tokens)", l)
	}
	if u := s.h.user(v.ID); u.PasswordHash != "" {
		t.Fatal("an OAuth account must not get a password")
	}
	// The session is an OAuth session.
	ss, _ := s.h.store.ListUserSessions(context.Background(), v.ID)
	if len(ss) != 1 || ss[0].AuthMethod != "oauth:idp" {
		t.Fatalf("sessions %+v", ss)
	}
	// PKCE: the verifier sent matches the challenge (the fake enforces
	// it) and is not the challenge itself.
	s.idp.mu.Lock()
	if s.idp.tokenForm.Get("code_verifier") == "" || s.idp.tokenForm.Get("code_verifier") == s.idp.lastAuthorize.Get("code_challenge") {
		t.Error("no PKCE verifier sent")
	}
	if st := s.idp.lastAuthorize.Get("state"); len(st) < 43 {
		t.Errorf("state %q is shorter than 256 bits", st)
	}
	s.idp.mu.Unlock()

	// A second login with the same identity lands on the same user.
	c2 := s.h.client()
	r = c2.oauthLogin(t, "idp", "")
	wantStatus(t, r, http.StatusSeeOther, "")
	if n := s.userCount(t); n != 1 {
		t.Fatalf("%d users, want 1", n)
	}
	me = c2.do("GET", "/api/users/me", nil)
	wantStatus(t, me, 200, "")
	if !strings.Contains(string(me.body), v.ID) {
		t.Fatal("second login is another user")
	}
}

func TestOAuthES256IDTokenAccepted(t *testing.T) {
	s := newOAuthSetup(t, nil)
	s.idp.set(func(f *fakeOIDC) { f.sign = func(c jwt.MapClaims) string { return f.signES(c, "ec1") } })
	wantStatus(t, s.h.client().oauthLogin(t, "idp", ""), http.StatusSeeOther, "")
}

func TestOAuthAssociateByEmail(t *testing.T) {
	for _, tc := range []struct {
		name       string
		associate  bool
		verified   bool
		wantStatus int
		wantCode   string
	}{
		{"on links the verified account", true, true, http.StatusSeeOther, ""},
		{"off refuses", false, true, http.StatusBadRequest, loginui.CodeOAuthUserAlreadyExists},
		{"on never links an unverified local account", true, false, http.StatusBadRequest, loginui.CodeOAuthUserAlreadyExists},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newOAuthSetup(t, func(_ *loginui.Options, p *loginui.OAuthProvider) { p.AssociateByEmail = tc.associate })
			u := s.h.addUser("Alice@Example.test", false)
			if !tc.verified {
				if _, err := s.h.store.UpdateUser(context.Background(), u.ID, func(x *keystore.User) error { x.Verified = false; return nil }); err != nil {
					t.Fatal(err)
				}
			}
			r := s.h.client().oauthLogin(t, "idp", "")
			if tc.wantCode != "" {
				wantOAuthErr(t, r, tc.wantStatus, tc.wantCode)
				if _, err := s.h.store.GetOAuthLink(context.Background(), "idp", "sub-1"); err == nil {
					t.Fatal("link created")
				}
				return
			}
			wantStatus(t, r, tc.wantStatus, "")
			if l := s.link(t, "idp", "sub-1"); l.UserID != u.ID {
				t.Fatal("linked to the wrong user")
			}
			if n := s.userCount(t); n != 1 {
				t.Fatalf("%d users", n)
			}
		})
	}
}

func TestOAuthIdentityRefusals(t *testing.T) {
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for _, tc := range []struct {
		name   string
		trust  bool
		setup  func(f *fakeOIDC)
		status int
		code   string
	}{
		{"unverified email", true, func(f *fakeOIDC) { f.claims = func(c jwt.MapClaims) { c["email_verified"] = false } }, 400, loginui.CodeOAuthEmailNotVerified},
		{"verified as a string other than true", true, func(f *fakeOIDC) { f.claims = func(c jwt.MapClaims) { c["email_verified"] = "yes" } }, 400, loginui.CodeOAuthEmailNotVerified},
		{"provider not trusted", false, nil, 400, loginui.CodeOAuthEmailNotVerified},
		{"no email", true, func(f *fakeOIDC) { f.claims = func(c jwt.MapClaims) { delete(c, "email") } }, 400, loginui.CodeOAuthNotAvailableEmail},
		{"invalid email", true, func(f *fakeOIDC) { f.claims = func(c jwt.MapClaims) { c["email"] = "not an email" } }, 400, loginui.CodeOAuthNotAvailableEmail},
		{"wrong iss", true, func(f *fakeOIDC) { f.claims = func(c jwt.MapClaims) { c["iss"] = "https://evil.example" } }, 502, loginui.CodeAuthenticationFailed},
		{"wrong aud", true, func(f *fakeOIDC) { f.claims = func(c jwt.MapClaims) { c["aud"] = "someone-else" } }, 502, loginui.CodeAuthenticationFailed},
		{"several aud without azp", true, func(f *fakeOIDC) { f.claims = func(c jwt.MapClaims) { c["aud"] = []string{fakeClientID, "other"} } }, 502, loginui.CodeAuthenticationFailed},
		{"wrong nonce", true, func(f *fakeOIDC) { f.claims = func(c jwt.MapClaims) { c["nonce"] = "forged" } }, 502, loginui.CodeAuthenticationFailed},
		{"no nonce", true, func(f *fakeOIDC) { f.claims = func(c jwt.MapClaims) { delete(c, "nonce") } }, 502, loginui.CodeAuthenticationFailed},
		{"expired", true, func(f *fakeOIDC) {
			f.claims = func(c jwt.MapClaims) {
				c["exp"] = f.now().Add(-time.Hour).Unix()
				c["iat"] = f.now().Add(-2 * time.Hour).Unix()
			}
		}, 502, loginui.CodeAuthenticationFailed},
		{"no exp", true, func(f *fakeOIDC) { f.claims = func(c jwt.MapClaims) { delete(c, "exp") } }, 502, loginui.CodeAuthenticationFailed},
		{"no iat", true, func(f *fakeOIDC) { f.claims = func(c jwt.MapClaims) { delete(c, "iat") } }, 502, loginui.CodeAuthenticationFailed},
		{"iat in the future", true, func(f *fakeOIDC) { f.claims = func(c jwt.MapClaims) { c["iat"] = f.now().Add(time.Hour).Unix() } }, 502, loginui.CodeAuthenticationFailed},
		{"no sub", true, func(f *fakeOIDC) { f.claims = func(c jwt.MapClaims) { delete(c, "sub") } }, 502, loginui.CodeAuthenticationFailed},
		{"bad signature", true, func(f *fakeOIDC) {
			f.sign = func(c jwt.MapClaims) string {
				tk := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
				tk.Header["kid"] = "rsa1"
				s, _ := tk.SignedString(other)
				return s
			}
		}, 502, loginui.CodeAuthenticationFailed},
		{"alg none", true, func(f *fakeOIDC) {
			f.sign = func(c jwt.MapClaims) string {
				tk := jwt.NewWithClaims(jwt.SigningMethodNone, c)
				tk.Header["kid"] = "rsa1"
				s, _ := tk.SignedString(jwt.UnsafeAllowNoneSignatureType)
				return s
			}
		}, 502, loginui.CodeAuthenticationFailed},
		{"HS256 keyed with the public key", true, func(f *fakeOIDC) {
			f.sign = func(c jwt.MapClaims) string {
				tk := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
				tk.Header["kid"] = "rsa1"
				s, _ := tk.SignedString(f.rsaKey.N.Bytes())
				return s
			}
		}, 502, loginui.CodeAuthenticationFailed},
		{"ES256 header on the RSA key", true, func(f *fakeOIDC) { f.sign = func(c jwt.MapClaims) string { return f.signES(c, "rsa1") } }, 502, loginui.CodeAuthenticationFailed},
		{"unknown kid", true, func(f *fakeOIDC) { f.sign = func(c jwt.MapClaims) string { return f.signRS(c, "nope") } }, 502, loginui.CodeAuthenticationFailed},
		{"no id token", true, func(f *fakeOIDC) { f.sign = func(jwt.MapClaims) string { return "" } }, 502, loginui.CodeAuthenticationFailed},
		{"token endpoint refuses", true, func(f *fakeOIDC) {
			f.onToken = func(w http.ResponseWriter) bool { writeOAuthErr(w, "invalid_grant"); return true }
		}, 502, loginui.CodeAuthenticationFailed},
		{"wrong PKCE verifier", true, func(f *fakeOIDC) { f.corruptChallenge = true }, 502, loginui.CodeAuthenticationFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newOAuthSetup(t, func(_ *loginui.Options, p *loginui.OAuthProvider) { p.TrustEmailVerified = tc.trust })
			if tc.setup != nil {
				s.idp.set(tc.setup)
			}
			c := s.h.client()
			r := c.oauthLogin(t, "idp", "")
			wantOAuthErr(t, r, tc.status, tc.code)
			if n := s.userCount(t); n != 0 {
				t.Fatalf("%d users created", n)
			}
			if c.cookie("gatehouse_session") != "" {
				t.Fatal("session cookie set")
			}
			// Errors show on the login page, never as JSON.
			if !strings.Contains(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), `action="/login"`) {
				t.Fatalf("error not shown on the login page: %s", r.body)
			}
		})
	}
}

func TestOAuthKeyRotationRefreshesJWKS(t *testing.T) {
	s := newOAuthSetup(t, nil)
	s.idp.set(func(f *fakeOIDC) { f.jwksKids = []string{"rsa1"} })
	wantStatus(t, s.h.client().oauthLogin(t, "idp", ""), http.StatusSeeOther, "")
	// The provider rotates to a new kid: the portal refetches the set.
	s.idp.set(func(f *fakeOIDC) {
		f.jwksKids = []string{"rsa2"}
		f.subject = "sub-2"
		f.email = "bob@example.test"
		f.sign = func(c jwt.MapClaims) string { return f.signRS(c, "rsa2") }
	})
	s.h.clock.Advance(time.Minute)
	wantStatus(t, s.h.client().oauthLogin(t, "idp", ""), http.StatusSeeOther, "")
}

func TestOAuthStateRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		users int // accounts expected afterwards
		run   func(t *testing.T, s *oauthSetup) resp
	}{
		{"missing state", 0, func(t *testing.T, s *oauthSetup) resp {
			c := s.h.client()
			cb, _ := url.Parse(c.startLogin(t, "idp", ""))
			q := cb.Query()
			q.Del("state")
			cb.RawQuery = q.Encode()
			return c.get(cb.String())
		}},
		{"forged state", 0, func(t *testing.T, s *oauthSetup) resp {
			c := s.h.client()
			cb, _ := url.Parse(c.startLogin(t, "idp", ""))
			q := cb.Query()
			st := []byte(q.Get("state"))
			st[0] ^= 1
			q.Set("state", string(st))
			cb.RawQuery = q.Encode()
			return c.get(cb.String())
		}},
		{"no flow cookie (callback in another browser)", 0, func(t *testing.T, s *oauthSetup) resp {
			cb := s.h.client().startLogin(t, "idp", "")
			return s.h.client().get(cb)
		}},
		{"replayed callback with the cookie put back", 1, func(t *testing.T, s *oauthSetup) resp {
			c := s.h.client()
			cb := c.startLogin(t, "idp", "")
			flow := c.flowCookie()
			wantStatus(t, c.get(cb), http.StatusSeeOther, "")
			c2 := s.h.client()
			u, _ := url.Parse(s.h.srv.URL + "/api/auth/")
			c2.c.Jar.SetCookies(u, []*http.Cookie{{Name: "gatehouse_session_oauth", Value: flow, Path: "/api/auth/"}})
			return c2.get(cb)
		}},
		{"expired flow cookie", 0, func(t *testing.T, s *oauthSetup) resp {
			c := s.h.client()
			cb := c.startLogin(t, "idp", "")
			flow := c.flowCookie()
			s.h.clock.Advance(5*time.Minute + time.Second)
			u, _ := url.Parse(s.h.srv.URL + "/api/auth/")
			c.c.Jar.SetCookies(u, []*http.Cookie{{Name: "gatehouse_session_oauth", Value: flow, Path: "/api/auth/"}})
			return c.get(cb)
		}},
		{"cookie of another provider's flow", 0, func(t *testing.T, s *oauthSetup) resp {
			c := s.h.client()
			cb, _ := url.Parse(c.startLogin(t, "idp", ""))
			cb.Path = strings.Replace(cb.Path, "/idp/", "/github/", 1)
			return c.get(cb.String())
		}},
		{"login cookie on the associate callback", 1, func(t *testing.T, s *oauthSetup) resp {
			s.h.addUser("carol@example.test", false)
			c := s.h.client()
			c.login("carol@example.test", testPassword)
			cb, _ := url.Parse(c.startLogin(t, "idp", ""))
			cb.Path = strings.Replace(cb.Path, "/oauth/", "/associate/", 1)
			return c.get(cb.String())
		}},
		{"tampered flow cookie", 0, func(t *testing.T, s *oauthSetup) resp {
			c := s.h.client()
			cb := c.startLogin(t, "idp", "")
			flow := []byte(c.flowCookie())
			flow[len(flow)/2] ^= 2
			u, _ := url.Parse(s.h.srv.URL + "/api/auth/")
			c.c.Jar.SetCookies(u, []*http.Cookie{{Name: "gatehouse_session_oauth", Value: string(flow), Path: "/api/auth/"}})
			return c.get(cb)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newOAuthSetup(t, nil)
			r := tc.run(t, s)
			wantOAuthErr(t, r, http.StatusBadRequest, loginui.CodeOAuthStateInvalid)
			if n := s.userCount(t); n != tc.users {
				t.Fatalf("%d users, want %d", n, tc.users)
			}
			// The flow cookie is cleared on every callback.
			if sc := strings.Join(r.header.Values("Set-Cookie"), "\n"); !strings.Contains(sc, "gatehouse_session_oauth=;") {
				t.Fatalf("flow cookie not cleared: %s", sc)
			}
		})
	}
}

func TestOAuthFlowCookieAttributes(t *testing.T) {
	s := newOAuthSetup(t, nil)
	r := s.h.client().do("GET", "/api/auth/oauth/idp/authorize", nil)
	var ck *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "gatehouse_session_oauth" {
			ck = c
		}
	}
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.MaxAge != 300 || ck.Path != "/api/auth/" {
		t.Fatalf("flow cookie %+v", ck)
	}
	loc, _ := url.Parse(r.header.Get("Location"))
	// Nothing of the flow is readable in the cookie.
	for _, k := range []string{"state", "nonce"} {
		if v := loc.Query().Get(k); v == "" || strings.Contains(ck.Value, v) {
			t.Fatalf("%s missing or visible in the cookie", k)
		}
	}
	if s.h.client().do("GET", "/api/auth/oauth/nope/authorize", nil).status != 404 {
		t.Fatal("unknown provider not 404")
	}
}

func TestOAuthRedirectTargets(t *testing.T) {
	s := newOAuthSetup(t, nil)
	good := s.h.srv.URL + "/app?x=1"
	for _, tc := range []struct{ rd, want string }{
		{"https://evil.example/steal", s.h.srv.URL + "/"},
		{"//evil.example", s.h.srv.URL + "/"},
		{"javascript:alert(1)", s.h.srv.URL + "/"},
		{good, good},
	} {
		r := s.h.client().oauthLogin(t, "idp", tc.rd)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != tc.want {
			t.Errorf("rd %q: %d %q, want %q", tc.rd, r.status, r.header.Get("Location"), tc.want)
		}
	}
}

func TestOAuthTokensSealedOnlyWithStoreTokens(t *testing.T) {
	kr := testKeyring(t)
	s := newOAuthSetup(t, func(o *loginui.Options, p *loginui.OAuthProvider) {
		p.StoreTokens = true
		o.OAuth.TokensKeyring = kr
	})
	wantStatus(t, s.h.client().oauthLogin(t, "idp", ""), http.StatusSeeOther, "")
	l := s.link(t, "idp", "sub-1")
	if !strings.HasPrefix(l.AccessToken, "fernet:v1:") || !strings.HasPrefix(l.RefreshToken, "fernet:v1:") {
		t.Fatalf("tokens not sealed: %q %q", l.AccessToken, l.RefreshToken)
	}
	at, err := kr.Open(l.AccessToken)
	if err != nil || string(at) != "provider-access-token-xyz" {
		t.Fatal("sealed access token does not open")
	}
	rt, err := kr.Open(l.RefreshToken)
	if err != nil || string(rt) != "provider-refresh-token-xyz" {
		t.Fatal("sealed refresh token does not open")
	}
}

func TestOAuthTOTPUserGoesThroughSecondStep(t *testing.T) {
	var s *oauthSetup
	s = newOAuthSetup(t, func(o *loginui.Options, p *loginui.OAuthProvider) {
		withTOTP(t, nil)(o)
		p.AssociateByEmail = true
	})
	u, sec, _ := s.h.totpUser("alice@example.test", false)
	c := s.h.client()
	r := c.oauthLogin(t, "idp", "")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/2fa") || c.cookie("gatehouse_session") != "" {
		t.Fatalf("want /2fa without a session: %d %q", r.status, r.header.Get("Location"))
	}
	if s.link(t, "idp", "sub-1").UserID != u.ID {
		t.Fatal("not linked")
	}
	// The second step completes the login.
	d := c.do("GET", "/2fa", nil)
	wantStatus(t, d, 200, "")
	form := url.Values{"csrf": {c.cookie("gatehouse_csrf")}, "code": {s.h.code(sec)}}
	r = c.do("POST", "/2fa", form)
	if r.status != http.StatusSeeOther || c.cookie("gatehouse_session") == "" {
		t.Fatalf("2fa: %d %s", r.status, r.body)
	}
}

func TestOAuthAssociateFromAccount(t *testing.T) {
	s := newOAuthSetup(t, nil)
	u := s.h.addUser("dave@example.test", false)
	c := s.h.client()
	c.login("dave@example.test", testPassword)

	// CSRF is required.
	noCSRF := s.h.client()
	noCSRF.c.Jar = c.c.Jar
	wantStatus(t, noCSRF.do("POST", "/api/auth/associate/idp/authorize", nil), 403, loginui.CodeCSRFFailed)
	// Bearer tokens cannot link.
	tk := s.h.loginBearer("dave@example.test", testPassword)
	wantStatus(t, s.h.bearer(tk.AccessToken).do("POST", "/api/auth/associate/idp/authorize", nil), 403, loginui.CodeCSRFFailed)

	r := c.do("POST", "/api/auth/associate/idp/authorize", nil)
	wantStatus(t, r, 200, "")
	var out struct {
		URL string `json:"authorization_url"`
	}
	r.json(t, &out)
	if !strings.HasPrefix(out.URL, s.idp.srv.URL+"/authorize?") {
		t.Fatalf("authorization_url %q", out.URL)
	}
	cb := providerStep(t, resp{status: 302, header: http.Header{"Location": {out.URL}}})
	if !strings.Contains(cb, "/api/auth/associate/idp/callback") {
		t.Fatalf("callback %q", cb)
	}
	// The callback in another user's browser fails.
	eve := s.h.addUser("eve@example.test", false)
	_ = eve
	r = c.get(cb)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/account?done=linked" {
		t.Fatalf("associate callback: %d %s", r.status, r.body)
	}
	if s.link(t, "idp", "sub-1").UserID != u.ID {
		t.Fatal("not linked to the caller")
	}
	// The same identity cannot be linked to another user.
	c2 := s.h.client()
	c2.login("eve@example.test", testPassword)
	r = c2.do("POST", "/api/auth/associate/idp/authorize", nil)
	r.json(t, &out)
	cb = providerStep(t, resp{status: 302, header: http.Header{"Location": {out.URL}}})
	wantOAuthErr(t, c2.get(cb), http.StatusBadRequest, loginui.CodeOAuthAccountAlreadyLinked)

	// A flow started by dave and finished in eve's session is refused.
	r = c.do("POST", "/api/auth/associate/github/authorize", nil)
	r.json(t, &out)
	cb = providerStep(t, resp{status: 302, header: http.Header{"Location": {out.URL}}})
	c2.c.Jar.SetCookies(mustURL(s.h.srv.URL+"/api/auth/"), []*http.Cookie{{Name: "gatehouse_session_oauth", Value: c.flowCookie(), Path: "/api/auth/"}})
	wantOAuthErr(t, c2.get(cb), http.StatusBadRequest, loginui.CodeOAuthStateInvalid)

	// The account page lists the link with an unlink form.
	page := c.do("GET", "/account", nil)
	if !strings.Contains(string(page.body), "Test IdP") || !strings.Contains(string(page.body), `action="/account/linked/unlink"`) || !strings.Contains(string(page.body), `action="/api/auth/associate/github/authorize"`) {
		t.Fatalf("account page: %s", page.body)
	}
}

// flowCookie is the OAuth flow cookie in c's jar (scoped to /api/auth/).
func (c *client) flowCookie() string {
	for _, ck := range c.c.Jar.Cookies(mustURL(c.h.srv.URL + "/api/auth/")) {
		if ck.Name == "gatehouse_session_oauth" {
			return ck.Value
		}
	}
	c.h.t.Fatal("no flow cookie")
	return ""
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestOAuthAssociateNeedsPasswordSessionAndStepUp(t *testing.T) {
	s := newOAuthSetup(t, func(o *loginui.Options, _ *loginui.OAuthProvider) { withTOTP(t, nil)(o) })
	_, sec, _ := s.h.totpUser("erin@example.test", false)
	c := s.h.client()
	c.loginTOTP("erin@example.test", sec)
	wantStatus(t, c.do("POST", "/api/auth/associate/idp/authorize", nil), 403, loginui.CodeTOTPStepUpRequired)
	wantStatus(t, c.do("POST", "/api/auth/2fa/step-up", map[string]string{"code": s.h.code(sec)}), 200, "")
	wantStatus(t, c.do("POST", "/api/auth/associate/idp/authorize", nil), 200, "")

	// An OAuth session is not a password session.
	o := s.h.client()
	wantStatus(t, o.oauthLogin(t, "idp", ""), http.StatusSeeOther, "")
	o.csrf = o.cookie("gatehouse_csrf")
	wantStatus(t, o.do("POST", "/api/auth/associate/github/authorize", nil), 403, loginui.CodeAuthorizationDenied)
}

func TestOAuthAssociateFormRedirects(t *testing.T) {
	s := newOAuthSetup(t, nil)
	s.h.addUser("fay@example.test", false)
	c := s.h.client()
	c.login("fay@example.test", testPassword)
	csrf := c.csrf
	c.csrf = ""
	r := c.do("POST", "/api/auth/associate/idp/authorize", url.Values{"csrf": {csrf}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), s.idp.srv.URL+"/authorize?") {
		t.Fatalf("form associate: %d %q %s", r.status, r.header.Get("Location"), r.body)
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, s.idp.srv.URL) {
		t.Fatalf("CSP form-action lacks the provider: %s", csp)
	}
	wantStatus(t, c.do("POST", "/api/auth/associate/idp/authorize", url.Values{"csrf": {"x"}}), 403, loginui.CodeCSRFFailed)
}

func TestOAuthUnlink(t *testing.T) {
	s := newOAuthSetup(t, nil)
	// An OAuth-only account cannot drop its only login method.
	c := s.h.client()
	wantStatus(t, c.oauthLogin(t, "idp", ""), http.StatusSeeOther, "")
	l := s.link(t, "idp", "sub-1")
	page := string(c.do("GET", "/account", nil).body)
	i := strings.Index(page, `name="id" value="`)
	if i < 0 {
		t.Fatalf("no unlink form: %s", page)
	}
	id := page[i+len(`name="id" value="`) : i+len(`name="id" value="`)+32]
	r := c.do("POST", "/account/linked/unlink", url.Values{"csrf": {c.cookie("gatehouse_csrf")}, "id": {id}})
	if r.status != http.StatusBadRequest {
		t.Fatalf("unlink of the last method: %d", r.status)
	}
	s.link(t, "idp", "sub-1")
	// Without CSRF nothing happens.
	if r := c.do("POST", "/account/linked/unlink", url.Values{"id": {id}}); r.status != http.StatusForbidden {
		t.Fatalf("no csrf: %d", r.status)
	}
	// With a password the link may go.
	hash, _ := s.h.hasher.Hash(testPassword)
	if _, err := s.h.store.UpdateUser(context.Background(), l.UserID, func(x *keystore.User) error { x.PasswordHash = hash; return nil }); err != nil {
		t.Fatal(err)
	}
	r = c.do("POST", "/account/linked/unlink", url.Values{"csrf": {c.cookie("gatehouse_csrf")}, "id": {id}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/account?done=unlinked" {
		t.Fatalf("unlink: %d %s", r.status, r.body)
	}
	if _, err := s.h.store.GetOAuthLink(context.Background(), "idp", "sub-1"); err == nil {
		t.Fatal("link still there")
	}
}

func TestOAuthGitHub(t *testing.T) {
	for _, tc := range []struct {
		name   string
		emails []map[string]any
		status int
		code   string
	}{
		{"primary verified email", []map[string]any{{"email": "x@example.test", "primary": false, "verified": true}, {"email": "octo@example.test", "primary": true, "verified": true}}, http.StatusSeeOther, ""},
		{"primary not verified", []map[string]any{{"email": "octo@example.test", "primary": true, "verified": false}, {"email": "y@example.test", "primary": false, "verified": true}}, 400, loginui.CodeOAuthEmailNotVerified},
		{"no email", []map[string]any{}, 400, loginui.CodeOAuthNotAvailableEmail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newOAuthSetup(t, nil)
			s.gh.mu.Lock()
			s.gh.emails = tc.emails
			s.gh.mu.Unlock()
			r := s.h.client().oauthLogin(t, "github", "")
			if tc.code != "" {
				wantOAuthErr(t, r, tc.status, tc.code)
				return
			}
			wantStatus(t, r, tc.status, "")
			l := s.link(t, "github", "4242")
			if u := s.h.user(l.UserID); u.Email != "octo@example.test" || u.DisplayName != "Octo Cat" {
				t.Fatalf("user %+v", u)
			}
		})
	}
}

func TestOAuthLoginPageShowsProviders(t *testing.T) {
	s := newOAuthSetup(t, nil)
	body := string(s.h.client().do("GET", "/login?rd="+url.QueryEscape(s.h.srv.URL+"/x"), nil).body)
	for _, want := range []string{`href="/api/auth/oauth/idp/authorize?rd=`, ">Test IdP<", `href="/api/auth/oauth/github/authorize`} {
		if !strings.Contains(body, want) {
			t.Fatalf("login page lacks %q: %s", want, body)
		}
	}
}

func TestOAuthDiscoveryIsLazyAndChecked(t *testing.T) {
	s := newOAuthSetup(t, nil)
	s.idp.mu.Lock()
	hits := s.idp.discoveryHits
	s.idp.mu.Unlock()
	if hits != 0 {
		t.Fatal("discovery ran at start")
	}
	// An issuer mismatch in discovery fails the login.
	s.idp.set(func(f *fakeOIDC) { f.issuerInDiscovery = f.srv.URL + "/" })
	r := s.h.client().do("GET", "/api/auth/oauth/idp/authorize", nil)
	wantOAuthErr(t, r, http.StatusBadGateway, loginui.CodeAuthenticationFailed)
	// After the retry delay a corrected issuer works.
	s.idp.set(func(f *fakeOIDC) { f.issuerInDiscovery = "" })
	s.h.clock.Advance(time.Minute)
	wantStatus(t, s.h.client().oauthLogin(t, "idp", ""), http.StatusSeeOther, "")

	// A portal whose issuer is unreachable still starts.
	h := newHarness(t, func(o *loginui.Options) {
		o.Links = o.Users.(keystore.OAuthLinks)
		o.OAuth = loginui.OAuthOptions{Enabled: true, FlowCookieSecret: secret("oc"), Providers: []loginui.OAuthProvider{{
			Name: "down", Kind: loginui.OAuthKindOIDC, Issuer: "http://127.0.0.1:1", ClientID: "x", ClientSecret: secret("cl")}},
			HTTPClient: &http.Client{Timeout: 2 * time.Second}}
	})
	wantOAuthErr(t, h.client().do("GET", "/api/auth/oauth/down/authorize", nil), http.StatusBadGateway, loginui.CodeAuthenticationFailed)
}

func TestNewRefusesBadOAuthConfig(t *testing.T) {
	base := func() loginui.OAuthProvider {
		return loginui.OAuthProvider{Name: "idp", Kind: loginui.OAuthKindOIDC, Issuer: "https://idp.example", ClientID: "c", ClientSecret: secret("cl")}
	}
	for _, tc := range []struct {
		name string
		mod  func(o *loginui.Options)
	}{
		{"no links store", func(o *loginui.Options) { o.Links = nil }},
		{"short flow secret", func(o *loginui.Options) { o.OAuth.FlowCookieSecret = signing.NewSecret([]byte("short")) }},
		{"no providers", func(o *loginui.Options) { o.OAuth.Providers = nil }},
		{"bad name", func(o *loginui.Options) { o.OAuth.Providers[0].Name = "../x" }},
		{"duplicate name", func(o *loginui.Options) { o.OAuth.Providers = append(o.OAuth.Providers, base()) }},
		{"unknown kind", func(o *loginui.Options) { o.OAuth.Providers[0].Kind = "saml" }},
		{"oidc without issuer", func(o *loginui.Options) { o.OAuth.Providers[0].Issuer = "" }},
		{"no client secret", func(o *loginui.Options) { o.OAuth.Providers[0].ClientSecret = signing.Secret{} }},
		{"store tokens without keyring", func(o *loginui.Options) { o.OAuth.Providers[0].StoreTokens = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			o := h.opts
			o.Links = o.Users.(keystore.OAuthLinks)
			o.OAuth = loginui.OAuthOptions{Enabled: true, FlowCookieSecret: secret("oc"), Providers: []loginui.OAuthProvider{base()}}
			if _, err := loginui.New(o); err != nil {
				t.Fatalf("base config refused: %v", err)
			}
			tc.mod(&o)
			if _, err := loginui.New(o); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestOAuthLogsCarryNoSecrets(t *testing.T) {
	kr := testKeyring(t)
	s := newOAuthSetup(t, func(o *loginui.Options, p *loginui.OAuthProvider) { p.StoreTokens = true; o.OAuth.TokensKeyring = kr })
	c := s.h.client()
	cb := c.startLogin(t, "idp", "")
	wantStatus(t, c.get(cb), http.StatusSeeOther, "")
	wantOAuthErr(t, s.h.client().get(cb), 400, loginui.CodeOAuthStateInvalid)
	s.idp.set(func(f *fakeOIDC) { f.claims = func(c jwt.MapClaims) { c["nonce"] = "bad" } })
	s.h.client().oauthLogin(t, "idp", "")
	q := mustURL(cb).Query()
	logs := s.h.logs.String()
	for _, secret := range []string{"alice@example.test", "provider-access-token-xyz", "provider-refresh-token-xyz", fakeClientSecret, q.Get("code"), q.Get("state"), "sub-1"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("log contains %q: %s", secret, logs)
		}
	}
}

func TestOAuthKeyringReloadSealsUnderTheNewKey(t *testing.T) {
	kr := testKeyring(t)
	s := newOAuthSetup(t, func(o *loginui.Options, p *loginui.OAuthProvider) { p.StoreTokens = true; o.OAuth.TokensKeyring = kr })
	kr2 := testKeyring(t)
	if err := s.h.p.ReloadOAuthKeyring(kr2); err != nil {
		t.Fatal(err)
	}
	if err := s.h.p.ReloadOAuthKeyring(nil); err == nil {
		t.Fatal("nil keyring accepted")
	}
	wantStatus(t, s.h.client().oauthLogin(t, "idp", ""), http.StatusSeeOther, "")
	l := s.link(t, "idp", "sub-1")
	if _, err := kr2.Open(l.AccessToken); err != nil {
		t.Fatal("not sealed under the reloaded keyring")
	}
	if _, err := kr.Open(l.AccessToken); err == nil {
		t.Fatal("sealed under the old keyring")
	}
}
