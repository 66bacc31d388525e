package login

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/internal/accounts"
	"github.com/gatehouse/gatehouse/internal/errcode"
	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
	"github.com/gatehouse/gatehouse/signing"
)

// Config is what a Checker needs.
type Config struct {
	Users    keystore.Users
	Denylist keystore.Denylist // lockout entries
	Counters keystore.Counters // failed-login counts
	Accounts *accounts.Service // stores a re-hash
	Hasher   *signing.Hasher
	// Limiter derives the lockout keys (its HMAC keeps user ids out of
	// the counter store's key names).
	Limiter *web.Limiter
	// Lockout, when Max > 0, refuses an account's logins for Window after
	// Max failed attempts; the answer is that of a bad password.
	Lockout     web.RateLimit
	MaxPassword int            // passwords longer than 4× this are not hashed
	Telemetry   signing.Secret // optional: keys the failed-login identifier digests
	Now         func() time.Time
	Log         zerolog.Logger
}

// Checker checks first factors. It is safe for concurrent use.
type Checker struct{ c Config }

// New returns a Checker for c.
func New(c Config) *Checker { return &Checker{c: c} }

// Outcomes of Check besides success.
var (
	// ErrBadCredentials: unknown identifier, wrong password, no password,
	// or a locked account.
	ErrBadCredentials = errors.New("loginui: bad credentials")
	// ErrUnavailable: the password is right but the account is inactive.
	ErrUnavailable = errors.New("loginui: account cannot log in")
	// ErrBusy: no password-hash slot in time; the credentials were not
	// checked and no failure was counted.
	ErrBusy = signing.ErrHashBusy
	// ErrStore: a store failed (fail closed).
	ErrStore = errors.New("loginui: login: store unavailable")
)

// JSON answers to a failed Check (Answer).
var (
	Unavailable    = web.New(http.StatusBadRequest, errcode.LoginAccountUnavailable, "this account cannot log in")
	BadCredentials = web.New(http.StatusBadRequest, errcode.LoginBadCredentials, "bad credentials")
)

// Answer is the JSON answer to an error of Check.
func Answer(err error) *web.Error {
	switch {
	case errors.Is(err, ErrUnavailable):
		return Unavailable
	case errors.Is(err, ErrBusy):
		return web.Busy
	case errors.Is(err, ErrBadCredentials):
		return BadCredentials
	default:
		return web.Unavailable
	}
}

// Check verifies identifier and password. Unknown identifiers spend a
// dummy hash; a locked account spends the real one and answers
// ErrBadCredentials; a failed login never writes the user record. When
// the hasher has no free slot in time (real or dummy hash alike, so the
// answer does not tell whether the account exists) it answers ErrBusy and
// counts no failure.
func (k *Checker) Check(ctx context.Context, identifier, password string) (*keystore.User, error) {
	if len(identifier) > keystore.MaxEmailLen || len(password) > 4*k.c.MaxPassword || identifier == "" || password == "" {
		return nil, k.dummy(ctx, "", identifier, password)
	}
	u, err := k.c.Users.GetUserByEmail(ctx, identifier)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, k.dummy(ctx, "", identifier, password)
	}
	if err != nil {
		return nil, ErrStore
	}
	locked := false
	if k.c.Lockout.Max > 0 {
		if locked, err = k.c.Denylist.IsDenied(ctx, []byte(k.lockKey(u.ID))); err != nil {
			return nil, ErrStore
		}
	}
	if u.PasswordHash == "" {
		return nil, k.dummy(ctx, u.ID, identifier, password)
	}
	ok, rehash, err := k.c.Hasher.VerifyContext(ctx, u.PasswordHash, password)
	if errors.Is(err, signing.ErrHashBusy) {
		return nil, ErrBusy
	}
	if err != nil {
		k.c.Log.Warn().Str("component", "loginui").Str("user_id", u.ID).Msg("stored password hash is unusable")
		ok = false
	}
	if !ok || locked {
		if !ok && k.c.Lockout.Max > 0 {
			if err := k.countFailure(ctx, u.ID); err != nil {
				return nil, ErrStore
			}
		}
		k.auditFailed(u.ID, identifier)
		return nil, ErrBadCredentials
	}
	if !u.Active {
		k.c.Log.Info().Str("audit", "login_failed").Str("user_id", u.ID).Str("reason", "inactive").Msg("audit")
		return nil, ErrUnavailable
	}
	if rehash {
		u = k.rehash(ctx, u, password)
	}
	return u, nil
}

// rehash stores password under the current parameters, only if the
// stored hash is still the one just verified: a password change in
// between must not be reverted. It returns the record as stored (u when
// nothing was written).
func (k *Checker) rehash(ctx context.Context, u *keystore.User, password string) *keystore.User {
	h, err := k.c.Hasher.Hash(password)
	if err != nil {
		return u
	}
	verified := u.PasswordHash
	nu, err := k.c.Accounts.UpdateUser(ctx, u.ID, func(x *keystore.User) error {
		if err := feature.PasswordStill(x, verified); err != nil {
			return err
		}
		x.PasswordHash = h
		return nil
	})
	if err == nil {
		return nu
	}
	if _, ok := feature.Refused(err); !ok {
		k.c.Log.Warn().Str("component", "loginui").Str("user_id", u.ID).Msg("password re-hash not stored")
	}
	return u
}

// dummy spends the dummy hash of a login that cannot succeed and answers
// ErrBadCredentials, or ErrBusy when no hashing slot was free in time.
func (k *Checker) dummy(ctx context.Context, userID, identifier, password string) error {
	if err := k.c.Hasher.VerifyDummyContext(ctx, password); err != nil {
		return ErrBusy
	}
	k.auditFailed(userID, identifier)
	return ErrBadCredentials
}

// lockKey is the denylist entry that marks a locked account.
func (k *Checker) lockKey(userID string) string {
	return k.c.Limiter.Key("lockout", userID)
}

// countFailure counts a failed login and locks the account at the limit.
// A full in-process counter table (keystore.ErrFull) never locks: the
// failure goes uncounted, because a table that others can fill must not
// become a way to lock someone else's account. Guessing stays bounded by
// the login rate limit, whose per-identifier key this request already
// holds (the limiter refuses the request when it cannot create that key).
func (k *Checker) countFailure(ctx context.Context, userID string) error {
	n, _, err := k.c.Counters.Incr(ctx, k.c.Limiter.Key("lockout-count", userID), k.c.Lockout.Window)
	if errors.Is(err, keystore.ErrFull) {
		k.c.Log.Warn().Str("component", "loginui").Str("user_id", userID).Msg("lockout counter table full; failure not counted")
		return nil
	}
	if err != nil {
		return err
	}
	if n >= int64(k.c.Lockout.Max) {
		if err := k.c.Denylist.Deny(ctx, k.lockKey(userID), k.c.Now().Add(k.c.Lockout.Window)); err != nil {
			return err
		}
		k.c.Log.Info().Str("audit", "lockout").Str("user_id", userID).Msg("audit")
	}
	return nil
}

// auditFailed logs a failed login. The identifier appears only as an
// HMAC digest, and only when a telemetry secret is set.
func (k *Checker) auditFailed(userID, identifier string) {
	ev := k.c.Log.Info().Str("audit", "login_failed")
	if userID != "" {
		ev = ev.Str("user_id", userID)
	}
	if !k.c.Telemetry.IsZero() {
		m := hmac.New(sha256.New, k.c.Telemetry.Bytes())
		m.Write([]byte(keystore.FoldEmail(identifier)))
		ev = ev.Str("identifier_digest", hex.EncodeToString(m.Sum(nil)[:16]))
	}
	ev.Msg("audit")
}

// CheckCurrent verifies a signed-in user's password, spending a dummy
// hash when there is none. It returns nil on a match, web.Busy when the
// hasher had no free slot in time, and wrong otherwise. A malformed
// stored hash fails closed.
func (k *Checker) CheckCurrent(ctx context.Context, u *keystore.User, pw string, wrong *web.Error) error {
	var err error
	ok := false
	if u.PasswordHash == "" || pw == "" || len(pw) > 4*k.c.MaxPassword {
		err = k.c.Hasher.VerifyDummyContext(ctx, pw)
	} else {
		ok, _, err = k.c.Hasher.VerifyContext(ctx, u.PasswordHash, pw)
	}
	switch {
	case errors.Is(err, signing.ErrHashBusy):
		return web.Busy
	case err != nil || !ok:
		return wrong
	}
	return nil
}
