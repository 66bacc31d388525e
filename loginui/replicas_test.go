package loginui_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/redistest"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/keystore/redis"
	"github.com/gatehouse/gatehouse/loginui"
	"github.com/gatehouse/gatehouse/signing"
)

// TestUnreplicatedWriteAnswers503NeverSuccess: on a Redis store with
// min_replicas_ack 1, a login, an API key creation and a logout whose
// writes the (hung) replica does not confirm answer 503, never a
// success and never a session cookie; with the replica back the same
// requests succeed.
func TestUnreplicatedWriteAnswers503NeverSuccess(t *testing.T) {
	redistest.Need(t)
	primary, replica := redistest.StartReplicated(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := redis.Open(ctx, redis.Options{URL: primary.URL, MinReplicasAck: 1, ReplicaAckTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	h := newHarness(t, withAPIKeys(t, func(o *loginui.Options) {
		o.Users, o.Sessions, o.APIKeys, o.Denylist, o.Markers = st, st, st, st, st
		o.Links = nil
		// Redis expires sessions by its own clock.
		o.Now = time.Now
	}))
	hash, err := h.hasher.Hash(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := signing.RandomHex(16)
	now := time.Now().UTC()
	const email = "rep@example.test"
	if err := st.CreateUser(ctx, &keystore.User{ID: id, Email: email, PasswordHash: hash, Active: true, Verified: true, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	key := map[string]any{"name": "k", "scopes": []string{"read"}}

	up := h.client()
	up.login(email, testPassword)
	up.createKey(key)

	if err := replica.Pause(); err != nil {
		t.Fatal(err)
	}
	resumed := false
	t.Cleanup(func() {
		if !resumed {
			_ = replica.Resume()
		}
	})
	c := h.client()
	r := c.do("POST", "/api/auth/login", map[string]string{"identifier": email, "password": testPassword})
	wantStatus(t, r, 503, loginui.CodeTokenProcessingFailed)
	if c.cookie("gatehouse_session") != "" {
		t.Fatal("an unreplicated login set a session cookie")
	}
	wantStatus(t, up.do("POST", "/api/api-keys", key), 503, loginui.CodeTokenProcessingFailed)
	wantStatus(t, up.do("POST", "/api/auth/logout", nil), 503, loginui.CodeTokenProcessingFailed)

	if err := replica.Resume(); err != nil {
		t.Fatal(err)
	}
	resumed = true
	again := h.client()
	again.login(email, testPassword)
	again.createKey(key)
}
