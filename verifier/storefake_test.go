package verifier_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
)

// fakeStore is an in-test store for users, sessions, API keys, the
// denylist and nonce markers. mode switches it into an outage: "error"
// fails every call, "hang" blocks until the caller's context ends.
type fakeStore struct {
	mu       sync.Mutex
	users    map[string]*keystore.User
	sessions map[string]*keystore.Session
	keys     map[string]*keystore.APIKey
	denied   map[string]time.Time
	markers  map[string]time.Time
	passkeys map[string][]*keystore.Passkey // by user id
	mode     atomic.Value                   // "", "error", "hang"
	calls    atomic.Int64
	touches  atomic.Int64
	touched  map[string]int
	now      func() time.Time
}

var (
	_ keystore.Users    = (*fakeStore)(nil)
	_ keystore.Sessions = (*fakeStore)(nil)
	_ keystore.APIKeys  = (*fakeStore)(nil)
	_ keystore.Denylist = (*fakeStore)(nil)
	_ keystore.Markers  = (*fakeStore)(nil)
	_ keystore.Passkeys = (*fakeStore)(nil)
)

var errFakeOutage = errors.New("fake: store unavailable")

func newFakeStore(now func() time.Time) *fakeStore {
	f := &fakeStore{
		users:    map[string]*keystore.User{},
		sessions: map[string]*keystore.Session{},
		keys:     map[string]*keystore.APIKey{},
		denied:   map[string]time.Time{},
		markers:  map[string]time.Time{},
		passkeys: map[string][]*keystore.Passkey{},
		touched:  map[string]int{},
		now:      now,
	}
	f.mode.Store("")
	return f
}

func (f *fakeStore) setMode(m string) { f.mode.Store(m) }

// enter accounts for one call and applies the outage mode.
func (f *fakeStore) enter(ctx context.Context) error {
	f.calls.Add(1)
	switch f.mode.Load().(string) {
	case "error":
		return errFakeOutage
	case "hang":
		<-ctx.Done()
		return ctx.Err()
	}
	return ctx.Err()
}

func (f *fakeStore) CreateUser(ctx context.Context, u *keystore.User) error {
	if err := f.enter(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.users[u.ID]; ok {
		return keystore.ErrDuplicate
	}
	c := *u
	f.users[u.ID] = &c
	return nil
}

func (f *fakeStore) GetUser(ctx context.Context, id string) (*keystore.User, error) {
	if err := f.enter(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[id]
	if !ok {
		return nil, keystore.ErrNotFound
	}
	c := *u
	return &c, nil
}

func (f *fakeStore) GetUserByEmail(ctx context.Context, email string) (*keystore.User, error) {
	if err := f.enter(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range f.users {
		if keystore.FoldEmail(u.Email) == keystore.FoldEmail(email) {
			c := *u
			return &c, nil
		}
	}
	return nil, keystore.ErrNotFound
}

func (f *fakeStore) UpdateUser(ctx context.Context, id string, fn func(*keystore.User) error) (*keystore.User, error) {
	if err := f.enter(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	cur, ok := f.users[id]
	if !ok {
		return nil, keystore.ErrNotFound
	}
	c := *cur
	c.Roles = append([]string(nil), cur.Roles...)
	if err := fn(&c); err != nil {
		return nil, err
	}
	if c.ID != id {
		return nil, keystore.ErrConflict
	}
	f.users[id] = &c
	out := c
	return &out, nil
}

func (f *fakeStore) DeleteUser(ctx context.Context, id string) error {
	if err := f.enter(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.users, id)
	return nil
}

func (f *fakeStore) ListUsers(ctx context.Context, offset, limit int) ([]*keystore.User, error) {
	if err := f.enter(ctx); err != nil {
		return nil, err
	}
	return nil, nil
}

func (f *fakeStore) CountUsers(ctx context.Context) (int, error) {
	if err := f.enter(ctx); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.users), nil
}

func (f *fakeStore) CreateSession(ctx context.Context, s *keystore.Session) error {
	if err := f.enter(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := *s
	f.sessions[string(s.Digest)] = &c
	return nil
}

func (f *fakeStore) GetSession(ctx context.Context, digest []byte) (*keystore.Session, error) {
	if err := f.enter(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sessions[string(digest)]
	if !ok {
		return nil, keystore.ErrNotFound
	}
	c := *s
	return &c, nil
}

func (f *fakeStore) TouchSession(ctx context.Context, digest []byte, at time.Time) error {
	return f.enter(ctx)
}

func (f *fakeStore) SetSessionStepUp(ctx context.Context, digest []byte, until time.Time) error {
	if err := f.enter(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sessions[string(digest)]
	if !ok {
		return keystore.ErrNotFound
	}
	s.StepUpUntil = until
	return nil
}

func (f *fakeStore) DeleteSession(ctx context.Context, digest []byte) error {
	if err := f.enter(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.sessions, string(digest))
	return nil
}

func (f *fakeStore) DeleteUserSessions(ctx context.Context, userID string, keep []byte) (int, error) {
	return 0, f.enter(ctx)
}

func (f *fakeStore) ListUserSessions(ctx context.Context, userID string) ([]*keystore.Session, error) {
	return nil, f.enter(ctx)
}

func (f *fakeStore) PurgeExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	return 0, f.enter(ctx)
}

func (f *fakeStore) CreateAPIKey(ctx context.Context, k *keystore.APIKey) error {
	if err := f.enter(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := *k
	f.keys[k.KeyID] = &c
	return nil
}

func (f *fakeStore) GetAPIKey(ctx context.Context, keyID string) (*keystore.APIKey, error) {
	if err := f.enter(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	k, ok := f.keys[keyID]
	if !ok {
		return nil, keystore.ErrNotFound
	}
	c := *k
	return &c, nil
}

func (f *fakeStore) UpdateAPIKey(ctx context.Context, keyID string, fn func(*keystore.APIKey) error) (*keystore.APIKey, error) {
	if err := f.enter(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	cur, ok := f.keys[keyID]
	if !ok {
		return nil, keystore.ErrNotFound
	}
	c := *cur
	c.Scopes = append([]string(nil), cur.Scopes...)
	if err := fn(&c); err != nil {
		return nil, err
	}
	if c.KeyID != keyID || c.UserID != cur.UserID {
		return nil, keystore.ErrConflict
	}
	f.keys[keyID] = &c
	out := c
	return &out, nil
}

func (f *fakeStore) RevokeAPIKey(ctx context.Context, keyID string, at time.Time) error {
	if err := f.enter(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	k, ok := f.keys[keyID]
	if !ok {
		return keystore.ErrNotFound
	}
	k.RevokedAt = at
	return nil
}

func (f *fakeStore) TouchAPIKey(ctx context.Context, keyID string, at time.Time) error {
	if err := f.enter(ctx); err != nil {
		return err
	}
	f.touches.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.touched[keyID]++
	if k, ok := f.keys[keyID]; ok {
		k.LastUsedAt = at
	}
	return nil
}

func (f *fakeStore) DeleteAPIKey(ctx context.Context, keyID string) error {
	if err := f.enter(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.keys, keyID)
	return nil
}

func (f *fakeStore) ListUserAPIKeys(ctx context.Context, userID string) ([]*keystore.APIKey, error) {
	return nil, f.enter(ctx)
}

func (f *fakeStore) Deny(ctx context.Context, id string, until time.Time) error {
	if err := f.enter(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.denied[id] = until
	return nil
}

func (f *fakeStore) IsDenied(ctx context.Context, id []byte) (bool, error) {
	if err := f.enter(ctx); err != nil {
		return false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	until, ok := f.denied[string(id)]
	return ok && f.now().Before(until), nil
}

func (f *fakeStore) SetIfAbsent(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := f.enter(ctx); err != nil {
		return false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if exp, ok := f.markers[key]; ok && f.now().Before(exp) {
		return false, nil
	}
	f.markers[key] = f.now().Add(ttl)
	return true, nil
}

func (f *fakeStore) touchCount(keyID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.touched[keyID]
}

func (f *fakeStore) CreatePasskey(ctx context.Context, p *keystore.Passkey) error {
	if err := f.enter(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	cp := *p
	f.passkeys[p.UserID] = append(f.passkeys[p.UserID], &cp)
	return nil
}

func (f *fakeStore) GetPasskey(ctx context.Context, credentialID []byte) (*keystore.Passkey, error) {
	return nil, errors.New("fake: GetPasskey is not used by the verifier")
}

func (f *fakeStore) ListUserPasskeys(ctx context.Context, userID string) ([]*keystore.Passkey, error) {
	if err := f.enter(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*keystore.Passkey(nil), f.passkeys[userID]...), nil
}

func (f *fakeStore) UsePasskey(ctx context.Context, credentialID []byte, use keystore.PasskeyUse) (*keystore.Passkey, error) {
	return nil, errors.New("fake: UsePasskey is not used by the verifier")
}

func (f *fakeStore) DeletePasskey(ctx context.Context, credentialID []byte) error {
	return errors.New("fake: DeletePasskey is not used by the verifier")
}
