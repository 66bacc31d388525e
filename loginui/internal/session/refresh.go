package session

import (
	"context"
	"encoding/hex"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/signing"
)

// Bearer is the answer of a bearer login or refresh.
type Bearer struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int    `json:"expires_in"`
}

// ChainDenyKey is the denylist entry of a revoked refresh chain.
func ChainDenyKey(chainID string) string { return keystore.ChainDenyPrefix + chainID }

// spentKey is the marker/denylist entry of a spent refresh token.
func spentKey(digest []byte) string { return "rt:" + hex.EncodeToString(digest) }

// OpenChain starts a refresh chain for u opened with method and returns
// its first refresh token and an access JWT.
func (s *Service) OpenChain(ctx context.Context, u *keystore.User, method, userAgent string) (Bearer, error) {
	chain, err := signing.RandomHex(16)
	if err != nil {
		return Bearer{}, err
	}
	rt, err := s.issueRefresh(ctx, u, chain, s.c.Now().Add(s.c.RefreshLifetime), method, userAgent)
	if err != nil {
		return Bearer{}, err
	}
	return s.bearer(u, chain, rt)
}

// bearer is the answer carrying refresh token rt and a new access JWT of
// chain.
func (s *Service) bearer(u *keystore.User, chain, rt string) (Bearer, error) {
	jti, err := signing.RandomHex(16)
	if err != nil {
		return Bearer{}, err
	}
	at, err := s.c.Access.issue(u.ID, jti, s.AccessFingerprint(u), chain, s.c.AccessLifetime, s.c.Now())
	if err != nil {
		return Bearer{}, err
	}
	return Bearer{AccessToken: at, TokenType: "bearer", RefreshToken: rt, ExpiresIn: int(s.c.AccessLifetime.Seconds())}, nil
}

// issueRefresh stores a refresh token of chainID that expires at expires;
// method is the AuthMethod of the login that opened the chain.
func (s *Service) issueRefresh(ctx context.Context, u *keystore.User, chainID string, expires time.Time, method, userAgent string) (string, error) {
	tok, err := signing.NewOpaqueToken()
	if err != nil {
		return "", err
	}
	now := s.c.Now()
	rec := &keystore.Session{
		Digest: s.Digest(tok), UserID: u.ID, Kind: keystore.KindRefresh, AuthMethod: method,
		ChainID: chainID, CreatedAt: now, ExpiresAt: expires, LastSeenAt: now,
		UserAgent: clipUA(userAgent),
	}
	if err := s.c.Sessions.CreateSession(ctx, rec); err != nil {
		return "", err
	}
	return tok, nil
}

// Rotate spends tok and returns a new pair: ErrRefreshInvalid when the
// token is not (or no longer) good, ErrStore when a store could not
// answer (fail closed; nothing is issued). Exactly one of concurrent uses
// wins (an atomic set-if-absent marker, backed by a durable denylist
// entry); every other use of a spent token revokes the whole chain,
// including the winner's new refresh token.
func (s *Service) Rotate(ctx context.Context, tok, userAgent string) (Bearer, error) {
	if tok == "" || len(tok) > maxTokenLen {
		return Bearer{}, ErrRefreshInvalid
	}
	now := s.c.Now()
	d := s.Digest(tok)
	rec, err := s.c.Sessions.GetSession(ctx, d)
	if errors.Is(err, keystore.ErrNotFound) {
		return Bearer{}, ErrRefreshInvalid
	}
	if err != nil {
		return Bearer{}, ErrStore
	}
	if rec.Kind != keystore.KindRefresh || rec.ChainID == "" || !now.Before(rec.ExpiresAt) {
		return Bearer{}, ErrRefreshInvalid
	}
	chainDenied, err := s.c.Denylist.IsDenied(ctx, []byte(ChainDenyKey(rec.ChainID)))
	if err != nil {
		return Bearer{}, ErrStore
	}
	if chainDenied {
		return Bearer{}, ErrRefreshInvalid
	}
	spent, err := s.c.Denylist.IsDenied(ctx, []byte(spentKey(d)))
	if err != nil {
		return Bearer{}, ErrStore
	}
	won := false
	if !spent {
		if won, err = s.c.Markers.SetIfAbsent(ctx, spentKey(d), rec.ExpiresAt.Sub(now)+time.Minute); err != nil {
			return Bearer{}, ErrStore
		}
	}
	if !won {
		s.c.Log.Warn().Str("audit", "refresh_reuse").Str("user_id", rec.UserID).Msg("audit")
		if err := s.revokeChain(ctx, rec.UserID, rec.ChainID, rec.ExpiresAt); err != nil {
			return Bearer{}, ErrStore
		}
		return Bearer{}, ErrRefreshInvalid
	}
	// Durable record of the spend, so a restart of an in-memory marker
	// store cannot revive the token.
	if err := s.c.Denylist.Deny(ctx, spentKey(d), rec.ExpiresAt); err != nil {
		return Bearer{}, ErrStore
	}
	u, err := s.c.Users.GetUser(ctx, rec.UserID)
	if errors.Is(err, keystore.ErrNotFound) {
		return Bearer{}, ErrRefreshInvalid
	}
	if err != nil {
		return Bearer{}, ErrStore
	}
	if !u.Active {
		return Bearer{}, ErrRefreshInvalid
	}
	rt, err := s.issueRefresh(ctx, u, rec.ChainID, rec.ExpiresAt, rec.AuthMethod, userAgent)
	if err != nil {
		return Bearer{}, ErrStore
	}
	// A concurrent reuse may revoke the chain after this point; the chain
	// denial then kills the new refresh token at its first use and the
	// new access token at the portal, so the winner holds nothing usable
	// beyond the access token's lifetime at the verifier.
	out, err := s.bearer(u, rec.ChainID, rt)
	if err != nil {
		return Bearer{}, ErrStore
	}
	return out, nil
}

// revokeChain denies a refresh chain and deletes its tokens.
func (s *Service) revokeChain(ctx context.Context, userID, chainID string, until time.Time) error {
	if err := s.c.Denylist.Deny(ctx, ChainDenyKey(chainID), until); err != nil {
		return err
	}
	ss, err := s.c.Sessions.ListUserSessions(ctx, userID)
	if err != nil {
		return err
	}
	for _, rec := range ss {
		if rec.ChainID == chainID {
			if err := s.c.Sessions.DeleteSession(ctx, rec.Digest); err != nil && !errors.Is(err, keystore.ErrNotFound) {
				return err
			}
		}
	}
	s.audit("session_revoked", userID)
	return nil
}
