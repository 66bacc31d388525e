package loginui

import (
	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/loginui/mail"
)

// The mail hooks live in loginui/mail; these names keep the portal's
// public API (Options.Mailer and the mailers main.go builds).

// Mail events.
const (
	EventVerify          = mail.EventVerify
	EventReset           = mail.EventReset
	EventPasswordChanged = mail.EventPasswordChanged
)

type (
	// Message is one email to send (mail.Message).
	Message = mail.Message
	// Mailer delivers messages (mail.Mailer).
	Mailer = mail.Mailer
	// DevMailer logs links instead of sending (mail.DevMailer).
	DevMailer = mail.DevMailer
	// DiscardMailer sends nothing (mail.DiscardMailer).
	DiscardMailer = mail.DiscardMailer
	// SMTPMailer sends over SMTP with STARTTLS (mail.SMTPMailer).
	SMTPMailer = mail.SMTPMailer
	// WebhookMailer POSTs signed JSON (mail.WebhookMailer).
	WebhookMailer = mail.WebhookMailer
)

// Mail delivery errors.
var (
	ErrSMTPNoTLS       = mail.ErrSMTPNoTLS
	ErrSMTPHeader      = mail.ErrSMTPHeader
	ErrSMTPFailure     = mail.ErrSMTPFailure
	ErrWebhookDelivery = mail.ErrWebhookDelivery
)

// NewDevMailer returns a DevMailer writing to log.
func NewDevMailer(log zerolog.Logger) *DevMailer { return mail.NewDevMailer(log) }

// WebhookSignature is the Gatehouse-Signature header value of body sent
// at t (mail.WebhookSignature).
var WebhookSignature = mail.WebhookSignature
