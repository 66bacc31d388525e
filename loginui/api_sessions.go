package loginui

import (
	"bytes"
	"context"
	"errors"
	"sort"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
)

// sessionView is the JSON form of a session (or live refresh token).
type sessionView = feature.SessionView

// liveSessions lists the caller's unexpired sessions and unspent refresh
// tokens, newest first.
func (p *Portal) liveSessions(ctx context.Context, c *caller) ([]*keystore.Session, error) {
	ss, err := p.o.Sessions.ListUserSessions(ctx, c.user.ID)
	if err != nil {
		return nil, err
	}
	now := p.o.Now()
	out := ss[:0]
	for _, s := range ss {
		if !now.Before(s.ExpiresAt) {
			continue
		}
		if s.Kind == kindRefresh {
			spent, err := p.o.Denylist.IsDenied(ctx, []byte(spentKey(s.Digest)))
			if err != nil {
				return nil, err
			}
			if spent {
				continue
			}
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

func (p *Portal) isCurrent(c *caller, s *keystore.Session) bool {
	if c.viaCookie {
		return bytes.Equal(s.Digest, c.digest)
	}
	return s.ChainID != "" && s.ChainID == c.claims.SID
}

func (p *Portal) viewSessions(c *caller, ss []*keystore.Session) []sessionView {
	out := make([]sessionView, 0, len(ss))
	for _, s := range ss {
		out = append(out, sessionView{
			ID: sessionPublicID(s.Digest), Kind: s.Kind, AuthMethod: s.AuthMethod,
			CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt, LastSeenAt: s.LastSeenAt,
			UserAgent: s.UserAgent, Current: p.isCurrent(c, s),
		})
	}
	return out
}

// errNoSuchSession: the id names none of the caller's sessions.
var errNoSuchSession = feature.ErrNoSuchSession

// revokeSession deletes the caller's session with public id (its whole
// chain for a refresh token).
func (p *Portal) revokeSession(ctx context.Context, c *caller, id string) error {
	ss, err := p.o.Sessions.ListUserSessions(ctx, c.user.ID)
	if err != nil {
		return err
	}
	for _, s := range ss {
		if !constEq(sessionPublicID(s.Digest), id) {
			continue
		}
		if s.Kind == kindRefresh && s.ChainID != "" {
			return p.revokeChain(ctx, c.user.ID, s.ChainID, s.ExpiresAt)
		}
		if err := p.o.Sessions.DeleteSession(ctx, s.Digest); err != nil && !errors.Is(err, keystore.ErrNotFound) {
			return err
		}
		p.audit("session_revoked", c.user.ID)
		return nil
	}
	return errNoSuchSession
}

// revokeOthers deletes every session of the caller except the current one
// (a bearer caller keeps its own refresh chain). The refresh chains it
// deletes are denied first, so their access tokens die at the portal too;
// if that fails nothing is deleted.
func (p *Portal) revokeOthers(ctx context.Context, c *caller) (int, error) {
	ss, err := p.o.Sessions.ListUserSessions(ctx, c.user.ID)
	if err != nil {
		return 0, err
	}
	keep := func(s *keystore.Session) bool { return p.isCurrent(c, s) }
	if _, err := p.denyChains(ctx, ss, keep); err != nil {
		return 0, err
	}
	if c.viaCookie {
		n, err := p.o.Sessions.DeleteUserSessions(ctx, c.user.ID, c.digest)
		if err == nil && n > 0 {
			p.audit("session_revoked", c.user.ID)
		}
		return n, err
	}
	n, err := p.deleteSessions(ctx, ss, keep)
	if n > 0 {
		p.audit("session_revoked", c.user.ID)
	}
	return n, err
}

// denyChains denies the refresh chain of every unexpired refresh token in
// ss that keep does not keep, and returns the chains it denied.
func (p *Portal) denyChains(ctx context.Context, ss []*keystore.Session, keep func(*keystore.Session) bool) (map[string]bool, error) {
	now := p.o.Now()
	denied := map[string]bool{}
	for _, s := range ss {
		if s.Kind != kindRefresh || s.ChainID == "" || denied[s.ChainID] || keep(s) || !now.Before(s.ExpiresAt) {
			continue
		}
		denied[s.ChainID] = true
		if err := p.o.Denylist.Deny(ctx, chainDenyKey(s.ChainID), s.ExpiresAt); err != nil {
			return nil, err
		}
	}
	return denied, nil
}

// deleteSessions deletes every session in ss that keep does not keep and
// reports how many went.
func (p *Portal) deleteSessions(ctx context.Context, ss []*keystore.Session, keep func(*keystore.Session) bool) (int, error) {
	n := 0
	for _, s := range ss {
		if keep(s) {
			continue
		}
		if err := p.o.Sessions.DeleteSession(ctx, s.Digest); err != nil && !errors.Is(err, keystore.ErrNotFound) {
			return n, err
		}
		n++
	}
	return n, nil
}
