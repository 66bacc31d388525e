package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/smtp"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

// SMTPMailer sends plain-text mail through an SMTP server with STARTTLS.
// STARTTLS is mandatory unless InsecureAllowPlain is set, which is meant
// for a local relay in development only.
type SMTPMailer struct {
	Addr               string // host:port
	Username           string // empty: no AUTH
	Password           signing.Secret
	From               string
	TLSConfig          *tls.Config // default: ServerName from Addr
	InsecureAllowPlain bool
	Timeout            time.Duration // whole conversation; default 30s
}

// SMTP errors; none carries addresses or message content.
var (
	ErrSMTPNoTLS   = errors.New("mail: smtp server does not offer STARTTLS")
	ErrSMTPHeader  = errors.New("mail: smtp address contains forbidden characters")
	ErrSMTPFailure = errors.New("mail: smtp delivery failed")
)

// Send implements Mailer.
func (s *SMTPMailer) Send(ctx context.Context, m Message) error {
	if !safeHeaderValue(m.To) || !safeHeaderValue(s.From) || !keystore.ValidEmail(m.To) {
		return ErrSMTPHeader
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return ErrSMTPFailure
	}
	_ = conn.SetDeadline(time.Now().Add(timeout))
	host, _, _ := net.SplitHostPort(s.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		_ = conn.Close()
		return ErrSMTPFailure
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := s.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		}
		if err := c.StartTLS(cfg); err != nil {
			return ErrSMTPFailure
		}
	} else if !s.InsecureAllowPlain {
		return ErrSMTPNoTLS
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, string(s.Password.Bytes()), host)); err != nil {
			return ErrSMTPFailure
		}
	}
	if err := c.Mail(s.From); err != nil {
		return ErrSMTPFailure
	}
	if err := c.Rcpt(m.To); err != nil {
		return ErrSMTPFailure
	}
	wc, err := c.Data()
	if err != nil {
		return ErrSMTPFailure
	}
	if _, err := wc.Write([]byte(composeMail(s.From, m))); err != nil {
		_ = wc.Close()
		return ErrSMTPFailure
	}
	if err := wc.Close(); err != nil {
		return ErrSMTPFailure
	}
	if err := c.Quit(); err != nil {
		return ErrSMTPFailure
	}
	return nil
}

func safeHeaderValue(s string) bool {
	return s != "" && !strings.ContainsAny(s, "\r\n\x00")
}

// composeMail renders the message as RFC 5322 text with CRLF line ends.
func composeMail(from string, m Message) string {
	subject, text := mailText(m)
	var b strings.Builder
	b.WriteString("From: " + from + "\r\n")
	b.WriteString("To: " + m.To + "\r\n")
	b.WriteString("Subject: " + subject + "\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(text, "\n", "\r\n"))
	return b.String()
}

// mailText is the subject and body of each event.
func mailText(m Message) (string, string) {
	switch m.Event {
	case EventVerify:
		return "Confirm your email address", "Open this link within an hour to confirm your email address:\n\n" + m.Link + "\n\nIf you did not ask for this, ignore this message.\n"
	case EventReset:
		return "Reset your password", "Open this link within an hour to choose a new password:\n\n" + m.Link + "\n\nIf you did not ask for this, ignore this message; your password is unchanged.\n"
	case EventPasswordChanged:
		return "Your password was changed", "The password of your account was just changed and your other sessions were signed out.\n\nIf this was not you, reset your password now and contact your administrator.\n"
	default:
		return "Account notice", "There was activity on your account.\n"
	}
}
