package loginui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui"
	"github.com/gatehouse/gatehouse/signing"
)

// Lost-update regressions through the real handlers: one client keeps
// sending a change while another makes a decision about the same record.
// The decision must stand afterwards.

// send is client.do for goroutines: no t.Fatal, just the status.
func (c *client) send(method, path string, body any) (int, error) {
	var rd io.Reader
	if body != nil {
		bs, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(bs)
	}
	req, err := http.NewRequest(method, c.h.srv.URL+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	res, err := c.c.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

// loop keeps sending requests built by body from workers goroutines until
// the returned stop is called (or the test ends); stop reports how many
// answered 200. It
// returns once the first request answered, so the decision that follows
// races requests already in flight.
func loop(t *testing.T, c *client, workers int, method, path string, body func(i int) any) (stop func() int) {
	t.Helper()
	done := make(chan struct{})
	first := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	var ok atomic.Int64
	var seq atomic.Int64
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				st, err := c.send(method, path, body(int(seq.Add(1))))
				once.Do(func() { close(first) })
				if err != nil {
					t.Errorf("%s %s: %v", method, path, err)
					return
				}
				if st == http.StatusOK {
					ok.Add(1)
				}
			}
		}()
	}
	select {
	case <-first:
	case <-time.After(10 * time.Second):
		t.Fatal("looping client never got an answer")
	}
	var stopOnce sync.Once
	stop = func() int {
		stopOnce.Do(func() {
			close(done)
			wg.Wait()
		})
		return int(ok.Load())
	}
	// A failing test stops the loop before the server goes away.
	t.Cleanup(func() { stop() })
	return stop
}

// settle lets requests that read the record before the decision finish.
const settle = 60 * time.Millisecond

func TestDeactivationSurvivesConcurrentProfileUpdate(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("root@example.test", true)
	a := h.client()
	a.login("root@example.test", testPassword)
	for trial := 0; trial < 5; trial++ {
		u := h.addUser(fmt.Sprintf("busy%d@example.test", trial), false)
		c := h.client()
		c.login(u.Email, testPassword)
		stop := loop(t, c, 2, "PATCH", "/api/users/me", func(i int) any {
			return map[string]string{"display_name": fmt.Sprint("me ", i)}
		})
		time.Sleep(10 * time.Millisecond)
		st, err := a.send("PATCH", "/api/users/"+u.ID, map[string]any{"is_active": false, "current_password": testPassword})
		time.Sleep(settle)
		stop()
		if err != nil || st != http.StatusOK {
			t.Fatalf("trial %d: deactivate: %d %v", trial, st, err)
		}
		if h.user(u.ID).Active {
			t.Fatalf("trial %d: the admin got 200 but the account is active again: a profile update read before the deactivation wrote it back", trial)
		}
		if st, _ := c.send("GET", "/api/users/me", nil); st == http.StatusOK {
			t.Fatalf("trial %d: the deactivated user's session still works", trial)
		}
	}
}

func TestKeyDeleteSurvivesConcurrentKeyRename(t *testing.T) {
	h := newHarness(t, withAPIKeys(t, nil))
	h.addUser("root@example.test", true)
	a := h.client()
	a.login("root@example.test", testPassword)
	u := h.addUser("keys@example.test", false)
	c := h.client()
	c.login(u.Email, testPassword)
	for trial := 0; trial < 5; trial++ {
		k := c.createKey(map[string]any{"name": "ci"})
		id := k.Key.KeyID
		stop := loop(t, c, 2, "PATCH", "/api/api-keys/"+id, func(i int) any {
			return map[string]string{"name": fmt.Sprint("ci-", i)}
		})
		time.Sleep(10 * time.Millisecond)
		st, err := a.send("DELETE", "/api/users/"+u.ID+"/api-keys/"+id, nil)
		time.Sleep(settle)
		stop()
		if err != nil || st != http.StatusNoContent {
			t.Fatalf("trial %d: admin delete: %d %v", trial, st, err)
		}
		stored, err := h.store.GetAPIKey(t.Context(), id)
		if err != nil {
			t.Fatalf("trial %d: key record gone: %v", trial, err)
		}
		if stored.RevokedAt.IsZero() {
			t.Fatalf("trial %d: the admin got 204 but the key is live again: a rename read before the revocation wrote it back", trial)
		}
		// Make room under the per-user key cap for the next trial.
		if err := h.store.DeleteAPIKey(t.Context(), id); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAdminWriteDoesNotRevertConcurrentPasswordChange(t *testing.T) {
	h := newHarness(t, nil)
	h.addUser("root@example.test", true)
	a := h.client()
	a.login("root@example.test", testPassword)
	for trial := 0; trial < 5; trial++ {
		u := h.addUser(fmt.Sprintf("pw%d@example.test", trial), false)
		c := h.client()
		c.login(u.Email, testPassword)
		// The admin keeps editing the user's display name; each request
		// reads the user, then checks the admin's password (argon2), then
		// writes.
		stop := loop(t, a, 2, "PATCH", "/api/users/"+u.ID, func(i int) any {
			return map[string]string{"display_name": fmt.Sprint("edited ", i), "current_password": testPassword}
		})
		newPW := fmt.Sprintf("a brand new password %d", trial)
		st, err := c.send("POST", "/api/users/me/change-password", map[string]string{"current_password": testPassword, "new_password": newPW})
		time.Sleep(settle)
		edits := stop()
		if err != nil || st != http.StatusOK {
			t.Fatalf("trial %d: change password: %d %v", trial, st, err)
		}
		if edits == 0 {
			t.Fatalf("trial %d: no admin edit succeeded; the race was not run", trial)
		}
		stored := h.user(u.ID)
		if ok, _, _ := h.hasher.Verify(stored.PasswordHash, newPW); !ok {
			t.Fatalf("trial %d: the user's password change was reverted by an admin edit of the display name", trial)
		}
		if ok, _, _ := h.hasher.Verify(stored.PasswordHash, testPassword); ok {
			t.Fatalf("trial %d: the old password works again", trial)
		}
	}
}

func TestAdminWriteDoesNotRevertConcurrentTOTPEnable(t *testing.T) {
	h := newHarness(t, withTOTP(t, nil))
	h.addUser("root@example.test", true)
	a := h.client()
	a.login("root@example.test", testPassword)
	for trial := 0; trial < 3; trial++ {
		u := h.addUser(fmt.Sprintf("totp%d@example.test", trial), false)
		c := h.client()
		c.login(u.Email, testPassword)
		stop := loop(t, a, 2, "PATCH", "/api/users/"+u.ID, func(i int) any {
			return map[string]string{"display_name": fmt.Sprint("edited ", i), "current_password": testPassword}
		})
		// Start and confirm an enrollment while the admin edits; on the
		// old code an edit read before the start wipes the pending secret
		// (the confirm fails) or one read before the confirm turns TOTP
		// off again.
		c.enrol()
		time.Sleep(settle)
		if stop() == 0 {
			t.Fatalf("trial %d: no admin edit succeeded; the race was not run", trial)
		}
		stored := h.user(u.ID)
		if !stored.TOTPEnabled || stored.TOTPSecret == "" || stored.TOTPPending != "" {
			t.Fatalf("trial %d: TOTP enable reverted by an admin edit of the display name (enabled=%v)", trial, stored.TOTPEnabled)
		}
	}
}

// hookCounters runs hook once, at the first rate-limit count after it is
// armed: a point between a request's authentication read and its write.
type hookCounters struct {
	keystore.Counters
	mu   sync.Mutex
	hook func()
}

func (h *hookCounters) arm(fn func()) { h.mu.Lock(); h.hook = fn; h.mu.Unlock() }

func (h *hookCounters) Incr(ctx context.Context, key string, window time.Duration) (int64, time.Duration, error) {
	h.mu.Lock()
	fn := h.hook
	h.hook = nil
	h.mu.Unlock()
	if fn != nil {
		fn()
	}
	return h.Counters.Incr(ctx, key, window)
}

// TestEmailChangeDoesNotRevertPasswordChangedMeanwhile: an email change
// verifies the current password on the record read at authentication; a
// password change by another session before the write must not be undone,
// and the email change, whose proof no longer holds, is refused.
func TestEmailChangeDoesNotRevertPasswordChangedMeanwhile(t *testing.T) {
	hc := &hookCounters{}
	h := newHarness(t, func(o *loginui.Options) { hc.Counters = o.Counters; o.Counters = hc })
	u := h.addUser("moving@example.test", false)
	a, b := h.client(), h.client()
	a.login(u.Email, testPassword)
	b.login(u.Email, testPassword)
	const newPW = "changed from the other tab"
	hc.arm(func() {
		st, err := b.send("POST", "/api/users/me/change-password", map[string]string{"current_password": testPassword, "new_password": newPW})
		if err != nil || st != http.StatusOK {
			t.Errorf("password change from the other session: %d %v", st, err)
		}
	})
	st, err := a.send("PATCH", "/api/users/me", map[string]string{"email": "moved@example.test", "current_password": testPassword})
	if err != nil {
		t.Fatal(err)
	}
	stored := h.user(u.ID)
	if ok, _, _ := h.hasher.Verify(stored.PasswordHash, newPW); !ok {
		t.Fatal("the email change wrote back the password hash it had read: the password change was reverted")
	}
	if st == http.StatusOK || stored.Email != u.Email {
		t.Fatalf("email change answered %d and stored %q after the password it was proven with changed", st, stored.Email)
	}
}

// hookUsers runs hook once, right after the first GetUser after it is
// armed has read the record, or as the first UpdateUser after it is armed
// begins (for a request that reads nothing before its write): the change
// it makes lands between that request's read (or start) and its write.
type hookUsers struct {
	keystore.Users
	mu   sync.Mutex
	hook func()
}

func (h *hookUsers) arm(fn func()) { h.mu.Lock(); h.hook = fn; h.mu.Unlock() }

func (h *hookUsers) fire() {
	h.mu.Lock()
	fn := h.hook
	h.hook = nil
	h.mu.Unlock()
	if fn != nil {
		fn()
	}
}

func (h *hookUsers) GetUser(ctx context.Context, id string) (*keystore.User, error) {
	u, err := h.Users.GetUser(ctx, id)
	h.fire()
	return u, err
}

func (h *hookUsers) UpdateUser(ctx context.Context, id string, fn func(*keystore.User) error) (*keystore.User, error) {
	h.fire()
	return h.Users.UpdateUser(ctx, id, fn)
}

// TestEmailVerificationDoesNotRevertConcurrentEmailChange: a verify token
// for the old address, spent while the user changes their address, must
// neither verify the new address nor write the old one back.
func TestEmailVerificationDoesNotRevertConcurrentEmailChange(t *testing.T) {
	hu := &hookUsers{}
	h := newHarness(t, func(o *loginui.Options) { hu.Users = o.Users; o.Users = hu })
	c := h.client()
	wantStatus(t, c.do("POST", "/api/auth/register", map[string]string{"email": "first@example.test", "password": testPassword}), 202, "")
	msg := h.mail.next(t, loginui.EventVerify)
	tok := tokenOf(t, msg.Link)
	b := h.client()
	b.login("first@example.test", testPassword)
	hu.arm(func() {
		st, err := b.send("PATCH", "/api/users/me", map[string]string{"email": "second@example.test", "current_password": testPassword})
		if err != nil || st != http.StatusOK {
			t.Errorf("email change: %d %v", st, err)
		}
	})
	r := c.do("POST", "/api/auth/verify", map[string]string{"token": tok})
	stored := h.user(msg.UserID)
	if stored.Email != "second@example.test" {
		t.Fatalf("the verification wrote back the address it had read: email is %q", stored.Email)
	}
	if stored.Verified {
		t.Fatalf("a token sent to the old address verified the new one (answer %d)", r.status)
	}
	if _, err := h.store.GetUserByEmail(t.Context(), "first@example.test"); err == nil {
		t.Fatal("the old address still leads to the account")
	}
}

// TestPasswordResetLosesToConcurrentPasswordChange: a reset token dies
// with the password it was issued for; a change by a signed-in session
// between the reset's check and its write wins, and the reset is refused.
func TestPasswordResetLosesToConcurrentPasswordChange(t *testing.T) {
	hu := &hookUsers{}
	h := newHarness(t, func(o *loginui.Options) { hu.Users = o.Users; o.Users = hu })
	u := h.addUser("forgetful@example.test", false)
	c := h.client()
	wantStatus(t, c.do("POST", "/api/auth/forgot-password", map[string]string{"email": u.Email}), 202, "")
	tok := tokenOf(t, h.mail.next(t, loginui.EventReset).Link)
	b := h.client()
	b.login(u.Email, testPassword)
	const changed, reset = "changed while signed in", "chosen on the reset page"
	hu.arm(func() {
		st, err := b.send("POST", "/api/users/me/change-password", map[string]string{"current_password": testPassword, "new_password": changed})
		if err != nil || st != http.StatusOK {
			t.Errorf("password change: %d %v", st, err)
		}
	})
	r := c.do("POST", "/api/auth/reset-password", map[string]string{"token": tok, "password": reset})
	stored := h.user(u.ID)
	if ok, _, _ := h.hasher.Verify(stored.PasswordHash, changed); !ok {
		t.Fatalf("a reset token issued for the old password overwrote the newer password (answer %d)", r.status)
	}
	wantStatus(t, r, 400, loginui.CodeResetBadToken)
}

// TestTOTPConfirmLosesToNewerEnrollment: confirming an enrollment checks
// its pending secret on the record read at authentication; a newer start
// (another tab) before the write supersedes it, and the stale confirm
// must not turn TOTP on with the superseded secret.
func TestTOTPConfirmLosesToNewerEnrollment(t *testing.T) {
	hc := &hookCounters{}
	h := newHarness(t, withTOTP(t, func(o *loginui.Options) { hc.Counters = o.Counters; o.Counters = hc }))
	u := h.addUser("tabs@example.test", false)
	a, b := h.client(), h.client()
	a.login(u.Email, testPassword)
	b.login(u.Email, testPassword)
	var en enrollAnswer
	a.do("POST", "/api/auth/2fa/enable", nil).json(t, &en)
	sec, err := signing.DecodeTOTPSecret(en.Secret)
	if err != nil {
		t.Fatal(err)
	}
	code := h.code(sec)
	hc.arm(func() {
		st, err := b.send("POST", "/api/auth/2fa/enable", nil)
		if err != nil || st != http.StatusOK {
			t.Errorf("second start: %d %v", st, err)
		}
	})
	r := a.do("POST", "/api/auth/2fa/enable/confirm", map[string]string{"enrollment_token": en.Token, "code": code})
	stored := h.user(u.ID)
	if stored.TOTPEnabled {
		t.Fatalf("a superseded enrollment turned TOTP on (answer %d)", r.status)
	}
	if stored.TOTPPending == "" {
		t.Fatal("the newer enrollment's pending secret was wiped")
	}
	wantStatus(t, r, 400, loginui.CodeTOTPEnrollBadToken)
}
