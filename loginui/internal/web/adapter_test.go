package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type recordingPager struct{ got *Error }

func (p *recordingPager) ErrorPage(w http.ResponseWriter, _ *http.Request, e *Error) {
	p.got = e
	w.WriteHeader(e.Status)
}

// TestAdaptersAnswerEveryErrorAndHideTheCause prevents a handler error
// from leaking its cause to the client, and an unmapped error from being
// answered as anything but the fail-closed 503.
func TestAdaptersAnswerEveryErrorAndHideTheCause(t *testing.T) {
	secret := errors.New("redis: dial tcp 10.0.0.7:6379: password=hunter2")
	limited := &Error{Status: 429, Code: "RATE_LIMITED", Detail: "too many requests; retry later", RetryAfter: 7}
	unauth := &Error{Status: 401, Code: "AUTHENTICATION_FAILED", Detail: "authentication required", Challenge: `Bearer realm="gatehouse"`}
	for _, tc := range []struct {
		name       string
		err        error
		status     int
		body       string
		retryAfter string
		challenge  string
	}{
		{"nil", nil, 200, "ok", "", ""},
		{"web error", New(403, "AUTHORIZATION_DENIED", "no"), 403, `{"code":"AUTHORIZATION_DENIED","detail":"no"}` + "\n", "", ""},
		{"with cause", New(404, "USER_NOT_FOUND", "no such user").WithCause(secret), 404, `{"code":"USER_NOT_FOUND","detail":"no such user"}` + "\n", "", ""},
		{"wrapped", errors.Join(secret, limited), 429, `{"code":"RATE_LIMITED","detail":"too many requests; retry later"}` + "\n", "7", ""},
		{"challenge", unauth, 401, `{"code":"AUTHENTICATION_FAILED","detail":"authentication required"}` + "\n", "", `Bearer realm="gatehouse"`},
		{"unmapped", secret, 503, `{"code":"TOKEN_PROCESSING_FAILED","detail":"a state store is unavailable; the request may not have taken effect, try again shortly"}` + "\n", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := func(w http.ResponseWriter, r *http.Request) error {
				if tc.err != nil {
					return tc.err
				}
				_, _ = w.Write([]byte("ok"))
				return nil
			}
			rec := httptest.NewRecorder()
			JSON(h)(rec, httptest.NewRequest("GET", "/", nil))
			if rec.Code != tc.status || rec.Body.String() != tc.body {
				t.Fatalf("JSON: %d %q, want %d %q", rec.Code, rec.Body.String(), tc.status, tc.body)
			}
			if strings.Contains(rec.Body.String(), "hunter2") {
				t.Fatal("cause leaked")
			}
			if got := rec.Header().Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tc.retryAfter)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tc.challenge {
				t.Errorf("WWW-Authenticate %q, want %q", got, tc.challenge)
			}
			if tc.err != nil {
				if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
					t.Errorf("Content-Type %q", ct)
				}
				if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control %q", cc)
				}
			}

			pg := &recordingPager{}
			rec = httptest.NewRecorder()
			Page(pg, h)(rec, httptest.NewRequest("GET", "/", nil))
			if rec.Code != tc.status {
				t.Fatalf("Page: %d, want %d", rec.Code, tc.status)
			}
			if tc.err == nil && pg.got != nil || tc.err != nil && (pg.got == nil || pg.got.Status != tc.status) {
				t.Fatalf("Page passed %v", pg.got)
			}
		})
	}
}

// TestWithCauseLeavesSharedValueAlone prevents a request's cause from
// being attached to a package-level error value other requests share.
func TestWithCauseLeavesSharedValueAlone(t *testing.T) {
	cause := errors.New("boom")
	e := Unavailable.WithCause(cause)
	if Unavailable.Cause != nil || !errors.Is(e, cause) || e.Status != 503 {
		t.Fatalf("shared %v, copy %v", Unavailable.Cause, e)
	}
	if As(cause).Cause != cause || Unavailable.Cause != nil {
		t.Fatal("As modified Unavailable")
	}
}
