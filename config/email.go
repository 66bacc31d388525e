package config

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

// Email hooks (docs/design.md "Portal"): how the portal delivers verify and reset links
// and password-change notices.
const (
	EmailHookLog     = "log"     // development: log the link (never the address)
	EmailHookNone    = "none"    // send nothing
	EmailHookWebhook = "webhook" // signed POST of JSON to a URL
	EmailHookSMTP    = "smtp"    // SMTP with STARTTLS
)

// Email selects and configures the mail hook.
type Email struct {
	// Hook is log, none, webhook or smtp; empty means log in development
	// and none in production.
	Hook    string       `yaml:"hook"`
	Webhook EmailWebhook `yaml:"webhook"`
	SMTP    EmailSMTP    `yaml:"smtp"`
}

// EmailWebhook posts each message as JSON with a Gatehouse-Signature HMAC
// header under Secret (inline, secret_file, or env
// GATEHOUSE_EMAIL_WEBHOOK_SECRET).
type EmailWebhook struct {
	URL        string     `yaml:"url"`
	Secret     SecretText `yaml:"secret"`
	SecretFile string     `yaml:"secret_file"`
}

// EmailSMTP sends through an SMTP server that offers STARTTLS. Password:
// inline, password_file, or env GATEHOUSE_EMAIL_SMTP_PASSWORD.
type EmailSMTP struct {
	Addr         string     `yaml:"addr"` // host:port
	Username     string     `yaml:"username"`
	Password     SecretText `yaml:"password"`
	PasswordFile string     `yaml:"password_file"`
	From         string     `yaml:"from"`
}

// EffectiveHook resolves the empty default by mode.
func (e Email) EffectiveHook(production bool) string {
	if e.Hook != "" {
		return e.Hook
	}
	if production {
		return EmailHookNone
	}
	return EmailHookLog
}

// SecretText is a secret written inline in YAML. It decodes a scalar into a
// signing.Secret and prints redacted.
type SecretText struct{ signing.Secret }

// UnmarshalYAML keeps the scalar only as a Secret; a non-scalar is an
// error that does not echo the value.
func (s *SecretText) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a secret must be a string", n.Line)
	}
	if n.Value != "" {
		s.Secret = signing.NewSecret([]byte(n.Value))
	}
	return nil
}

func (v *validator) email() {
	e := v.c.Email
	switch hook := e.EffectiveHook(v.prod); hook {
	case EmailHookLog:
		if v.prod {
			v.errf("email.hook", "log writes verify and reset links (which carry tokens) to the log; use webhook or smtp, or none")
		}
	case EmailHookNone:
	case EmailHookWebhook:
		if u, ok := v.absURL("email.webhook.url", e.Webhook.URL); ok && u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
			v.prodf("email.webhook.url", "http sends links with tokens in clear; use https")
		}
		if n := e.Webhook.Secret.Len(); n < MinSecretBytes {
			v.errf("email.webhook.secret", "must be at least %d bytes (inline, secret_file or %s), not %d%s",
				MinSecretBytes, EnvName("email", "webhook", "secret"), n, v.from("email.webhook.secret"))
		}
	case EmailHookSMTP:
		v.hostPort("email.smtp.addr", e.SMTP.Addr)
		if !keystore.ValidEmail(e.SMTP.From) {
			v.errf("email.smtp.from", "must be an email address")
		}
		if e.SMTP.Username == "" && !e.SMTP.Password.IsZero() {
			v.errf("email.smtp.username", "a password is set without a username")
		}
	default:
		v.errf("email.hook", "must be log, none, webhook or smtp, not %q", e.Hook)
	}
}
