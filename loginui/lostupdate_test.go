package loginui_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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
