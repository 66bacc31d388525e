package loginui_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/loginui"
)

// TestWebhookDeliveryNeverBlocksRequests: a hanging webhook does not slow
// the forgot-password answer.
func TestWebhookDeliveryNeverBlocksRequests(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer srv.Close()
	defer close(release)
	h := newHarness(t, func(o *loginui.Options) {
		o.Mailer = &loginui.WebhookMailer{URL: srv.URL, Secret: secret("wh"), MaxAttempts: 1}
	})
	h.addUser("hang@example.test", false)
	start := time.Now()
	wantStatus(t, h.client().do("POST", "/api/auth/forgot-password", map[string]string{"email": "hang@example.test"}), 202, "")
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("request took %v", d)
	}
}
