package session

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/signing"
)

// TestPendingTokenWithoutFirstFactorIsRefused: a pending token that does
// not name its first factor (as every earlier version issued them) does
// not verify, so the second step never guesses what came first.
func TestPendingTokenWithoutFirstFactorIsRefused(t *testing.T) {
	c, err := NewJWT("https://auth.example.test", "gatehouse:totp-pending",
		[]signing.JWTKey{{Alg: signing.AlgHS256, HMAC: signing.NewSecret([]byte("pending-test-key-0123456789abcdef"))}}, "", true)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	jti, _ := signing.RandomHex(16)
	old, err := c.issue("u1", jti, "binding", "", time.Minute, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Verify(old, now); err == nil {
		t.Fatal("a pending token without ff verified")
	}
	if _, err := c.issueFirstFactor("u1", jti, "binding", "", time.Minute, now); err == nil {
		t.Fatal("issued a pending token with an empty first factor")
	}
	for _, ff := range []string{feature.MethodPassword, feature.MethodOAuthPrefix + "github"} {
		tok, err := c.issueFirstFactor("u1", jti, "binding", ff, time.Minute, now)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := c.Verify(tok, now)
		if err != nil || cl.FirstFactor != ff {
			t.Fatalf("ff %q: got %q, %v", ff, cl.FirstFactor, err)
		}
	}
}
