package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/view"
	"github.com/gatehouse/gatehouse/signing"
)

// Config is what a Service needs. APIKeys and Links may be nil (then
// RevokeUnverified has none to revoke).
type Config struct {
	Users    keystore.Users
	Sessions keystore.Sessions
	Denylist keystore.Denylist
	Markers  keystore.Markers
	APIKeys  keystore.APIKeys
	Links    keystore.OAuthLinks

	TokenHash   signing.Secret // opaque token digests (shared with the verifier)
	Fingerprint signing.Secret // the sfp of access JWTs (shared with the verifier)
	Access      *JWT           // the access-token codec

	SessionLifetime time.Duration
	AccessLifetime  time.Duration
	RefreshLifetime time.Duration // one rotation chain
	Touch           time.Duration // least interval between last-seen writes
	Now             func() time.Time
	Log             zerolog.Logger
}

// Service mints, authenticates, lists and revokes the portal's
// credentials. It is safe for concurrent use.
type Service struct{ c Config }

// New returns a Service for c.
func New(c Config) *Service { return &Service{c: c} }

// Errors. ErrStore wraps nothing on purpose: the cause is a store's, and
// the answer is a 503 that never claims nothing changed (a write may
// have been applied without its reply, or without replica confirmation).
var (
	// ErrInvalid: a credential is present but not (or no longer) valid.
	ErrInvalid = errors.New("loginui: credential invalid")
	// ErrStore: a store failed; fail closed.
	ErrStore = errors.New("loginui: store failure")
	// ErrRefreshInvalid: the refresh token is not (or no longer) good.
	ErrRefreshInvalid = errors.New("loginui: refresh token invalid")
	// ErrNoSuchSession: an id names none of the caller's sessions.
	ErrNoSuchSession = feature.ErrNoSuchSession
)

// maxUserAgentLen bounds the stored user agent.
const maxUserAgentLen = 256

// maxTokenLen bounds an opaque token presented to the portal.
const maxTokenLen = 128

// Digest is the stored form of an opaque token.
func (s *Service) Digest(tok string) []byte {
	d := signing.TokenDigest(s.c.TokenHash, []byte(tok))
	return d[:]
}

// AccessFingerprint is the sfp of a user's access JWTs: it changes with
// the email or the password hash, which kills every earlier token.
func (s *Service) AccessFingerprint(u *keystore.User) string {
	return signing.SessionFingerprint(s.c.Fingerprint, u.ID, keystore.FoldEmail(u.Email), u.PasswordHash)
}

// Open stores a new browser session of u opened with method (the login's
// AuthMethod) and returns its token and record; the caller sets the
// cookie.
func (s *Service) Open(ctx context.Context, u *keystore.User, method, userAgent string) (string, *keystore.Session, error) {
	tok, err := signing.NewOpaqueToken()
	if err != nil {
		return "", nil, err
	}
	now := s.c.Now()
	rec := &keystore.Session{
		Digest: s.Digest(tok), UserID: u.ID, Kind: keystore.KindSession, AuthMethod: method,
		CreatedAt: now, ExpiresAt: now.Add(s.c.SessionLifetime), LastSeenAt: now,
		UserAgent: clipUA(userAgent),
	}
	if err := s.c.Sessions.CreateSession(ctx, rec); err != nil {
		return "", nil, err
	}
	return tok, rec, nil
}

// Drop revokes the session whose token a browser still carried at a
// login: the login replaces it, and the old token must not outlive it. It
// is best effort (the new session is already issued and nothing is
// claimed about the old one), so a store failure is only logged.
func (s *Service) Drop(ctx context.Context, old string) {
	if old == "" || len(old) > maxTokenLen {
		return
	}
	if err := s.c.Sessions.DeleteSession(ctx, s.Digest(old)); err != nil && !errors.Is(err, keystore.ErrNotFound) {
		s.c.Log.Warn().Str("component", "loginui").Msg("previous session not revoked at login")
	}
}

// EndAll deletes every session of userID except keep (nil: all), as a
// password change does; earlier access JWTs die with the fingerprint.
func (s *Service) EndAll(ctx context.Context, userID string, keep []byte) error {
	_, err := s.c.Sessions.DeleteUserSessions(ctx, userID, keep)
	return err
}

// DenyAccess denies one access JWT (by jti) until it expires.
func (s *Service) DenyAccess(ctx context.Context, jti string, until time.Time) error {
	return s.c.Denylist.Deny(ctx, jti, until)
}

// PublicID is the id under which a session is listed and revoked; it
// reveals nothing about the token or its digest.
func PublicID(digest []byte) string {
	h := sha256.New()
	h.Write([]byte("gatehouse/session-id\x00"))
	h.Write(digest)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func (s *Service) audit(event, userID string) {
	s.c.Log.Info().Str("audit", event).Str("user_id", userID).Msg("audit")
}

func clipUA(ua string) string { return view.Clip(ua, maxUserAgentLen) }
