// Package mail delivers the portal's messages (verify and reset links,
// password-changed notices) through a Mailer: DevMailer (logs the link,
// development only), DiscardMailer, SMTPMailer (STARTTLS required) and
// WebhookMailer (signed JSON POST with retries). Queue runs a Mailer off
// the request path with a bounded channel and one worker.
//
// It owns the wire formats of those hooks and their delivery retries.
// It must never decide who gets a message or what a link carries (the
// portal core does), never block a request (only Queue calls Send), and
// never log an address or a link; DevMailer's link is the one exception,
// for development.
package mail
