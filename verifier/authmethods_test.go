package verifier_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/verifier"
)

// authMethodRules guard /am-<name>/ with auth_methods and put them before
// the spec rules.
func authMethodRules(o *verifier.Options) {
	am := func(path string, methods ...string) config.Rule {
		return config.Rule{Name: path, Paths: []string{path}, Policy: config.PolicyAuthenticated, AuthMethods: methods}
	}
	o.Rules = append([]config.Rule{
		am("/am-passkey/", "passkey"),
		am("/am-2fa/", "totp", "passkey"),
		am("/am-password/", "password"),
		am("/am-oauth/", "oauth"),
		am("/am-totp/", "totp"),
		am("/am-any/", "password", "oauth", "totp", "passkey"),
		{Name: "am-cookie-step-up", Paths: []string{"/am-step/"}, Policy: config.PolicyAuthenticated, StepUp: 5 * time.Minute, AuthMethods: []string{"passkey"}},
	}, o.Rules...)
}

// TestRuleAuthMethods runs every stored AuthMethod against every rule list:
// the session passes exactly when its login used one of the listed
// factors, and a malformed or unknown method meets none.
func TestRuleAuthMethods(t *testing.T) {
	e := newEnv(t, authMethodRules)
	// The factors each method records, written out by hand (not by the
	// parser under test): p password, o oauth, t totp, k passkey.
	methods := []struct {
		method, factors string
	}{
		{"password", "p"},
		{"password+totp", "pt"},
		{"password+passkey", "pk"},
		{"oauth:github", "o"},
		{"oauth:github+totp", "ot"},
		{"oauth:github+passkey", "ok"},
		{"passkey", "k"},
		{"passkey+uv", "k"},
		{"passkey+totp", "kt"},
		{"totp", "t"}, // old versions: unknown first factor, then a TOTP
		{"", ""},
		{"Passkey", ""},
		{"passkey+passkey", ""},
		{"password+totp+passkey", ""},
		{"webauthn", ""},
		{"passkey ", ""},
		{"oauth:", ""},
		{strings.Repeat("password", 20), ""},
	}
	rules := []struct {
		path, wants string // the factors any one of which meets the rule
	}{
		{"/am-passkey/", "k"},
		{"/am-2fa/", "tk"},
		{"/am-password/", "p"},
		{"/am-oauth/", "o"},
		{"/am-totp/", "t"},
		{"/am-any/", "potk"},
	}
	for _, m := range methods {
		cookie := e.session(aliceID, func(s *keystore.Session) { s.AuthMethod = m.method })
		for _, r := range rules {
			t.Run(m.method+" on "+r.path, func(t *testing.T) {
				a := e.do(withCookie(fwd("nginx", "GET", "https://"+appHost+r.path+"x"), cookie))
				if strings.ContainsAny(m.factors, r.wants) && m.factors != "" {
					if h := wantAllow(t, a); h.Get("Remote-Auth-Method") != "cookie" {
						t.Fatalf("Remote-Auth-Method %q, want cookie (the credential kind)", h.Get("Remote-Auth-Method"))
					}
					return
				}
				wantDeny(t, a, 403, "AUTHORIZATION_DENIED")
			})
		}
	}
	t.Run("auth_methods and step_up both apply", func(t *testing.T) {
		bobPasskey := e.session(bobID, func(s *keystore.Session) { s.AuthMethod = "passkey+uv" })
		wantDeny(t, e.do(withCookie(fwd("nginx", "GET", "https://"+appHost+"/am-step/x"), bobPasskey)), 403, "TOTP_STEPUP_REQUIRED")
		stepped := e.session(bobID, func(s *keystore.Session) {
			s.AuthMethod = "passkey+uv"
			s.StepUpUntil = t0.Add(4 * time.Minute)
		})
		wantAllow(t, e.do(withCookie(fwd("nginx", "GET", "https://"+appHost+"/am-step/x"), stepped)))
		steppedPassword := e.session(bobID, func(s *keystore.Session) {
			s.AuthMethod = "password+totp"
			s.StepUpUntil = t0.Add(4 * time.Minute)
		})
		// A step-up does not change how the session logged in.
		wantDeny(t, e.do(withCookie(fwd("nginx", "GET", "https://"+appHost+"/am-step/x"), steppedPassword)), 403, "AUTHORIZATION_DENIED")
	})
}

// TestAuthMethodsNeverMatchOtherCredentials: only a browser session
// records its login, so a JWT, an API key or a signed request of the same
// user, and any external token, fail an auth_methods rule, even one that
// lists every factor.
func TestAuthMethodsNeverMatchOtherCredentials(t *testing.T) {
	x := newExtEnv(t, func(_, _ *config.ExternalIssuer, o *verifier.Options) { authMethodRules(o) })
	raw, _, _ := x.apiKey(aliceID, []string{"read"}, nil)
	keyID, secret := x.signingKey(aliceID, []string{"read"})
	for _, path := range []string{"/am-any/x", "/am-passkey/x", "/am-password/x"} {
		t.Run(path, func(t *testing.T) {
			u := "https://" + appHost + path
			wantDeny(t, x.do(bearer(fwd("nginx", "GET", u), x.jwt(aliceID))), 403, "AUTHORIZATION_DENIED")
			wantDeny(t, x.do(bearer(fwd("nginx", "GET", u), raw)), 403, "AUTHORIZATION_DENIED")
			wantDeny(t, x.do(x.signed(t, keyID, secret, signReq{dialect: "nginx", method: "GET", url: u})), 403, "AUTHORIZATION_DENIED")
			wantDeny(t, x.get(path, x.tokA()), 403, "AUTHORIZATION_DENIED")
			// The same user's cookie passes, so the denials above are the
			// credential kind's.
			both := x.session(aliceID, func(s *keystore.Session) { s.AuthMethod = "password+passkey" })
			wantAllow(t, x.do(withCookie(fwd("nginx", "GET", u), both)))
		})
	}
}

// TestStepUpRuleAppliesToPasskeyOnlyUsers: the step-up marker is the same
// for a TOTP code and a passkey, so a user with a passkey and no TOTP
// needs a fresh proof for a step_up rule too.
func TestStepUpRuleAppliesToPasskeyOnlyUsers(t *testing.T) {
	e := newEnv(t, nil)
	e.st.passkeys[aliceID] = []*keystore.Passkey{{CredentialID: []byte{1, 2, 3}, UserID: aliceID, PublicKey: []byte{4}}}
	const billing = "https://" + appHost + "/billing/x"
	plain := e.session(aliceID, func(s *keystore.Session) { s.AuthMethod = "passkey+uv" })
	stepped := e.session(aliceID, func(s *keystore.Session) { s.StepUpUntil = t0.Add(4 * time.Minute) })
	stale := e.session(aliceID, func(s *keystore.Session) { s.StepUpUntil = t0.Add(-time.Second) })
	cases := []struct {
		name   string
		do     func() answer
		status int
		code   string
	}{
		{"session without a proof", func() answer { return e.do(withCookie(fwd("nginx", "GET", billing), plain)) }, 403, "TOTP_STEPUP_REQUIRED"},
		{"expired proof", func() answer { return e.do(withCookie(fwd("nginx", "GET", billing), stale)) }, 403, "TOTP_STEPUP_REQUIRED"},
		{"fresh proof", func() answer { return e.do(withCookie(fwd("nginx", "GET", billing), stepped)) }, 200, ""},
		{"jwt carries no proof", func() answer { return e.do(bearer(fwd("nginx", "GET", billing), e.jwt(aliceID))) }, 403, "TOTP_STEPUP_REQUIRED"},
		{"rule without step_up", func() answer {
			return e.do(withCookie(fwd("nginx", "GET", "https://"+appHost+"/portal/x"), plain))
		}, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := c.do()
			if c.status == 200 {
				wantAllow(t, a)
				return
			}
			wantDeny(t, a, c.status, c.code)
		})
	}

	t.Run("user without passkeys or totp passes", func(t *testing.T) {
		e := newEnv(t, nil)
		wantAllow(t, e.do(withCookie(fwd("nginx", "GET", billing), e.session(aliceID, nil))))
	})
	t.Run("a passkey added later is seen after InvalidateUser", func(t *testing.T) {
		e := newEnv(t, nil)
		c := e.session(aliceID, nil)
		wantAllow(t, e.do(withCookie(fwd("nginx", "GET", billing), c)))
		e.st.mu.Lock()
		e.st.passkeys[aliceID] = []*keystore.Passkey{{CredentialID: []byte{9}, UserID: aliceID, PublicKey: []byte{4}}}
		e.st.mu.Unlock()
		e.v.InvalidateUser(aliceID)
		wantDeny(t, e.do(withCookie(fwd("nginx", "GET", billing), c)), 403, "TOTP_STEPUP_REQUIRED")
	})
	t.Run("store failure denies with 503", func(t *testing.T) {
		e := newEnv(t, func(o *verifier.Options) { o.Passkeys = failingPasskeys{} })
		wantDeny(t, e.do(withCookie(fwd("nginx", "GET", billing), e.session(aliceID, nil))), 503, "TOKEN_PROCESSING_FAILED")
		wantDeny(t, e.do(bearer(fwd("nginx", "GET", billing), e.jwt(aliceID))), 503, "TOKEN_PROCESSING_FAILED")
		// A fresh proof needs no lookup, so the outage does not deny it;
		// nor does a TOTP user need one (bob has TOTP on).
		wantAllow(t, e.do(withCookie(fwd("nginx", "GET", billing), e.session(aliceID, func(s *keystore.Session) { s.StepUpUntil = t0.Add(time.Minute) }))))
		wantDeny(t, e.do(withCookie(fwd("nginx", "GET", billing), e.session(bobID, nil))), 403, "TOTP_STEPUP_REQUIRED")
		// Nor does a rule without step_up.
		wantAllow(t, e.do(withCookie(fwd("nginx", "GET", "https://"+appHost+"/portal/x"), e.session(aliceID, nil))))
	})
	t.Run("the lookup is cached", func(t *testing.T) {
		e := newEnv(t, nil)
		c := e.session(aliceID, nil)
		wantAllow(t, e.do(withCookie(fwd("nginx", "GET", billing), c)))
		before := e.st.calls.Load()
		for range 5 {
			wantAllow(t, e.do(withCookie(fwd("nginx", "GET", billing), c)))
		}
		if n := e.st.calls.Load() - before; n != 0 {
			t.Fatalf("%d store calls for cached decisions, want 0", n)
		}
	})
}

// failingPasskeys is a passkey store whose list always fails; the
// verifier calls nothing else of it.
type failingPasskeys struct{ *fakeStore }

func (failingPasskeys) ListUserPasskeys(context.Context, string) ([]*keystore.Passkey, error) {
	return nil, errFakeOutage
}

// BenchmarkSessionRequirements: a cookie through a plain rule, an
// auth_methods rule, and a step_up rule for a user without TOTP (the
// cached passkey answer), to show what each requirement adds.
func BenchmarkSessionRequirements(b *testing.B) {
	e := newEnv(b, authMethodRules)
	cookie := e.session(aliceID, func(s *keystore.Session) { s.AuthMethod = "password+passkey" })
	for _, c := range []struct{ name, path string }{
		{"plain", "/x"},
		{"auth_methods", "/am-2fa/x"},
		{"step_up without totp", "/billing/x"},
	} {
		b.Run(c.name, func(b *testing.B) {
			benchHandler(b, e, withCookie(fwd("nginx", "GET", "https://"+appHost+c.path), cookie))
		})
	}
}

// TestCompileRulesRefusesBadAuthMethods: the verifier compiles only the
// factor names config accepts (keystore.ParseAuthFactorName).
func TestCompileRulesRefusesBadAuthMethods(t *testing.T) {
	for _, am := range [][]string{{"webauthn"}, {"password+totp"}, {}, {"passkey", "uv"}} {
		_, err := verifier.CompileRules([]config.Rule{{Policy: config.PolicyAuthenticated, AuthMethods: am}}, "deny")
		if !errors.Is(err, verifier.ErrRuleInvalid) {
			t.Errorf("auth_methods %q: %v, want ErrRuleInvalid", am, err)
		}
	}
	if _, err := verifier.CompileRules([]config.Rule{{Policy: config.PolicyAuthenticated, AuthMethods: []string{"password", "oauth", "totp", "passkey"}}}, "deny"); err != nil {
		t.Fatal(err)
	}
}
