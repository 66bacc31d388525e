package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/config"
)

func TestEmailHook(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hook.secret"), []byte("webhook-secret-from-a-file-0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const prod = "mode: production\n"
	cases := []struct {
		name      string
		yaml      string
		env       map[string]string
		wantErr   string // a problem path that must be an error; "" for none on email.*
		wantWarn  string
		wantHook  string
		wantProd  bool
		secretLen int
	}{
		{name: "development default logs", yaml: "", wantHook: "log"},
		{name: "production default sends nothing", yaml: prod, wantHook: "none", wantProd: true},
		{name: "log in production is refused", yaml: prod + "email: {hook: log}\n", wantHook: "log", wantProd: true, wantErr: "email.hook"},
		{name: "unknown hook", yaml: "email: {hook: pigeon}\n", wantErr: "email.hook"},
		{name: "webhook without secret", yaml: "email: {hook: webhook, webhook: {url: https://hooks.example.test/mail}}\n", wantHook: "webhook", wantErr: "email.webhook.secret"},
		{name: "webhook short secret", yaml: "email: {hook: webhook, webhook: {url: https://hooks.example.test/mail, secret: short}}\n", wantHook: "webhook", wantErr: "email.webhook.secret"},
		{name: "webhook secret from file", yaml: "email: {hook: webhook, webhook: {url: https://hooks.example.test/mail, secret_file: hook.secret}}\n", wantHook: "webhook", secretLen: 43},
		{name: "webhook secret from env", yaml: "email: {hook: webhook, webhook: {url: https://hooks.example.test/mail}}\n",
			env: map[string]string{"GATEHOUSE_EMAIL_WEBHOOK_SECRET": strings.Repeat("e", 40)}, wantHook: "webhook", secretLen: 40},
		{name: "webhook inline and file", yaml: "email: {hook: webhook, webhook: {url: https://hooks.example.test/mail, secret: " + strings.Repeat("s", 40) + ", secret_file: hook.secret}}\n", wantHook: "webhook", wantErr: "email.webhook.secret"},
		{name: "webhook over http off loopback", yaml: prod + "email: {hook: webhook, webhook: {url: http://hooks.example.test/mail, secret: " + strings.Repeat("s", 40) + "}}\n", wantHook: "webhook", wantProd: true, wantErr: "email.webhook.url"},
		{name: "webhook bad url", yaml: "email: {hook: webhook, webhook: {url: 'ftp://x', secret: " + strings.Repeat("s", 40) + "}}\n", wantHook: "webhook", wantErr: "email.webhook.url"},
		{name: "smtp ok", yaml: "email: {hook: smtp, smtp: {addr: 'mail.example.test:587', username: u, password: p, from: 'auth@example.test'}}\n", wantHook: "smtp"},
		{name: "smtp bad addr", yaml: "email: {hook: smtp, smtp: {addr: mail.example.test, from: 'auth@example.test'}}\n", wantHook: "smtp", wantErr: "email.smtp.addr"},
		{name: "smtp header injection in from", yaml: "email: {hook: smtp, smtp: {addr: 'm.example.test:587', from: \"a@b.test\\r\\nBcc: x@y.test\"}}\n", wantHook: "smtp", wantErr: "email.smtp.from"},
		{name: "smtp password without user", yaml: "email: {hook: smtp, smtp: {addr: 'm.example.test:587', password: p, from: 'a@b.test'}}\n", wantHook: "smtp", wantErr: "email.smtp.username"},
		{name: "secret must be a string", yaml: "email: {webhook: {secret: [a, b]}}\n", wantErr: "load"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := func(k string) string { return tc.env[k] }
			cfg, err := config.LoadBytes([]byte(tc.yaml), dir, env)
			if tc.wantErr == "load" {
				if err == nil || strings.Contains(err.Error(), "[a") {
					t.Fatalf("want a load error without the value, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantHook != "" {
				if got := cfg.Email.EffectiveHook(cfg.IsProduction()); got != tc.wantHook {
					t.Fatalf("hook %q, want %q", got, tc.wantHook)
				}
			}
			if tc.secretLen > 0 && cfg.Email.Webhook.Secret.Len() != tc.secretLen {
				t.Fatalf("secret length %d, want %d", cfg.Email.Webhook.Secret.Len(), tc.secretLen)
			}
			var errs, warns []config.Problem
			if verr, ok := cfg.Validate().(*config.ValidationError); ok {
				errs, warns = verr.Errors(), verr.Warnings()
			}
			has := func(ps []config.Problem, path string) bool {
				for _, p := range ps {
					if p.Path == path || strings.HasPrefix(p.Path, path+"_") {
						return true
					}
				}
				return false
			}
			if tc.wantErr != "" && !has(errs, tc.wantErr) {
				t.Fatalf("want an error at %s, got %v", tc.wantErr, errs)
			}
			if tc.wantErr == "" {
				for _, p := range errs {
					if strings.HasPrefix(p.Path, "email.") {
						t.Fatalf("unexpected error %v", p)
					}
				}
			}
			if tc.wantWarn != "" && !has(warns, tc.wantWarn) {
				t.Fatalf("want a warning at %s, got %v", tc.wantWarn, warns)
			}
			for _, p := range append(errs, warns...) {
				if strings.Contains(p.Message, "webhook-secret-from-a-file") || strings.Contains(p.Message, strings.Repeat("s", 40)) {
					t.Fatalf("problem echoes a secret: %v", p)
				}
			}
		})
	}
}
