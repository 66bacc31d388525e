package redis_test

import "testing"

// TestLegacyUserRecordsReadThroughTheStore: a user stored by a build
// before EmailVerifiedAt ('U', no trailing time) is still served by
// GetUser and GetUserByEmail, with a zero EmailVerifiedAt.
func TestLegacyUserRecordsReadThroughTheStore(t *testing.T) {
	s := newStore(t)
	raw := rawClient(t)
	u := testUser(t, "legacy@example.test")
	u.Verified = true
	if err := s.CreateUser(bg(), u); err != nil {
		t.Fatal(err)
	}
	key := s.Prefix() + "{state}:user:" + u.ID
	rec, err := raw.Get(bg(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if rec[0] != 'V' || rec[len(rec)-1] != 0 {
		t.Fatal("unexpected layout of the current user record")
	}
	if err := raw.Set(bg(), key, "U"+rec[1:len(rec)-1], 0).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetUser(bg(), u.ID)
	if err != nil || got.Email != u.Email || !got.Verified || !got.EmailVerifiedAt.IsZero() || !got.CreatedAt.Equal(u.CreatedAt) {
		t.Fatalf("GetUser of a legacy record: %+v, %v", got, err)
	}
	if got, err := s.GetUserByEmail(bg(), u.Email); err != nil || got.ID != u.ID {
		t.Fatalf("GetUserByEmail of a legacy record: %+v, %v", got, err)
	}
}
