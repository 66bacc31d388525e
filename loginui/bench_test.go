package loginui_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkUsersMeCookie: GET /api/users/me with a session cookie, straight
// into the handler (bbolt session and user lookups, no network).
func BenchmarkUsersMeCookie(b *testing.B) {
	h := newHarness(b, nil)
	h.addUser("bench@example.test", false)
	c := h.client()
	c.login("bench@example.test", testPassword)
	cookie := "gatehouse_session=" + c.cookie("gatehouse_session")
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/api/users/me", nil)
		req.Header.Set("Cookie", cookie)
		rec := httptest.NewRecorder()
		h.p.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkUsersMeBearer: the same with an access JWT.
func BenchmarkUsersMeBearer(b *testing.B) {
	h := newHarness(b, nil)
	h.addUser("bench@example.test", false)
	tk := h.loginBearer("bench@example.test", testPassword)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/api/users/me", nil)
		req.Header.Set("Authorization", "Bearer "+tk.AccessToken)
		rec := httptest.NewRecorder()
		h.p.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
