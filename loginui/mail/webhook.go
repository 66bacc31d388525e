package mail

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/signing"
)

// WebhookMailer POSTs each message as JSON to a URL with a
// "Gatehouse-Signature: t=<unix>,v1=<hex>" header, where v1 is
// HMAC-SHA256(secret, "<unix>." + body). The receiver should refuse
// timestamps more than a few minutes old. Failed deliveries (network
// errors, 429 and 5xx) are retried with exponential backoff.
type WebhookMailer struct {
	URL         string
	Secret      signing.Secret
	Client      *http.Client
	MaxAttempts int           // default 5
	Backoff     time.Duration // first retry delay, doubled each time; default 1s
	Now         func() time.Time
}

// webhookPayload is the JSON body of a webhook delivery.
type webhookPayload struct {
	Event  string `json:"event"`
	To     string `json:"to"`
	UserID string `json:"user_id"`
	Link   string `json:"link,omitempty"`
	SentAt int64  `json:"sent_at"`
}

// ErrWebhookDelivery: every attempt failed. It carries no payload data.
var ErrWebhookDelivery = errors.New("mail: webhook delivery failed")

// WebhookSignature is the header value for body sent at t.
func WebhookSignature(secret signing.Secret, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, secret.Bytes())
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Send implements Mailer.
func (wm *WebhookMailer) Send(ctx context.Context, msg Message) error {
	now := time.Now
	if wm.Now != nil {
		now = wm.Now
	}
	client := wm.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	attempts := wm.MaxAttempts
	if attempts <= 0 {
		attempts = 5
	}
	delay := wm.Backoff
	if delay <= 0 {
		delay = time.Second
	}
	for i := 0; i < attempts; i++ {
		if i > 0 {
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return ErrWebhookDelivery
			case <-t.C:
			}
			delay *= 2
		}
		t := now()
		body, err := json.Marshal(webhookPayload{Event: msg.Event, To: msg.To, UserID: msg.UserID, Link: msg.Link, SentAt: t.Unix()})
		if err != nil {
			return ErrWebhookDelivery
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, wm.URL, bytes.NewReader(body))
		if err != nil {
			return ErrWebhookDelivery
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Gatehouse-Signature", WebhookSignature(wm.Secret, t, body))
		resp, err := client.Do(req)
		if err != nil {
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			return nil
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			continue
		default:
			return ErrWebhookDelivery // a 4xx will not get better
		}
	}
	return ErrWebhookDelivery
}
