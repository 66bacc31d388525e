package command

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"testing"
)

// TestExitCodes: usage mistakes exit 2 with their first line only; other
// failures exit 1, said once.
func TestExitCodes(t *testing.T) {
	cases := []struct {
		name       string
		err        error
		wantCode   int
		wantStderr string
	}{
		{"success", nil, 0, ""},
		{"usage error", Usagef("user: --email is required"), ExitUsage, "gatehouse: user: --email is required\n"},
		{"usage error, first line only", Usagef("bad\nsecond line"), ExitUsage, "gatehouse: bad\n"},
		{"wrapped usage error", fmt.Errorf("ctx: %w", Usagef("bad")), ExitUsage, "gatehouse: ctx: bad\n"},
		{"help", flag.ErrHelp, ExitUsage, ""},
		{"failure", errors.New("the store is gone"), 1, "gatehouse: the store is gone\n"},
		{"already explained", silentError{}, 1, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := ExitCode(tc.err, &stderr); code != tc.wantCode || stderr.String() != tc.wantStderr {
				t.Fatalf("ExitCode = %d, stderr %q; want %d, %q", code, stderr.String(), tc.wantCode, tc.wantStderr)
			}
		})
	}
}
