package session

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/feature"
)

// Lasting credentials and email verification (pre-account hijacking,
// docs/design.md "Email verification").
//
// Anyone can register, or move their account to, an address they do not
// control. Until the address is verified such an account may log in,
// but it cannot mint a lasting credential (API key, OAuth link): the
// owner of the address could otherwise take the account over later,
// through the reset and verify links, and find the stranger's key or
// provider still working. And whenever the address's proof changes (the
// address is verified, the password is reset, the address changes) every
// API key, OAuth link and session created before is revoked, unless it
// was created while the account was verified with that same address.
//
// keystore.User.EmailVerifiedAt is when the current address was verified;
// an email change clears it. A verified record without it predates the
// field and counts as verified before any of its credentials.

// createdWhileVerified reports whether a credential created at t was
// created while u was verified with its current address.
func createdWhileVerified(u *keystore.User, t time.Time) bool {
	if !u.Verified {
		return false
	}
	return u.EmailVerifiedAt.IsZero() || !t.Before(u.EmailVerifiedAt)
}

// RevokeUnverified is the revocation policy, run once the change
// (verification, password reset, email change) is stored: u is the
// account as stored after it, before the moment of the change. Every API
// key, OAuth link and session (with its refresh chain) of u created
// before that moment goes, unless it was created while u was verified
// with its current address, or it is the current session of c when u is
// c (the session that made the change, when it proved the password; c nil:
// none stays). Refresh chains are denied before anything is deleted, as
// RevokeOthers does, so their access tokens die at the verifier too.
func (s *Service) RevokeUnverified(ctx context.Context, u *keystore.User, before time.Time, c *feature.Caller) error {
	keep := func(created time.Time) bool { return !created.Before(before) || createdWhileVerified(u, created) }
	ss, err := s.c.Sessions.ListUserSessions(ctx, u.ID)
	if err != nil {
		return err
	}
	keepS := func(rec *keystore.Session) bool {
		return keep(rec.CreatedAt) || (c != nil && u.ID == c.User.ID && IsCurrent(c, rec))
	}
	denied, err := s.denyChains(ctx, ss, keepS)
	if err != nil {
		return err
	}
	nKeys, nLinks := 0, 0
	if keys := s.c.APIKeys; keys != nil {
		ks, err := keys.ListUserAPIKeys(ctx, u.ID)
		if err != nil {
			return err
		}
		for _, k := range ks {
			if !k.RevokedAt.IsZero() || keep(k.CreatedAt) {
				continue
			}
			if err := keys.RevokeAPIKey(ctx, k.KeyID, s.c.Now()); err != nil && !errors.Is(err, keystore.ErrNotFound) {
				return err
			}
			nKeys++
		}
	}
	if links := s.c.Links; links != nil {
		ls, err := links.ListUserOAuthLinks(ctx, u.ID)
		if err != nil {
			return err
		}
		for _, l := range ls {
			if keep(l.CreatedAt) {
				continue
			}
			if err := links.DeleteOAuthLink(ctx, l.Provider, l.Subject); err != nil && !errors.Is(err, keystore.ErrNotFound) {
				return err
			}
			nLinks++
		}
	}
	nSess, err := s.deleteSessions(ctx, ss, func(rec *keystore.Session) bool { return keepS(rec) && !denied[rec.ChainID] })
	if err != nil {
		return err
	}
	if nKeys+nLinks+nSess > 0 {
		s.c.Log.Info().Str("audit", "credentials_revoked").Str("user_id", u.ID).
			Int("api_keys", nKeys).Int("oauth_links", nLinks).Int("sessions", nSess).Msg("audit")
	}
	return nil
}
