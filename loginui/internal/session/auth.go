package session

import (
	"context"
	"crypto/subtle"
	"errors"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
)

// AuthBearer resolves an access JWT: ErrInvalid unless it verifies, is
// not denied (itself or its chain), and its user is active with the
// fingerprint it was issued under; ErrStore when a store failed.
func (s *Service) AuthBearer(ctx context.Context, tok string) (*feature.Caller, error) {
	cl, err := s.c.Access.Verify(tok, s.c.Now())
	if err != nil {
		return nil, ErrInvalid
	}
	denied, err := s.c.Denylist.IsDenied(ctx, []byte(cl.JTI))
	if err != nil {
		return nil, ErrStore
	}
	if denied {
		return nil, ErrInvalid
	}
	if cl.SID != "" {
		denied, err = s.c.Denylist.IsDenied(ctx, []byte(ChainDenyKey(cl.SID)))
		if err != nil {
			return nil, ErrStore
		}
		if denied {
			return nil, ErrInvalid
		}
	}
	u, err := s.user(ctx, cl.Subject)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(cl.SFP), []byte(s.AccessFingerprint(u))) != 1 {
		return nil, ErrInvalid
	}
	return &feature.Caller{User: u, RefreshChain: cl.SID, AccessJTI: cl.JTI, AccessExpiresAt: cl.ExpiresAt}, nil
}

// AuthCookie resolves a session cookie's token: ErrInvalid unless it
// names an unexpired browser session of an active user; ErrStore when a
// store failed. It records the last use at most every Touch.
func (s *Service) AuthCookie(ctx context.Context, tok string) (*feature.Caller, error) {
	if len(tok) > maxTokenLen {
		return nil, ErrInvalid
	}
	d := s.Digest(tok)
	rec, err := s.c.Sessions.GetSession(ctx, d)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, ErrInvalid
	}
	if err != nil {
		return nil, ErrStore
	}
	now := s.c.Now()
	if rec.Kind != keystore.KindSession || !now.Before(rec.ExpiresAt) {
		return nil, ErrInvalid
	}
	u, err := s.user(ctx, rec.UserID)
	if err != nil {
		return nil, err
	}
	if now.Sub(rec.LastSeenAt) >= s.c.Touch {
		if err := s.c.Sessions.TouchSession(ctx, d, now); err != nil {
			s.c.Log.Warn().Str("component", "loginui").Msg("session last-seen update failed")
		}
	}
	return &feature.Caller{User: u, ViaCookie: true, Session: rec, Digest: d,
		PasswordSession: feature.PasswordFirstFactor(rec.AuthMethod)}, nil
}

// user loads an active user: ErrInvalid when missing or inactive.
func (s *Service) user(ctx context.Context, id string) (*keystore.User, error) {
	u, err := s.c.Users.GetUser(ctx, id)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, ErrInvalid
	}
	if err != nil {
		return nil, ErrStore
	}
	if !u.Active {
		return nil, ErrInvalid
	}
	return u, nil
}
