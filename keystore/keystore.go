package keystore

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Back-ends wrap them with %w; callers test with errors.Is.
var (
	// ErrNotFound: no record under that key.
	ErrNotFound = errors.New("keystore: not found")
	// ErrDuplicate: a unique key (user id, case-folded email, key id,
	// provider+subject, session digest) is taken.
	ErrDuplicate = errors.New("keystore: already exists")
	// ErrConflict: a compare-and-swap lost (the stored value changed).
	ErrConflict = errors.New("keystore: conflict")
	// ErrFull: a bounded in-process store reached its capacity; callers
	// must fail closed.
	ErrFull = errors.New("keystore: capacity reached")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("keystore: closed")
)

// User is an account. Email uniqueness is on FoldEmail(Email).
type User struct {
	ID           string // 32 lower-case hex characters (128 random bits)
	Email        string // as the person typed it; unique case-insensitively
	DisplayName  string
	PasswordHash string // PHC string (argon2id) or imported bcrypt; empty: no password login
	Roles        []string
	Superuser    bool
	Active       bool
	Verified     bool
	// EmailVerifiedAt is when the current Email was verified; zero while
	// it is not. A record with Verified set and a zero EmailVerifiedAt was
	// verified before the field existed and is treated as verified since
	// before any of its credentials. An email change clears both.
	EmailVerifiedAt time.Time
	TOTPEnabled     bool
	TOTPSecret      string // Fernet envelope (signing.Keyring), empty when none
	TOTPPending     string // Fernet envelope of an unconfirmed enrollment secret
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Users stores accounts. DeleteUser cascades to the user's sessions,
// API keys, OAuth links and passkeys.
type Users interface {
	CreateUser(ctx context.Context, u *User) error // ErrDuplicate on id or folded email
	GetUser(ctx context.Context, id string) (*User, error)
	GetUserByEmail(ctx context.Context, email string) (*User, error) // case-insensitive
	// UpdateUser applies fn to the user as stored, inside the back-end's
	// transaction, and returns the record written. See UpdateUser's rules
	// on Store.
	UpdateUser(ctx context.Context, id string, fn func(u *User) error) (*User, error)
	DeleteUser(ctx context.Context, id string) error
	// ListUsers returns users ordered by folded email, starting after
	// offset, at most limit (limit <= 0: all).
	ListUsers(ctx context.Context, offset, limit int) ([]*User, error)
	CountUsers(ctx context.Context) (int, error)
}

// Session is a browser session or a refresh token, keyed by the
// HMAC-SHA256 digest of its opaque token (the token itself is never stored).
type Session struct {
	Digest      []byte // 32 bytes
	UserID      string
	Kind        string // KindSession or KindRefresh
	AuthMethod  string // first factor, "+totp" or "+passkey" after a second step: "password", "password+totp", "password+passkey", "oauth:<provider>", "oauth:<provider>+totp"; "passkey", "passkey+uv" or "passkey+totp" for a passwordless login (docs/design.md "Passkeys")
	ChainID     string // refresh-token rotation chain; empty for sessions
	CreatedAt   time.Time
	ExpiresAt   time.Time
	LastSeenAt  time.Time
	UserAgent   string
	StepUpUntil time.Time // zero: no step-up proof
}

// Session kinds.
const (
	KindSession = "session" // a browser session (the cookie)
	KindRefresh = "refresh" // a refresh token of a rotation chain
)

// Sessions stores sessions. Expiry is the caller's to check; expired
// records are removed by PurgeExpiredSessions.
type Sessions interface {
	CreateSession(ctx context.Context, s *Session) error // ErrDuplicate on digest
	GetSession(ctx context.Context, digest []byte) (*Session, error)
	TouchSession(ctx context.Context, digest []byte, at time.Time) error
	SetSessionStepUp(ctx context.Context, digest []byte, until time.Time) error
	DeleteSession(ctx context.Context, digest []byte) error
	// DeleteUserSessions removes every session of the user except the one
	// whose digest is keep (nil keeps none) and reports how many went.
	DeleteUserSessions(ctx context.Context, userID string, keep []byte) (int, error)
	ListUserSessions(ctx context.Context, userID string) ([]*Session, error)
	PurgeExpiredSessions(ctx context.Context, now time.Time) (int, error)
}

// APIKey is a machine credential. The raw key is never stored.
type APIKey struct {
	KeyID           string // base64url, public part of the raw key
	UserID          string
	Name            string
	Env             string // the <env> part of the raw key
	Digest          []byte // HMAC-SHA256(api_key_hash secret, secret part)
	Scopes          []string
	SigningRequired bool
	SigningSecret   string // Fernet envelope of the secret part when SigningRequired
	CreatedAt       time.Time
	ExpiresAt       time.Time // zero: never
	RevokedAt       time.Time // zero: not revoked
	LastUsedAt      time.Time
}

// APIKeys stores API keys with a per-user index.
type APIKeys interface {
	CreateAPIKey(ctx context.Context, k *APIKey) error // ErrDuplicate; ErrNotFound when the user is missing
	GetAPIKey(ctx context.Context, keyID string) (*APIKey, error)
	// UpdateAPIKey applies fn to the key as stored, inside the back-end's
	// transaction, and returns the record written; fn may not change
	// KeyID or UserID (ErrConflict). See UpdateUser's rules on Store.
	UpdateAPIKey(ctx context.Context, keyID string, fn func(k *APIKey) error) (*APIKey, error)
	RevokeAPIKey(ctx context.Context, keyID string, at time.Time) error
	TouchAPIKey(ctx context.Context, keyID string, at time.Time) error
	DeleteAPIKey(ctx context.Context, keyID string) error
	ListUserAPIKeys(ctx context.Context, userID string) ([]*APIKey, error) // ordered by CreatedAt
}

// OAuthLink ties an upstream identity to a user.
type OAuthLink struct {
	Provider     string
	Subject      string
	UserID       string
	Email        string
	AccessToken  string // Fernet envelope or empty
	RefreshToken string // Fernet envelope or empty
	CreatedAt    time.Time
}

// OAuthLinks stores OAuth links, unique on (Provider, Subject).
type OAuthLinks interface {
	CreateOAuthLink(ctx context.Context, l *OAuthLink) error // ErrDuplicate; ErrNotFound when the user is missing
	GetOAuthLink(ctx context.Context, provider, subject string) (*OAuthLink, error)
	ListUserOAuthLinks(ctx context.Context, userID string) ([]*OAuthLink, error)
	DeleteOAuthLink(ctx context.Context, provider, subject string) error
}

// Keyring names of the Fernet-encrypted columns (docs/design.md "Envelopes").
const (
	RingTOTPSecrets   = "totp_secrets"
	RingOAuthTokens   = "oauth_tokens"
	RingAPIKeySigning = "api_key_signing"
)

// SealedRef names one stored Fernet envelope.
type SealedRef struct {
	Ring   string // one of the Ring* constants
	Record string // opaque record key (user id, key id, provider+subject)
	Field  string // opaque field name within the record
}

// Sealed lets `gatehouse keys status|reencrypt` walk and rewrite every
// encrypted value without knowing the record types.
type Sealed interface {
	// EachSealed calls fn for every non-empty envelope of ring; fn must not
	// call back into the store.
	EachSealed(ctx context.Context, ring string, fn func(ref SealedRef, envelope string) error) error
	// SwapSealed replaces old with new if the field still holds old, in one
	// committed transaction; ErrConflict otherwise.
	SwapSealed(ctx context.Context, ref SealedRef, old, new string) error
}

// ChainDenyPrefix starts the Denylist id of a revoked refresh-token chain:
// the portal denies ChainDenyPrefix+<chain id> when it revokes a chain
// (logout, reuse of a spent refresh token, sign out everywhere else), and
// the verifier refuses every access JWT whose "sid" is that chain.
const ChainDenyPrefix = "chain:"

// Denylist holds revoked token ids (JWT jti, spent refresh/reset tokens)
// until they would have expired anyway.
type Denylist interface {
	Deny(ctx context.Context, id string, until time.Time) error
	IsDenied(ctx context.Context, id []byte) (bool, error)
}

// Markers is atomic set-if-absent with a time to live: signature nonces,
// TOTP (user, counter) replay, single-use tokens.
type Markers interface {
	// SetIfAbsent reports true when key was not present and is now set.
	SetIfAbsent(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// Counters are fixed-window counters for rate limits.
type Counters interface {
	// Incr adds one to key's counter in the current window and returns the
	// new count and the time until the window resets.
	Incr(ctx context.Context, key string, window time.Duration) (count int64, reset time.Duration, err error)
}

// Store is the durable state back-end (bbolt or Redis).
//
// Record updates are field-level: UpdateUser and UpdateAPIKey read the
// record as stored inside the back-end's transaction (bbolt Update; on
// Redis a compare-and-swap script on the value read, retried), hand a
// copy to fn, and write what fn left. fn sets only the fields its caller
// changes, so concurrent updates of different fields all survive and a
// deactivation or revocation is never undone by a self-service write
// that read the record earlier. fn may run more than once (a lost
// compare-and-swap re-applies it to the fresh record), so it must have no
// side effects beyond the record; it may run inside a write transaction,
// so it must be quick (no password hashing) and must never call back into
// the store. An error from fn aborts the update with
// that error and writes nothing. A missing record is ErrNotFound and is
// never recreated. Nobody writes back a whole record read in an earlier
// step: there is no such method.
//
// Every back-end passes keystore/storetest, which pins these rules beyond
// the method comments: CreateSession, CreateAPIKey and CreateOAuthLink return
// ErrNotFound when the user does not exist; every Get, Update, Touch,
// Revoke, StepUp and Delete of a missing record returns ErrNotFound;
// RevokeAPIKey keeps the first revocation time; Deny never shortens an
// entry and stores nothing for an expiry already past; every call on a
// closed store returns ErrClosed.
type Store interface {
	Users
	Sessions
	APIKeys
	OAuthLinks
	Passkeys
	Sealed
	Denylist
	Ping(ctx context.Context) error
	Close() error
}
