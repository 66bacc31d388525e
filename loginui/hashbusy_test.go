package loginui_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/loginui"
	"github.com/gatehouse/gatehouse/signing"
)

// TestBusyHasherAnswersRateLimitedEverywhere saturates the portal's
// password hasher and checks that every route that hashes (login for a
// known or an unknown account, registration, password change, reset, a
// recovery code) answers 429 RATE_LIMITED with Retry-After after the
// bounded wait, instead of running yet another hash, and that nothing was
// spent meanwhile: the failed logins locked nothing, the reset token and
// the recovery code still work once the hasher is free.
func TestBusyHasherAnswersRateLimitedEverywhere(t *testing.T) {
	hasher, err := signing.NewHasher(fastParams, signing.WithMaxConcurrentHashes(1), signing.WithHashWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, withTOTP(t, func(o *loginui.Options) {
		o.Hasher = hasher
		o.Lockout = loginui.RateLimit{Max: 1, Window: time.Hour}
	}))
	h.addUser("ann@example.test", false)
	h.addUser("bob@example.test", false)
	_, _, codes := h.totpUser("tom@example.test", false)
	ann := h.client()
	ann.login("ann@example.test", testPassword)
	reset := h.client()
	wantStatus(t, reset.do("POST", "/api/auth/forgot-password", map[string]string{"email": "bob@example.test"}), 202, "")
	resetTok := tokenOf(t, h.mail.next(t, loginui.EventReset).Link)
	tom := h.client()
	pending := tom.pending("tom@example.test")

	release, err := hasher.Reserve(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	const newPW = "a brand new password"
	cases := []struct {
		name string
		page bool
		do   func() resp
	}{
		{"login, known account, wrong password", false, func() resp {
			return h.client().do("POST", "/api/auth/login", map[string]string{"identifier": "bob@example.test", "password": "wrong password"})
		}},
		{"login, known account, right password", false, func() resp {
			return h.client().do("POST", "/api/auth/login", map[string]string{"identifier": "bob@example.test", "password": testPassword})
		}},
		{"login, unknown account (dummy hash)", false, func() resp {
			return h.client().do("POST", "/api/auth/login", map[string]string{"identifier": "nobody@example.test", "password": "wrong password"})
		}},
		{"login page, known account", true, func() resp {
			return h.client().formLogin("bob@example.test", testPassword, "")
		}},
		{"login page, unknown account", true, func() resp {
			return h.client().formLogin("nobody@example.test", "wrong password", "")
		}},
		{"register", false, func() resp {
			return h.client().do("POST", "/api/auth/register", map[string]string{"email": "new@example.test", "password": newPW, "display_name": "New"})
		}},
		{"change password", false, func() resp {
			return ann.do("POST", "/api/users/me/change-password", map[string]string{"current_password": testPassword, "new_password": newPW})
		}},
		{"reset password", false, func() resp {
			return reset.do("POST", "/api/auth/reset-password", map[string]string{"token": resetTok, "password": newPW})
		}},
		{"recovery code", false, func() resp {
			return tom.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": pending, "code": codes[0]})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.do()
			if tc.page {
				wantStatus(t, r, 429, "")
			} else {
				wantStatus(t, r, 429, loginui.CodeRateLimited)
			}
			if r.header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		})
	}
	release()

	wantStatus(t, h.client().do("POST", "/api/auth/login", map[string]string{"identifier": "bob@example.test", "password": testPassword}), 200, "")
	wantStatus(t, reset.do("POST", "/api/auth/reset-password", map[string]string{"token": resetTok, "password": newPW}), 200, "")
	wantStatus(t, tom.do("POST", "/api/auth/2fa/verify", map[string]string{"pending_token": pending, "code": codes[0]}), 200, "")
	wantStatus(t, ann.do("POST", "/api/users/me/change-password", map[string]string{"current_password": testPassword, "new_password": newPW}), 200, "")
}
