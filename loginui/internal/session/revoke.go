package session

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"sort"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
)

// List returns c's unexpired sessions and unspent refresh tokens, newest
// first, in their JSON form.
func (s *Service) List(ctx context.Context, c *feature.Caller) ([]feature.SessionView, error) {
	ss, err := s.c.Sessions.ListUserSessions(ctx, c.User.ID)
	if err != nil {
		return nil, err
	}
	now := s.c.Now()
	live := ss[:0]
	for _, rec := range ss {
		if !now.Before(rec.ExpiresAt) {
			continue
		}
		if rec.Kind == keystore.KindRefresh {
			spent, err := s.c.Denylist.IsDenied(ctx, []byte(spentKey(rec.Digest)))
			if err != nil {
				return nil, err
			}
			if spent {
				continue
			}
		}
		live = append(live, rec)
	}
	sort.Slice(live, func(i, j int) bool { return live[i].CreatedAt.After(live[j].CreatedAt) })
	out := make([]feature.SessionView, 0, len(live))
	for _, rec := range live {
		out = append(out, feature.SessionView{
			ID: PublicID(rec.Digest), Kind: rec.Kind, AuthMethod: rec.AuthMethod,
			CreatedAt: rec.CreatedAt, ExpiresAt: rec.ExpiresAt, LastSeenAt: rec.LastSeenAt,
			UserAgent: rec.UserAgent, Current: IsCurrent(c, rec),
		})
	}
	return out, nil
}

// IsCurrent reports whether rec is c's own credential: its cookie
// session, or a token of its refresh chain.
func IsCurrent(c *feature.Caller, rec *keystore.Session) bool {
	if c.ViaCookie {
		return bytes.Equal(rec.Digest, c.Digest)
	}
	return rec.ChainID != "" && rec.ChainID == c.RefreshChain
}

// Revoke deletes c's session with public id (its whole chain for a
// refresh token); ErrNoSuchSession when id names none of them.
func (s *Service) Revoke(ctx context.Context, c *feature.Caller, id string) error {
	ss, err := s.c.Sessions.ListUserSessions(ctx, c.User.ID)
	if err != nil {
		return err
	}
	for _, rec := range ss {
		if subtle.ConstantTimeCompare([]byte(PublicID(rec.Digest)), []byte(id)) != 1 {
			continue
		}
		if rec.Kind == keystore.KindRefresh && rec.ChainID != "" {
			return s.revokeChain(ctx, c.User.ID, rec.ChainID, rec.ExpiresAt)
		}
		if err := s.c.Sessions.DeleteSession(ctx, rec.Digest); err != nil && !errors.Is(err, keystore.ErrNotFound) {
			return err
		}
		s.audit("session_revoked", c.User.ID)
		return nil
	}
	return ErrNoSuchSession
}

// RevokeOthers deletes every session of c except the current one (a
// bearer caller keeps its own refresh chain). The refresh chains it
// deletes are denied first, so their access tokens die at the portal too;
// if that fails nothing is deleted.
func (s *Service) RevokeOthers(ctx context.Context, c *feature.Caller) (int, error) {
	ss, err := s.c.Sessions.ListUserSessions(ctx, c.User.ID)
	if err != nil {
		return 0, err
	}
	keep := func(rec *keystore.Session) bool { return IsCurrent(c, rec) }
	if _, err := s.denyChains(ctx, ss, keep); err != nil {
		return 0, err
	}
	if c.ViaCookie {
		n, err := s.c.Sessions.DeleteUserSessions(ctx, c.User.ID, c.Digest)
		if err == nil && n > 0 {
			s.audit("session_revoked", c.User.ID)
		}
		return n, err
	}
	n, err := s.deleteSessions(ctx, ss, keep)
	if n > 0 {
		s.audit("session_revoked", c.User.ID)
	}
	return n, err
}

// Logout ends c's credential: a cookie session is deleted; a bearer
// token's jti is denied and its refresh chain revoked.
func (s *Service) Logout(ctx context.Context, c *feature.Caller) error {
	if c.ViaCookie {
		if err := s.c.Sessions.DeleteSession(ctx, c.Digest); err != nil && !errors.Is(err, keystore.ErrNotFound) {
			return err
		}
		s.audit("logout", c.User.ID)
		return nil
	}
	if err := s.c.Denylist.Deny(ctx, c.AccessJTI, c.AccessExpiresAt.Add(time.Minute)); err != nil {
		return err
	}
	if c.RefreshChain != "" {
		if err := s.revokeChain(ctx, c.User.ID, c.RefreshChain, s.c.Now().Add(s.c.RefreshLifetime)); err != nil {
			return err
		}
	}
	s.audit("logout", c.User.ID)
	return nil
}

// denyChains denies the refresh chain of every unexpired refresh token in
// ss that keep does not keep, and returns the chains it denied.
func (s *Service) denyChains(ctx context.Context, ss []*keystore.Session, keep func(*keystore.Session) bool) (map[string]bool, error) {
	now := s.c.Now()
	denied := map[string]bool{}
	for _, rec := range ss {
		if rec.Kind != keystore.KindRefresh || rec.ChainID == "" || denied[rec.ChainID] || keep(rec) || !now.Before(rec.ExpiresAt) {
			continue
		}
		denied[rec.ChainID] = true
		if err := s.c.Denylist.Deny(ctx, ChainDenyKey(rec.ChainID), rec.ExpiresAt); err != nil {
			return nil, err
		}
	}
	return denied, nil
}

// deleteSessions deletes every session in ss that keep does not keep and
// reports how many went.
func (s *Service) deleteSessions(ctx context.Context, ss []*keystore.Session, keep func(*keystore.Session) bool) (int, error) {
	n := 0
	for _, rec := range ss {
		if keep(rec) {
			continue
		}
		if err := s.c.Sessions.DeleteSession(ctx, rec.Digest); err != nil && !errors.Is(err, keystore.ErrNotFound) {
			return n, err
		}
		n++
	}
	return n, nil
}
