package loginui_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui"
	"github.com/gatehouse/gatehouse/signing"
	"github.com/gatehouse/gatehouse/verifier"
)

// Pre-account hijacking: someone registers (or moves their account to)
// an address they do not control and keeps a credential that outlives
// the address owner's takeover of the account.

const attackerPassword = "attacker's own password"

// hijackSetup is a portal with API keys and the "idp" OIDC provider, a
// superuser admin logged in, and the real verifier with one rule that
// needs a verified email.
type hijackSetup struct {
	*oauthSetup
	h     *harness
	admin *client
	ask   func(hdr ...string) int // a path under the verified_email rule
	askAt func(path string, hdr ...string) int
}

func newHijackSetup(t *testing.T) *hijackSetup {
	t.Helper()
	s := newOAuthSetup(t, func(o *loginui.Options, _ *loginui.OAuthProvider) { withAPIKeys(t, nil)(o) })
	h := s.h
	h.addUser("root@example.test", true)
	admin := h.client()
	admin.login("root@example.test", testPassword)
	jv, err := signing.NewJWTVerifier(signing.JWTVerifierConfig{
		Issuer: h.srv.URL, Audience: "gatehouse:access",
		Keys: []signing.JWTKey{{Alg: signing.AlgHS256, HMAC: h.opts.Secrets.AccessToken}},
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err := verifier.New(verifier.Options{
		Development: true, PublicURL: h.srv.URL, DefaultPolicy: "deny",
		Rules: []config.Rule{
			{Name: "verified", Paths: []string{"/verified/"}, Policy: config.PolicyAuthenticated, VerifiedEmail: true},
			{Name: "signed-in", Paths: []string{"/"}, Policy: config.PolicyAuthenticated},
		},
		Users: h.store, Sessions: h.store, APIKeys: h.store, Denylist: h.store, Nonces: h.mem,
		TokenHashKey: h.opts.Secrets.TokenHash, FingerprintKey: h.opts.Secrets.Fingerprint, JWT: jv,
		APIKeyHashKey: secret("ak"), SigningKeyring: h.opts.APIKeyConfig.SigningKeyring, Now: h.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	askAt := func(path string, hdr ...string) int {
		var req fasthttp.Request
		req.SetRequestURI("/auth/nginx")
		req.Header.Set("X-Original-Method", "GET")
		req.Header.Set("X-Original-URL", "https://app.example.test"+path)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4000}, nil)
		v.Handler(&ctx)
		return ctx.Response.StatusCode()
	}
	ask := func(hdr ...string) int { return askAt("/verified/x", hdr...) }
	return &hijackSetup{oauthSetup: s, h: h, admin: admin, ask: ask, askAt: askAt}
}

// register opens an account through the API (unverified) and returns it
// with the token of the verify link mailed to the address.
func register(t *testing.T, h *harness, email, pw string) (*keystore.User, string) {
	t.Helper()
	wantStatus(t, h.client().do("POST", "/api/auth/register", map[string]string{"email": email, "password": pw}), 202, "")
	link, err := url.Parse(h.mail.next(t, loginui.EventVerify).Link)
	if err != nil {
		t.Fatal(err)
	}
	u, err := h.store.GetUserByEmail(context.Background(), email)
	if err != nil || u.Verified {
		t.Fatalf("registered user: %+v, %v", u, err)
	}
	return u, link.Query().Get("token")
}

// adminKey has the admin make an API key for userID (admins may, for an
// unverified account too).
func (s *hijackSetup) adminKey(t *testing.T, userID string) keyCreated {
	t.Helper()
	r := s.admin.do("POST", "/api/users/"+userID+"/api-keys", map[string]any{"name": "made by an admin"})
	wantStatus(t, r, 201, "")
	var out keyCreated
	r.json(t, &out)
	return out
}

// seedLink stores an OAuth link of the attacker's provider identity, as a
// build without the unverified-account check would have made it.
func seedLink(t *testing.T, h *harness, userID, subject string, at time.Time) {
	t.Helper()
	l := &keystore.OAuthLink{Provider: "idp", Subject: subject, UserID: userID, Email: "attacker@evil.test", CreatedAt: at}
	if err := h.store.CreateOAuthLink(context.Background(), l); err != nil {
		t.Fatal(err)
	}
}

func keyRevoked(t *testing.T, h *harness, keyID string) bool {
	t.Helper()
	k, err := h.store.GetAPIKey(context.Background(), keyID)
	if err != nil {
		t.Fatal(err)
	}
	return !k.RevokedAt.IsZero()
}

func linkExists(t *testing.T, h *harness, subject string) bool {
	t.Helper()
	_, err := h.store.GetOAuthLink(context.Background(), "idp", subject)
	if err != nil && !errors.Is(err, keystore.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// attackerHold is what the attacker keeps after logging in: a cookie
// session and a bearer token pair.
type attackerHold struct {
	cookie *client
	tk     tokens
}

func holdSessions(h *harness, email, pw string) attackerHold {
	c := h.client()
	c.login(email, pw)
	return attackerHold{cookie: c, tk: h.loginBearer(email, pw)}
}

// wantSessionsDead checks that the cookie session, the refresh token and
// the access token of a hold no longer work (portal and verifier).
func (s *hijackSetup) wantSessionsDead(t *testing.T, a attackerHold) {
	t.Helper()
	if r := a.cookie.do("GET", "/api/users/me", nil); r.status != 401 {
		t.Errorf("the earlier cookie session still works: %d", r.status)
	}
	if r := s.h.client().do("POST", "/api/auth/refresh", map[string]string{"refresh_token": a.tk.RefreshToken}); r.status != 401 {
		t.Errorf("the earlier refresh token still works: %d", r.status)
	}
	if st := s.ask("Authorization", "Bearer "+a.tk.AccessToken); st == 200 {
		t.Errorf("the earlier access token still passes the verifier")
	}
	if r := s.h.bearer(a.tk.AccessToken).do("GET", "/api/users/me", nil); r.status != 401 {
		t.Errorf("the earlier access token still works at the portal: %d", r.status)
	}
}

func TestUnverifiedAccountCannotCreateAPIKey(t *testing.T) {
	s := newHijackSetup(t)
	h := s.h
	u, verifyTok := register(t, h, "victim@corp.test", attackerPassword)

	// JSON API.
	c := h.client()
	c.login("victim@corp.test", attackerPassword)
	wantStatus(t, c.do("POST", "/api/api-keys", map[string]any{"name": "365 days", "expires_in": "365d"}), 403, loginui.CodeEmailUnverified)

	// Pages: the section says why and offers no create form; a forged
	// form post is refused with the reason.
	p := h.client()
	if r := p.formLogin("victim@corp.test", attackerPassword, ""); r.status != 303 {
		t.Fatalf("form login: %d", r.status)
	}
	for _, path := range []string{"/account", "/account/api-keys"} {
		body := string(p.do("GET", path, nil).body)
		if !strings.Contains(body, `id="apikeys-unverified"`) || strings.Contains(body, `id="apikey-create-submit"`) {
			t.Fatalf("%s offers key creation to an unverified account", path)
		}
	}
	r := p.do("POST", "/account/api-keys", url.Values{"csrf": {p.cookie("gatehouse_csrf")}, "name": {"laptop"}, "expires": {"365d"}})
	if r.status != 403 || !strings.Contains(string(r.body), "verify your email address first") {
		t.Fatalf("key form of an unverified account: %d %s", r.status, r.body)
	}
	if ks, err := h.store.ListUserAPIKeys(context.Background(), u.ID); err != nil || len(ks) != 0 {
		t.Fatalf("an unverified account made keys: %d (%v)", len(ks), err)
	}

	// An admin is trusted to make one for the account (documented); the
	// owner's verification revokes it.
	k := s.adminKey(t, u.ID)
	h.clock.Advance(time.Second)
	wantStatus(t, h.client().do("POST", "/api/auth/verify", map[string]string{"token": verifyTok}), 200, "")
	if !keyRevoked(t, h, k.Key.KeyID) {
		t.Fatal("the admin's key for the unverified account survived verification")
	}
	// Verified now: a fresh session can make keys.
	h.clock.Advance(time.Second)
	c = h.client()
	c.login("victim@corp.test", attackerPassword)
	c.createKey(map[string]any{"name": "after verification"})
}

func TestUnverifiedAccountCannotLinkProvider(t *testing.T) {
	s := newHijackSetup(t)
	h := s.h
	u, _ := register(t, h, "victim@corp.test", attackerPassword)
	c := h.client()
	c.login("victim@corp.test", attackerPassword)

	// JSON API.
	wantStatus(t, c.do("POST", "/api/auth/associate/idp/authorize", nil), 403, loginui.CodeEmailUnverified)
	// The /account form: the page says why and shows no link button; a
	// forged post gets the reason.
	page := string(c.do("GET", "/account", nil).body)
	if !strings.Contains(page, `id="link-unverified"`) || strings.Contains(page, `action="/api/auth/associate/idp/authorize"`) {
		t.Fatalf("account page offers linking to an unverified account: %s", page)
	}
	form := h.client()
	form.c.Jar = c.c.Jar
	r := form.do("POST", "/api/auth/associate/idp/authorize", url.Values{"csrf": {c.csrf}})
	wantOAuthErr(t, r, 403, loginui.CodeEmailUnverified)
	if !strings.Contains(string(r.body), "verify your email address first") {
		t.Fatalf("linking page does not say why: %s", r.body)
	}

	// A flow started while verified and finished after the address
	// changed (now unverified) links nothing.
	h.addUser("mover@example.test", false)
	m := h.client()
	m.login("mover@example.test", testPassword)
	r = m.do("POST", "/api/auth/associate/idp/authorize", nil)
	wantStatus(t, r, 200, "")
	var out struct {
		URL string `json:"authorization_url"`
	}
	r.json(t, &out)
	cb := providerStep(t, resp{status: 302, header: http.Header{"Location": {out.URL}}})
	wantStatus(t, m.do("PATCH", "/api/users/me", map[string]string{"email": "someone-else@corp.test", "current_password": testPassword}), 200, "")
	wantOAuthErr(t, m.get(cb), 403, loginui.CodeEmailUnverified)
	if linkExists(t, h, "sub-1") {
		t.Fatal("a provider was linked to an unverified account")
	}
	if ls, _ := h.store.ListUserOAuthLinks(context.Background(), u.ID); len(ls) != 0 {
		t.Fatal("the unverified account has links")
	}
}

func TestEmailVerificationRevokesPreVerificationKeysAndLinks(t *testing.T) {
	for _, via := range []string{"api", "page"} {
		t.Run(via, func(t *testing.T) {
			s := newHijackSetup(t)
			h := s.h
			victim, verifyTok := register(t, h, "victim@corp.test", attackerPassword)
			hold := holdSessions(h, "victim@corp.test", attackerPassword)
			// Lasting credentials made while the address was unverified: a
			// key (by an admin here; by the attacker before this fix) and
			// the attacker's provider identity.
			key := s.adminKey(t, victim.ID)
			seedLink(t, h, victim.ID, "attacker-sub", h.clock.Now())
			h.clock.Advance(time.Second)

			// The owner of the address opens the verify link.
			owner := h.client()
			switch via {
			case "api":
				wantStatus(t, owner.do("POST", "/api/auth/verify", map[string]string{"token": verifyTok}), 200, "")
			case "page":
				owner.do("GET", "/verify?token="+url.QueryEscape(verifyTok), nil)
				r := owner.do("POST", "/verify", url.Values{"token": {verifyTok}, "csrf": {owner.cookie("gatehouse_csrf")}})
				if r.status != 200 || !strings.Contains(string(r.body), "confirmed") {
					t.Fatalf("verify page: %d %s", r.status, r.body)
				}
			}
			h.clock.Advance(2 * time.Second) // past the verifier's cache

			if st := s.ask("Authorization", "Bearer "+key.APIKey); st == 200 {
				t.Fatal("a key made before verification meets the verified_email rule")
			}
			if !keyRevoked(t, h, key.Key.KeyID) {
				t.Fatal("the pre-verification key is not revoked")
			}
			if linkExists(t, h, "attacker-sub") {
				t.Fatal("the pre-verification provider link survived")
			}
			s.wantSessionsDead(t, hold)
			if u := h.user(victim.ID); !u.Verified || !u.EmailVerifiedAt.Equal(h.clock.Now().Add(-2*time.Second)) {
				t.Fatalf("verified %v since %v", u.Verified, u.EmailVerifiedAt)
			}
			// The attacker's provider identity no longer logs in as the
			// victim.
			s.idp.set(func(f *fakeOIDC) { f.subject, f.email = "attacker-sub", "attacker@evil.test" })
			a := h.client()
			a.oauthLogin(t, "idp", "")
			if me := a.do("GET", "/api/users/me", nil); strings.Contains(string(me.body), victim.ID) {
				t.Fatal("the attacker's provider still logs in as the victim")
			}

			// Credentials made after verification work.
			c := h.client()
			c.login("victim@corp.test", attackerPassword)
			fresh := c.createKey(map[string]any{"name": "after"})
			if st := s.ask("Authorization", "Bearer "+fresh.APIKey); st != 200 {
				t.Fatalf("a key made after verification: %d", st)
			}
		})
	}
}

func TestPasswordResetRevokesPreVerificationCredentials(t *testing.T) {
	for _, via := range []string{"api", "page"} {
		t.Run(via, func(t *testing.T) {
			s := newHijackSetup(t)
			h := s.h
			victim, _ := register(t, h, "victim@corp.test", attackerPassword)
			hold := holdSessions(h, "victim@corp.test", attackerPassword)
			key := s.adminKey(t, victim.ID)
			seedLink(t, h, victim.ID, "attacker-sub", h.clock.Now())
			h.clock.Advance(time.Second)

			// The owner of the address resets the password.
			owner := h.client()
			wantStatus(t, owner.do("POST", "/api/auth/forgot-password", map[string]string{"email": "victim@corp.test"}), 202, "")
			rl, _ := url.Parse(h.mail.next(t, loginui.EventReset).Link)
			tok := rl.Query().Get("token")
			const ownerPassword = "the owner's new password"
			switch via {
			case "api":
				wantStatus(t, owner.do("POST", "/api/auth/reset-password", map[string]string{"token": tok, "password": ownerPassword}), 200, "")
			case "page":
				owner.do("GET", rl.RequestURI(), nil)
				r := owner.do("POST", "/reset-password", url.Values{"token": {tok}, "password": {ownerPassword}, "csrf": {owner.cookie("gatehouse_csrf")}})
				if r.status != 200 {
					t.Fatalf("reset page: %d %s", r.status, r.body)
				}
			}
			h.clock.Advance(2 * time.Second)

			if !keyRevoked(t, h, key.Key.KeyID) {
				t.Fatal("the key made before the reset, while unverified, is not revoked")
			}
			if linkExists(t, h, "attacker-sub") {
				t.Fatal("the provider link made while unverified survived the reset")
			}
			s.wantSessionsDead(t, hold)
			// Still unverified: the owner cannot make keys yet either.
			c := h.client()
			c.login("victim@corp.test", ownerPassword)
			wantStatus(t, c.do("POST", "/api/api-keys", map[string]any{"name": "x"}), 403, loginui.CodeEmailUnverified)
		})
	}
}

// TestPasswordResetKeepsCredentialsMadeWhileVerified: a reset revokes what
// predates the address's verification and keeps what was made while the
// account was verified with that address, including accounts verified
// before EmailVerifiedAt existed.
func TestPasswordResetKeepsCredentialsMadeWhileVerified(t *testing.T) {
	for _, tc := range []struct {
		name      string
		legacy    bool // verified before EmailVerifiedAt existed
		wantEarly bool // whether the credentials older than the verification survive
	}{
		{"verified with this address", false, false},
		{"verified before the field existed", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newHijackSetup(t)
			h := s.h
			u := h.addUser("owner@example.test", false)
			ctx := context.Background()
			// Credentials older than the verification (left behind, e.g.,
			// by a revocation that did not finish).
			early := s.adminKey(t, u.ID)
			seedLink(t, h, u.ID, "early-sub", h.clock.Now())
			h.clock.Advance(time.Second)
			verifiedAt := h.clock.Now()
			if !tc.legacy {
				if _, err := h.store.UpdateUser(ctx, u.ID, func(x *keystore.User) error { x.EmailVerifiedAt = verifiedAt; return nil }); err != nil {
					t.Fatal(err)
				}
			}
			h.clock.Advance(time.Second)
			c := h.client()
			c.login("owner@example.test", testPassword)
			late := c.createKey(map[string]any{"name": "made while verified"})
			seedLink(t, h, u.ID, "late-sub", h.clock.Now())
			h.clock.Advance(time.Second)

			wantStatus(t, h.client().do("POST", "/api/auth/forgot-password", map[string]string{"email": "owner@example.test"}), 202, "")
			rl, _ := url.Parse(h.mail.next(t, loginui.EventReset).Link)
			wantStatus(t, h.client().do("POST", "/api/auth/reset-password", map[string]string{"token": rl.Query().Get("token"), "password": "a new password here"}), 200, "")
			h.clock.Advance(2 * time.Second)

			if keyRevoked(t, h, late.Key.KeyID) || !linkExists(t, h, "late-sub") {
				t.Fatal("a credential made while verified with the same address did not survive the reset")
			}
			if st := s.ask("Authorization", "Bearer "+late.APIKey); st != 200 {
				t.Fatalf("the surviving key at the verifier: %d", st)
			}
			if got := !keyRevoked(t, h, early.Key.KeyID); got != tc.wantEarly {
				t.Errorf("key older than the verification survived = %v, want %v", got, tc.wantEarly)
			}
			if got := linkExists(t, h, "early-sub"); got != tc.wantEarly {
				t.Errorf("link older than the verification survived = %v, want %v", got, tc.wantEarly)
			}
			// Sessions go with the password, as before.
			if r := c.do("GET", "/api/users/me", nil); r.status != 401 {
				t.Errorf("a session survived the reset: %d", r.status)
			}
		})
	}
}

func TestEmailChangeRevokesCredentialsOfOldAddress(t *testing.T) {
	for _, tc := range []struct {
		name         string
		by           string // self-api, self-page, admin
		vouch        bool   // the admin marks the new address verified
		wantVerified bool
	}{
		{"own change through the API", "self-api", false, false},
		{"own change through the account page", "self-page", false, false},
		{"admin change", "admin", false, false},
		{"admin change vouching for the new address", "admin", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newHijackSetup(t)
			h := s.h
			ctx := context.Background()
			// A verified account (the attacker's own address).
			u := h.addUser("attacker@evil.test", false)
			if _, err := h.store.UpdateUser(ctx, u.ID, func(x *keystore.User) error { x.EmailVerifiedAt = h.clock.Now(); return nil }); err != nil {
				t.Fatal(err)
			}
			h.clock.Advance(time.Second)
			me := h.client()
			if r := me.formLogin("attacker@evil.test", testPassword, ""); r.status != 303 {
				t.Fatalf("form login: %d", r.status)
			}
			me.csrf = me.cookie("gatehouse_csrf")
			key := me.createKey(map[string]any{"name": "365 days", "expires_in": "365d"})
			seedLink(t, h, u.ID, "attacker-sub", h.clock.Now())
			hold := holdSessions(h, "attacker@evil.test", testPassword)
			h.clock.Advance(time.Second)

			// The address becomes someone else's.
			const to = "victim@corp.test"
			switch tc.by {
			case "self-api":
				wantStatus(t, me.do("PATCH", "/api/users/me", map[string]string{"email": to, "current_password": testPassword}), 200, "")
			case "self-page":
				csrf := me.csrf
				me.csrf = ""
				r := me.do("POST", "/account/profile", url.Values{"csrf": {csrf}, "display_name": {""}, "email": {to}, "current_password": {testPassword}})
				me.csrf = csrf
				if r.status != 303 {
					t.Fatalf("profile page: %d %s", r.status, r.body)
				}
			case "admin":
				body := map[string]any{"email": to, "current_password": testPassword}
				if tc.vouch {
					body["is_verified"] = true
				}
				wantStatus(t, s.admin.do("PATCH", "/api/users/"+u.ID, body), 200, "")
			}
			h.clock.Advance(2 * time.Second)

			if !keyRevoked(t, h, key.Key.KeyID) {
				t.Fatal("a key made under the old address survived the email change")
			}
			if st := s.ask("Authorization", "Bearer "+key.APIKey); st == 200 {
				t.Fatal("the old address's key passes the verifier")
			}
			if linkExists(t, h, "attacker-sub") {
				t.Fatal("a provider link made under the old address survived the email change")
			}
			s.wantSessionsDead(t, hold)
			got := h.user(u.ID)
			if got.Email != to || got.Verified != tc.wantVerified || got.EmailVerifiedAt.IsZero() == tc.wantVerified {
				t.Fatalf("after the change: email %q verified %v since %v", got.Email, got.Verified, got.EmailVerifiedAt)
			}
			// The session that changed its own address (and proved the
			// password) stays; an admin's change signs the user out.
			wantMe := 401
			if tc.by != "admin" {
				wantMe = 200
			}
			if r := me.do("GET", "/api/users/me", nil); r.status != wantMe {
				t.Fatalf("the changing session: %d, want %d", r.status, wantMe)
			}
		})
	}
}

// TestKeyOlderThanVerificationNeverMeetsVerifiedEmailRule: should a key
// made before the address was verified outlive the verification (a
// revocation that did not finish), the verifier still refuses it on
// verified_email rules; elsewhere it stays a valid credential. Accounts
// verified before the time was recorded are not affected.
func TestKeyOlderThanVerificationNeverMeetsVerifiedEmailRule(t *testing.T) {
	for _, tc := range []struct {
		name     string
		recorded bool // EmailVerifiedAt is set
		want     int
	}{
		{"verification time recorded", true, 403},
		{"verified before the time was recorded", false, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newHijackSetup(t)
			h := s.h
			u, _ := register(t, h, "late@example.test", testPassword)
			key := s.adminKey(t, u.ID)
			h.clock.Advance(time.Second)
			// Verified behind the portal's back: its revocation never ran.
			if _, err := h.store.UpdateUser(context.Background(), u.ID, func(x *keystore.User) error {
				x.Verified = true
				if tc.recorded {
					x.EmailVerifiedAt = h.clock.Now()
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			h.clock.Advance(2 * time.Second)
			if st := s.ask("Authorization", "Bearer "+key.APIKey); st != tc.want {
				t.Fatalf("verified_email rule: %d, want %d", st, tc.want)
			}
			if st := s.askAt("/other", "Authorization", "Bearer "+key.APIKey); st != 200 {
				t.Fatalf("plain rule: %d, want 200", st)
			}
			// A key made after the verification meets the rule.
			c := h.client()
			c.login("late@example.test", testPassword)
			fresh := c.createKey(map[string]any{"name": "after"})
			if st := s.ask("Authorization", "Bearer "+fresh.APIKey); st != 200 {
				t.Fatalf("key made after verification: %d", st)
			}
		})
	}
}
