package mail

import (
	"context"
	"sync"

	"github.com/rs/zerolog"
)

// Mail events.
const (
	EventVerify          = "verify"
	EventReset           = "reset"
	EventPasswordChanged = "password_changed"
)

// Message is one email to send. Link is empty for notifications.
type Message struct {
	Event  string // EventVerify, EventReset, EventPasswordChanged
	To     string // the recipient address
	UserID string
	Link   string // carries a token; never log it (DevMailer excepted)
}

// Mailer delivers messages. Send may block (it runs on the portal's mail
// queue, never on a request) and should honour ctx.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// DevMailer logs the link it would send, without the address: for
// development only. This is the one place a token reaches a log.
type DevMailer struct{ log zerolog.Logger }

// NewDevMailer returns a DevMailer writing to log.
func NewDevMailer(log zerolog.Logger) *DevMailer { return &DevMailer{log: log} }

// Send implements Mailer.
func (d *DevMailer) Send(_ context.Context, m Message) error {
	ev := d.log.Info().Str("component", "mail_dev").Str("mail_event", m.Event).Str("user_id", m.UserID)
	if m.Link != "" {
		ev = ev.Str("link", m.Link)
	}
	ev.Msg("development mailer: message not sent; link logged instead")
	return nil
}

// DiscardMailer sends nothing (email.hook: none): verify and reset links
// are dropped, and only the event and user id are logged at debug level.
type DiscardMailer struct{ Log zerolog.Logger }

// Send implements Mailer.
func (d DiscardMailer) Send(_ context.Context, m Message) error {
	d.Log.Debug().Str("component", "mail").Str("mail_event", m.Event).Str("user_id", m.UserID).Msg("no email hook configured; message dropped")
	return nil
}

// Queue runs a Mailer off the request path: a bounded channel and one
// worker. When the queue is full the message is dropped and logged (by
// user id), so a slow mail server can never hold requests.
type Queue struct {
	m      Mailer
	log    zerolog.Logger
	ch     chan Message
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool
}

// NewQueue starts a queue of size messages with one worker sending on m.
func NewQueue(m Mailer, log zerolog.Logger, size int) *Queue {
	ctx, cancel := context.WithCancel(context.Background())
	q := &Queue{m: m, log: log, ch: make(chan Message, size), ctx: ctx, cancel: cancel}
	q.wg.Add(1)
	go q.run()
	return q
}

func (q *Queue) run() {
	defer q.wg.Done()
	for msg := range q.ch {
		if err := q.m.Send(q.ctx, msg); err != nil {
			q.log.Warn().Str("component", "mail").Str("mail_event", msg.Event).Str("user_id", msg.UserID).Msg("mail delivery failed")
		}
	}
}

// Enqueue queues m, or drops and logs it when the queue is full or closed.
func (q *Queue) Enqueue(m Message) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	select {
	case q.ch <- m:
	default:
		q.log.Warn().Str("component", "mail").Str("mail_event", m.Event).Str("user_id", m.UserID).Msg("mail queue full; message dropped")
	}
}

// Close stops accepting messages and waits for the queue to drain until
// ctx ends, then cancels in-flight sends.
func (q *Queue) Close(ctx context.Context) {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
	q.mu.Unlock()
	done := make(chan struct{})
	go func() { q.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		q.cancel()
		<-done
	}
	q.cancel()
}
