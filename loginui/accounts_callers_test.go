package loginui_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/admin"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui"
	"github.com/gatehouse/gatehouse/signing"
)

// The account rules have one home (internal/accounts); these tests run
// every caller — the admin commands and the portal's JSON routes — on the
// same inputs and check they reach the same outcome. Each caller builds
// its service from its own configuration, as the CLI does.

// callerEnv is a portal and an admin.Ops over one store, configured alike.
type callerEnv struct {
	h     *harness
	ops   *admin.Ops
	admin *client // a logged-in superuser of the portal
}

func newCallerEnv(t *testing.T, signingEnabled bool) *callerEnv {
	t.Helper()
	kh, err := signing.NewAPIKeyHasher(secret("ak"))
	if err != nil {
		t.Fatal(err)
	}
	kr := testKeyring(t)
	scopes := []string{"write", "read", "admin"}
	h := newHarness(t, func(o *loginui.Options) {
		o.APIKeys = o.Users.(keystore.APIKeys)
		o.Links = o.Users.(keystore.OAuthLinks)
		o.APIKeyConfig = loginui.APIKeyOptions{Enabled: true, AllowedScopes: scopes, MaxPerUser: 3,
			DefaultLifetime: 90 * 24 * time.Hour, ScopeSubsetCheck: true,
			Hasher: kh, SigningEnabled: signingEnabled, SigningKeyring: kr}
		o.RateLimits[loginui.SlotAPIKeyCreate] = loginui.RateLimit{Max: 1000, Window: time.Minute}
	})
	ops := &admin.Ops{Store: h.store, Hasher: h.hasher,
		MinPassword: signing.DefaultPasswordMinLen, MaxPassword: signing.DefaultPasswordMaxLen,
		APIKeyHasher: kh, APIKeyPrefix: "ak", APIKeyEnv: "prod", APIKeyMax: 3, APIKeyLifetime: 90 * 24 * time.Hour,
		AllowedScopes: scopes, ScopeSubsetCheck: true, SigningEnabled: signingEnabled,
		Keyrings: map[string]*signing.Keyring{keystore.RingAPIKeySigning: kr}, Now: h.clock.Now}
	h.addUser("boss@example.test", true)
	a := h.client()
	a.login("boss@example.test", testPassword)
	return &callerEnv{h: h, ops: ops, admin: a}
}

// Outcome classes both callers are compared on.
const (
	classOK         = "ok"
	classScope      = "scope"
	classLimit      = "limit"
	classLifetime   = "lifetime"
	classSigning    = "signing"
	classUnverified = "unverified"
	className       = "name"
	classTaken      = "taken"
	classBadEmail   = "invalid-email"
)

func adminClass(err error) string {
	if err == nil {
		return classOK
	}
	var e *admin.Error
	if !errors.As(err, &e) {
		return "error: " + err.Error()
	}
	switch e.Code {
	case "API_KEY_SCOPE_DENIED":
		return classScope
	case "API_KEY_LIMIT_REACHED":
		return classLimit
	case "INVALID_EXPIRY":
		return classLifetime
	case "CONFIGURATION_INVALID":
		return classSigning
	case "INVALID_NAME":
		return className
	case "USER_EXISTS":
		return classTaken
	case "INVALID_EMAIL":
		return classBadEmail
	}
	return "admin code " + e.Code
}

func portalKeyClass(r resp) string {
	if r.status == 201 {
		return classOK
	}
	var e struct{ Code, Detail string }
	_ = json.Unmarshal(r.body, &e)
	switch {
	case e.Code == loginui.CodeAPIKeyScopeDenied:
		return classScope
	case e.Code == loginui.CodeAPIKeyLimitReached:
		return classLimit
	case e.Code == loginui.CodeEmailUnverified:
		return classUnverified
	case e.Code == loginui.CodeRequestBodyInvalid && strings.Contains(e.Detail, "expires_in"):
		return classLifetime
	case e.Code == loginui.CodeRequestBodyInvalid && strings.Contains(e.Detail, "signed requests"):
		return classSigning
	case e.Code == loginui.CodeRequestBodyInvalid && strings.Contains(e.Detail, "name"):
		return className
	}
	return fmt.Sprintf("portal %d %s", r.status, r.body)
}

// seedKeys stores n live keys of u directly.
func seedKeys(t *testing.T, h *harness, u *keystore.User, n int) {
	t.Helper()
	for i := range n {
		id, _ := signing.RandomHex(11)
		k := &keystore.APIKey{KeyID: id[:signing.APIKeyIDLen], UserID: u.ID, Name: "seed", Env: "prod", Digest: make([]byte, 32), CreatedAt: h.clock.Now().Add(time.Duration(i))}
		if err := h.store.CreateAPIKey(context.Background(), k); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAPIKeyPolicyAgreesAcrossAdminAndPortal(t *testing.T) {
	type row struct {
		name       string
		signingOff bool
		unverified bool
		seed       int // live keys the owner already has
		keyName    string
		scopes     []string
		lifetime   time.Duration // admin --expires
		expiresIn  any           // portal expires_in
		signed     bool
		want       string // admin and the portal's admin route (issued by another user)
		wantSelf   string // the owner's self-service route
	}
	rows := []row{
		{name: "plain key", keyName: "k", scopes: []string{"read"}, want: classOK, wantSelf: classOK},
		{name: "scope outside the allow-list", keyName: "k", scopes: []string{"delete"}, want: classScope, wantSelf: classScope},
		// The one deliberate difference: an operator command may issue a
		// scope beyond the owner's roles (the verifier narrows it).
		{name: "scope the owner does not hold", keyName: "k", scopes: []string{"admin"}, want: classScope, wantSelf: classScope},
		{name: "at the cap", seed: 3, keyName: "k", want: classLimit, wantSelf: classLimit},
		{name: "below the cap", seed: 2, keyName: "k", want: classOK, wantSelf: classOK},
		{name: "lifetime too short", keyName: "k", lifetime: 30 * time.Second, expiresIn: "30s", want: classLifetime, wantSelf: classLifetime},
		{name: "lifetime too long", keyName: "k", lifetime: 3651 * 24 * time.Hour, expiresIn: "3651d", want: classLifetime, wantSelf: classLifetime},
		{name: "lifetime at the bounds", keyName: "k", lifetime: time.Minute, expiresIn: "1m", want: classOK, wantSelf: classOK},
		{name: "signing required while signing is off", signingOff: true, keyName: "k", signed: true, want: classSigning, wantSelf: classSigning},
		{name: "signing required", keyName: "k", signed: true, want: classOK, wantSelf: classOK},
		{name: "empty name", keyName: "  ", want: className, wantSelf: className},
		{name: "unverified owner", unverified: true, keyName: "k", want: classOK, wantSelf: classUnverified},
	}
	envs := map[bool]*callerEnv{false: newCallerEnv(t, true), true: newCallerEnv(t, false)}
	n := 0
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			env := envs[tc.signingOff]
			h := env.h
			// Each caller gets its own owner in the same starting state.
			owner := func() (*keystore.User, *client) {
				n++
				u := h.addUser(fmt.Sprintf("owner%d@example.test", n), false)
				if _, err := h.store.UpdateUser(t.Context(), u.ID, func(x *keystore.User) error {
					x.Roles = []string{"read", "write"}
					x.Verified = !tc.unverified
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				seedKeys(t, h, u, tc.seed)
				c := h.client()
				c.login(u.Email, testPassword)
				return u, c
			}
			body := map[string]any{"name": tc.keyName, "scopes": tc.scopes, "signing_required": tc.signed}
			if tc.expiresIn != nil {
				body["expires_in"] = tc.expiresIn
			}

			u, _ := owner()
			_, err := env.ops.APIKeyCreate(t.Context(), admin.APIKeyCreateRequest{Email: u.Email, Name: tc.keyName,
				Scopes: tc.scopes, Expires: tc.lifetime, SigningRequired: tc.signed})
			gotAdmin := adminClass(err)

			u, _ = owner()
			gotPortalAdmin := portalKeyClass(env.admin.do("POST", "/api/users/"+u.ID+"/api-keys", body))

			_, self := owner()
			gotSelf := portalKeyClass(self.do("POST", "/api/api-keys", body))

			wantOp := tc.want
			if gotAdmin != wantOp || gotPortalAdmin != tc.want || gotSelf != tc.wantSelf {
				t.Fatalf("admin command %q (want %q), portal admin route %q (want %q); self-service %q (want %q)",
					gotAdmin, wantOp, gotPortalAdmin, tc.want, gotSelf, tc.wantSelf)
			}
		})
	}
}

func TestUserCreationAgreesAcrossAdminAndPortal(t *testing.T) {
	env := newCallerEnv(t, true)
	h := env.h
	if _, err := env.ops.UserAdd(t.Context(), admin.UserAddRequest{Email: "Taken@Example.test", Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	rows := []struct {
		name  string
		email string
		want  string
	}{
		{"fresh address", "fresh%d@example.test", classOK},
		{"taken address, other case", "taken@EXAMPLE.TEST", classTaken},
		{"taken address, padded", "  Taken@Example.test ", classTaken},
		{"invalid address", "not-an-address", classBadEmail},
		{"address with a space inside", "a b@example.test", classBadEmail},
	}
	n := 0
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			email := func() string {
				n++
				if strings.Contains(tc.email, "%d") {
					return fmt.Sprintf(tc.email, n)
				}
				return tc.email
			}
			_, err := env.ops.UserAdd(t.Context(), admin.UserAddRequest{Email: email(), Password: testPassword})
			gotAdmin := adminClass(err)

			// The portal answers a taken address like a fresh one (no
			// enumeration); the store tells what happened.
			e := email()
			before, _ := h.store.CountUsers(t.Context())
			prior, priorErr := h.store.GetUserByEmail(t.Context(), strings.TrimSpace(e))
			r := h.client().do("POST", "/api/auth/register", map[string]any{"email": e, "password": testPassword})
			after, _ := h.store.CountUsers(t.Context())
			var gotPortal string
			switch {
			case r.status == 400 && r.code() == loginui.CodeRegisterFailed:
				gotPortal = classBadEmail
			case r.status != 202:
				gotPortal = fmt.Sprintf("portal %d %s", r.status, r.body)
			case after == before+1:
				gotPortal = classOK
			case after == before && priorErr == nil:
				if now, err := h.store.GetUserByEmail(t.Context(), strings.TrimSpace(e)); err != nil || now.ID != prior.ID || now.PasswordHash != prior.PasswordHash {
					t.Fatal("a registration of a taken address changed the account")
				}
				gotPortal = classTaken
			default:
				gotPortal = fmt.Sprintf("portal: %d users, then %d", before, after)
			}
			if gotAdmin != tc.want || gotPortal != tc.want {
				t.Fatalf("admin command %q, portal register %q, want %q", gotAdmin, gotPortal, tc.want)
			}
		})
	}
}
