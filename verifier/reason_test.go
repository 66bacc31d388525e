package verifier

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/errcode"
)

// TestEveryReasonIsInTheSharedCodeTable prevents a verifier deny whose code
// or status drifts from the table the portal answers from.
func TestEveryReasonIsInTheSharedCodeTable(t *testing.T) {
	for r := ReasonNone + 1; r < reasonCount; r++ {
		code := r.String()
		if !errcode.Known(code) {
			t.Errorf("reason %d: code %q is not in internal/errcode", r, code)
			continue
		}
		if got, want := r.Status(), errcode.Status(code); got != want {
			t.Errorf("%s: status %d, table says %d", code, got, want)
		}
		want := `{"code":"` + code + `","detail":"` + r.Detail() + `"}`
		if string(r.body()) != want {
			t.Errorf("%s: body %s, want %s", code, r.body(), want)
		}
	}
}
