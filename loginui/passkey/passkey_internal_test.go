package passkey

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/ceremony"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// TestEveryCeremonyErrorHasItsCode pins the one mapping of ceremony
// errors to answers (wrapped errors too); anything else is a store
// failure, never a refusal that could be mistaken for success.
func TestEveryCeremonyErrorHasItsCode(t *testing.T) {
	cases := []struct {
		err    error
		status int
		code   string
	}{
		{ceremony.ErrState, 400, "WEBAUTHN_STATE_INVALID"},
		{ceremony.ErrReplayed, 400, "WEBAUTHN_CEREMONY_REPLAYED"},
		{ceremony.ErrVerify, 400, "WEBAUTHN_VERIFICATION_FAILED"},
		{ceremony.ErrUnknownCredential, 400, "WEBAUTHN_UNKNOWN_CREDENTIAL"},
		{ceremony.ErrCloned, 400, "WEBAUTHN_SIGN_COUNT_INVALID"},
		{ceremony.ErrExists, 409, "WEBAUTHN_CREDENTIAL_EXISTS"},
		{ceremony.ErrLimit, 409, "WEBAUTHN_LIMIT_REACHED"},
		{fmt.Errorf("wrapped: %w", ceremony.ErrReplayed), 400, "WEBAUTHN_CEREMONY_REPLAYED"},
		{errors.New("bolt: disk full"), http.StatusServiceUnavailable, ""},
	}
	for _, tc := range cases {
		e := web.As(answer(tc.err))
		if e.Status != tc.status || (tc.code != "" && e.Code != tc.code) {
			t.Errorf("%v: %d %s, want %d %s", tc.err, e.Status, e.Code, tc.status, tc.code)
		}
	}
}

// TestViewEncodesTheIDAndLeavesNeverUsedNull: the id is unpadded
// base64url, a passkey never used has last_used_at null and transports
// are [] rather than null.
func TestViewEncodesTheIDAndLeavesNeverUsedNull(t *testing.T) {
	p := &keystore.Passkey{CredentialID: []byte{0xfb, 0xff}, PublicKey: []byte("pk"), UserHandle: []byte("uh"), Name: "n",
		CreatedAt: time.Unix(10, 0)}
	v := viewOf(p)
	if v.ID != "-_8" || v.LastUsedAt != nil || v.Transports == nil || v.Name != "n" {
		t.Fatalf("view %+v", v)
	}
}
