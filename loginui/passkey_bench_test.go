package loginui_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/webauthntest"
	"github.com/gatehouse/gatehouse/loginui"
)

// BenchmarkLoginPage: GET /login without and with passkeys (the page
// then begins a passwordless ceremony: a challenge and a sealed state).
func BenchmarkLoginPage(b *testing.B) {
	for _, tc := range []struct {
		name string
		mod  func(*loginui.Options)
	}{{"plain", nil}, {"passkeys", withPasskeys(b, nil)}} {
		b.Run(tc.name, func(b *testing.B) {
			h := newHarness(b, tc.mod)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.p.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login", nil))
				if rec.Code != 200 {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}

// BenchmarkPasskeyLogin: a passwordless login through the JSON API
// (begin, the software authenticator's answer, finish with a cookie
// session), straight into the handler.
func BenchmarkPasskeyLogin(b *testing.B) {
	h := newHarness(b, withPasskeys(b, func(o *loginui.Options) { o.MinResponseTime = -1 }))
	h.addUser("bench@example.test", false)
	c := h.client()
	c.login("bench@example.test", testPassword)
	a := webauthntest.New()
	c.registerPasskey(a, "Key")
	post := func(path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.p.ServeHTTP(rec, req)
		return rec
	}
	b.ReportAllocs()
	for b.Loop() {
		var bg struct {
			Options json.RawMessage `json:"options"`
			State   string          `json:"state"`
		}
		_ = json.Unmarshal(post("/api/auth/webauthn/login/begin", "{}").Body.Bytes(), &bg)
		ans, err := a.Get(bg.Options, pkGood)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := json.Marshal(map[string]any{"state": bg.State, "credential": json.RawMessage(ans)})
		if rec := post("/api/auth/webauthn/login/finish", string(body)); rec.Code != 200 {
			b.Fatalf("status %d %s", rec.Code, rec.Body)
		}
	}
}
