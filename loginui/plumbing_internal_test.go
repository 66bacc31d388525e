package loginui

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// TestPageAdapterRendersStoreFailuresAsTheStorePage prevents a page
// handler's store failure (or an error nobody mapped) from being answered
// with anything but the store page, byte for byte what the pages rendered
// before handlers returned errors, and without the cause.
func TestPageAdapterRendersStoreFailuresAsTheStorePage(t *testing.T) {
	p := testPortal(t, false)
	var err error
	if p.pages, err = parsePages(); err != nil {
		t.Fatal(err)
	}
	want := httptest.NewRecorder()
	p.renderStoreError(want)
	cause := errors.New("redis: connection refused (secret-cause)")
	for name, e := range map[string]error{
		"opStore":      web.Unavailable,
		"with cause":   web.Unavailable.WithCause(cause),
		"unmapped":     cause,
		"wrapped":      errors.Join(cause, web.Unavailable),
		"store detail": web.New(http.StatusServiceUnavailable, CodeTokenProcessingFailed, web.Unavailable.Detail),
	} {
		got := httptest.NewRecorder()
		p.pageRoute(func(http.ResponseWriter, *http.Request) error { return e })(got, httptest.NewRequest("GET", "/account", nil))
		if got.Code != want.Code || got.Body.String() != want.Body.String() {
			t.Errorf("%s: %d %q, want the store page", name, got.Code, got.Body.String())
		}
	}
	// Any other error is a message page with its status and detail.
	got := httptest.NewRecorder()
	p.pageRoute(func(http.ResponseWriter, *http.Request) error {
		return &web.Error{Status: http.StatusTooManyRequests, Code: CodeRateLimited, Detail: "too many requests; retry later", RetryAfter: 3}
	})(got, httptest.NewRequest("GET", "/account", nil))
	msg := httptest.NewRecorder()
	p.renderMessage(msg, http.StatusTooManyRequests, "Too Many Requests", "", "too many requests; retry later")
	if got.Code != 429 || got.Body.String() != msg.Body.String() || got.Header().Get("Retry-After") != "3" {
		t.Fatalf("other error: %d %q %v", got.Code, got.Body.String(), got.Header())
	}
}
