package loginui

import (
	"context"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/bolt"
	"github.com/gatehouse/gatehouse/keystore/memory"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
	"github.com/gatehouse/gatehouse/signing"
)

// fakeFeature uses every hook of the feature contract.
type fakeFeature struct {
	h    feature.Host
	self feature.Section // the registered value (fakeFeature or framedFake)
}

func (f *fakeFeature) Register(rt feature.Router, h feature.Host) {
	f.h = h
	rt.JSON("GET /api/fake", func(w http.ResponseWriter, r *http.Request) error {
		c, err := h.APICaller(r)
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, map[string]string{"user_id": c.User.ID})
		return nil
	})
	rt.Page("POST /account/fake", func(w http.ResponseWriter, r *http.Request) error {
		c, csrf, ok := h.PageCaller(w, r, "/account")
		if !ok {
			return nil
		}
		return h.RenderAccount(w, r, c, feature.AccountView{CSRF: csrf, Status: http.StatusConflict, Error: "fake form failed", From: f.self, Own: "<p id=\"fake-own\">shown once</p>"})
	})
}

func (f *fakeFeature) SectionTitle() string { return "Fake" }
func (f *fakeFeature) RenderSection(_ *http.Request, c *feature.Caller, csrf string) (template.HTML, bool, error) {
	return template.HTML(`<p id="fake-section">` + template.HTMLEscapeString(c.User.ID) + `:` + template.HTMLEscapeString(csrf) + `</p>`), true, nil
}
func (f *fakeFeature) LoginSection(string) (template.HTML, error) {
	return `<p id="fake-login">another way in</p>`, nil
}
func (f *fakeFeature) FormOrigins() []string { return []string{"https://idp.fake.test"} }
func (f *fakeFeature) Notices() map[string]string {
	return map[string]string{"faked": "The fake thing happened."}
}

// newFeatureTestPortal is a portal on a fresh bbolt store with every
// feature off, for tests of the feature contract.
func newFeatureTestPortal(t *testing.T) (*Portal, *bolt.Store) {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "f.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	sec := func(l string) signing.Secret { return signing.NewSecret([]byte(strings.Repeat(l, 40)[:40])) }
	hasher, err := signing.NewHasher(signing.PasswordParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(Options{Users: st, Sessions: st, Denylist: st, Markers: memory.New(memory.Options{}), Hasher: hasher,
		Secrets:     Secrets{TokenHash: sec("th"), CSRF: sec("cs"), VerifyToken: sec("vt"), ResetToken: sec("rt"), AccessToken: sec("at"), Fingerprint: sec("fp")},
		PublicURL:   "http://127.0.0.1:9092",
		Development: true, Logger: zerolog.Nop(), MinResponseTime: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p, st
}

// A feature never checks a password, so it must not be able to finish a
// login as a password session (which opens key management, linking and
// the admin API); its own first factor (an OAuth provider) works.
func TestFeatureCannotFinishAPasswordLogin(t *testing.T) {
	p, st := newFeatureTestPortal(t)
	u := &keystore.User{ID: strings.Repeat("b", 32), Email: "g@example.test", Active: true, Verified: true, CreatedAt: time.Now()}
	if err := st.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		factor  string
		session bool
	}{
		{feature.MethodPassword, false},
		{feature.MethodPassword + feature.MethodTOTPSuffix, false},
		{"", false},
		{"totp", false},
		// Nor as a passkey login, which only the core completes.
		{feature.MethodPasskey, false},
		{feature.MethodPasskeyUV, false},
		{feature.MethodPassword + feature.MethodPasskeySuffix, false},
		{feature.MethodOAuthPrefix + "fake" + feature.MethodPasskeySuffix, false},
		{feature.MethodOAuthPrefix + "fake", true},
	} {
		rec := httptest.NewRecorder()
		host{p}.FinishLogin(rec, httptest.NewRequest("GET", "/api/auth/oauth/fake/callback", nil), u, tc.factor, "")
		got := false
		for _, c := range rec.Result().Cookies() {
			if c.Name == p.o.CookieName && c.Value != "" {
				got = true
			}
		}
		if got != tc.session {
			t.Errorf("first factor %q: session cookie %v (status %d), want %v", tc.factor, got, rec.Code, tc.session)
		}
	}
}

// TestFeatureContractWiresEveryHook: a feature added to the wiring gets
// its routes (answered through the core's adapters and callers), its
// /account section, its login-page part, its CSP origin and its notice,
// without any other change to the core.
func TestFeatureContractWiresEveryHook(t *testing.T) {
	p, st := newFeatureTestPortal(t)
	for _, framed := range []bool{false, true} {
		name := "list section"
		if framed {
			name = "framed section"
		}
		t.Run(name, func(t *testing.T) {
			ff := &fakeFeature{}
			var f feature.Feature = ff
			ff.self = ff
			if framed {
				fr := &framedFake{}
				fr.self = fr
				f = fr
			}
			p.features = append(p.features[:3:3], f)
			p.csp = p.buildCSP()
			p.routes()

			if !strings.Contains(p.csp, "https://idp.fake.test") {
				t.Errorf("CSP lacks the feature's form origin: %s", p.csp)
			}
			rec := httptest.NewRecorder()
			p.ServeHTTP(rec, httptest.NewRequest("GET", "/api/fake", nil))
			if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), CodeAuthenticationFailed) {
				t.Errorf("GET /api/fake without a credential: %d %s", rec.Code, rec.Body)
			}
			rec = httptest.NewRecorder()
			p.ServeHTTP(rec, httptest.NewRequest("GET", "/login", nil))
			if !strings.Contains(rec.Body.String(), `<p id="fake-login">`) {
				t.Errorf("login page lacks the feature's part")
			}

			u := &keystore.User{ID: strings.Repeat("a", 32), Email: "f@example.test", Active: true, Verified: true, CreatedAt: time.Now()}
			if err := st.CreateUser(context.Background(), u); err != nil && !strings.Contains(err.Error(), "exists") {
				t.Fatal(err)
			}
			login := httptest.NewRecorder()
			csrf, err := p.flow.OpenSession(context.Background(), login, httptest.NewRequest("POST", "/login", nil), u, feature.MethodPassword)
			if err != nil {
				t.Fatal(err)
			}
			get := func(method, path string, body io.Reader) *httptest.ResponseRecorder {
				req := httptest.NewRequest(method, path, body)
				for _, c := range login.Result().Cookies() {
					req.AddCookie(c)
				}
				if body != nil {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				rec := httptest.NewRecorder()
				p.ServeHTTP(rec, req)
				return rec
			}
			rec = get("GET", "/api/fake", nil)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), u.ID) {
				t.Errorf("GET /api/fake with a session: %d %s", rec.Code, rec.Body)
			}
			rec = get("GET", "/account?done=faked", nil)
			body := rec.Body.String()
			if rec.Code != http.StatusOK || !strings.Contains(body, `<p id="fake-section">`+u.ID+":") || !strings.Contains(body, "The fake thing happened.") {
				t.Errorf("/account lacks the feature's section or notice: %d %s", rec.Code, body)
			}
			if wrapped := strings.Contains(body, `<section aria-label="Fake">`); wrapped == framed {
				t.Errorf("framed=%v but the core's wrapper present=%v", framed, wrapped)
			}
			rec = get("POST", "/account/fake", strings.NewReader("csrf="+csrf))
			body = rec.Body.String()
			if rec.Code != http.StatusConflict || !strings.Contains(body, "fake form failed") || !strings.Contains(body, `id="fake-own"`) || strings.Contains(body, `id="fake-section"`) {
				t.Errorf("POST /account/fake: %d %s", rec.Code, body)
			}
			rec = get("POST", "/account/fake", strings.NewReader("csrf=wrong"))
			if rec.Code != http.StatusForbidden {
				t.Errorf("POST /account/fake with a wrong CSRF token: %d", rec.Code)
			}
		})
	}
}

type framedFake struct{ fakeFeature }

func (f *framedFake) Framed() {}
