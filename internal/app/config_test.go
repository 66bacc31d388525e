package app

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/config"
)

// TestValidateReportsWarningsAndEveryError: warnings go to the writer,
// errors come back together in one error.
func TestValidateReportsWarningsAndEveryError(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	if _, err := config.EnsureDataDir(cfg); err != nil {
		t.Fatal(err)
	}
	var w bytes.Buffer
	cfg.Tokens.Access.Lifetime = 48 * time.Hour
	if err := Validate(cfg, &w); err != nil || !strings.Contains(w.String(), "gatehouse: warning: tokens.access.lifetime: ") {
		t.Fatalf("a warning only: err %v, written %q", err, w.String())
	}
	cfg.Tokens.Access.Lifetime = 0
	cfg.DefaultPolicy = "maybe"
	err := Validate(cfg, &w)
	if err == nil || !strings.Contains(err.Error(), "2 problem(s)") || !strings.Contains(err.Error(), "tokens.access.lifetime") || !strings.Contains(err.Error(), "default_policy") {
		t.Fatalf("err = %v, want both problems", err)
	}
}
