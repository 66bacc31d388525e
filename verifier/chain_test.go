package verifier_test

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

// jwtInChain issues an access JWT that belongs to refresh chain sid, as the
// portal does for bearer logins.
func (e *env) jwtInChain(id, sid string) string {
	e.t.Helper()
	u := e.user(id)
	sfp := signing.SessionFingerprint(fpKey, u.ID, keystore.FoldEmail(u.Email), u.PasswordHash)
	tok, err := e.hs.Issue(signing.IssueClaims{Subject: id, SFP: sfp, SID: sid, Lifetime: 15 * time.Minute}, e.clk.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// TestRevokedRefreshChainKillsItsAccessTokens: when the portal revokes a
// refresh chain (logout, reuse of a spent refresh token, sign out
// everywhere else) the access tokens minted in that chain stop working at
// the verifier too, not only at the portal.
func TestRevokedRefreshChainKillsItsAccessTokens(t *testing.T) {
	e := newEnv(t, nil)
	req := func(tok string) answer {
		return e.do(bearer(fwd("nginx", "GET", "https://app.example.test/api/items"), tok))
	}
	inChain := e.jwtInChain(aliceID, "c0ffee00c0ffee00c0ffee00c0ffee00")
	otherChain := e.jwtInChain(aliceID, "beef0000beef0000beef0000beef0000")
	plain := e.jwt(aliceID)
	wantAllow(t, req(inChain))
	wantAllow(t, req(otherChain))
	wantAllow(t, req(plain))

	if err := e.st.Deny(t.Context(), keystore.ChainDenyPrefix+"c0ffee00c0ffee00c0ffee00c0ffee00", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.v.InvalidateTokenID(keystore.ChainDenyPrefix + "c0ffee00c0ffee00c0ffee00c0ffee00")
	wantDeny(t, req(inChain), 401, "AUTHENTICATION_FAILED")
	wantAllow(t, req(otherChain))
	wantAllow(t, req(plain))
}
