package login

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/gatehouse/gatehouse/internal/errcode"
)

// TestAnswerNeverTellsMoreThanTheOutcome pins the JSON answer of every
// failed check, and that an error nobody mapped fails closed (503).
func TestAnswerNeverTellsMoreThanTheOutcome(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{ErrBadCredentials, http.StatusBadRequest, errcode.LoginBadCredentials},
		{fmt.Errorf("wrapped: %w", ErrBadCredentials), http.StatusBadRequest, errcode.LoginBadCredentials},
		{ErrUnavailable, http.StatusBadRequest, errcode.LoginAccountUnavailable},
		{ErrBusy, http.StatusTooManyRequests, errcode.RateLimited},
		{ErrStore, http.StatusServiceUnavailable, errcode.TokenProcessingFailed},
		{errors.New("redis: connection refused"), http.StatusServiceUnavailable, errcode.TokenProcessingFailed},
	} {
		e := Answer(tc.err)
		if e.Status != tc.status || e.Code != tc.code {
			t.Errorf("Answer(%v) = %d %s, want %d %s", tc.err, e.Status, e.Code, tc.status, tc.code)
		}
		if e.Cause != nil {
			t.Errorf("Answer(%v) carries %v", tc.err, e.Cause)
		}
	}
}
