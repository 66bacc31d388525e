package accounts

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse/keystore"
)

// CreateOAuthLink stores l (CreatedAt is stamped here). owner, when set,
// is the account that links the identity on the strength of its verified
// address (linking from /account): an unverified owner is refused, and if
// the verification ended while the link was stored, the link is removed
// again and ErrEmailUnverified returned. A taken identity is
// ErrLinkTaken, a missing user ErrUserNotFound.
func (s *Service) CreateOAuthLink(ctx context.Context, l *keystore.OAuthLink, owner *keystore.User) error {
	if s.c.Links == nil {
		return errors.New("accounts: no link store")
	}
	if owner != nil {
		if !owner.Verified {
			return ErrEmailUnverified
		}
		l.UserID = owner.ID
	}
	l.CreatedAt = s.now()
	switch err := s.c.Links.CreateOAuthLink(ctx, l); {
	case errors.Is(err, keystore.ErrDuplicate):
		return ErrLinkTaken
	case errors.Is(err, keystore.ErrNotFound):
		return ErrUserNotFound
	case err != nil:
		return err
	}
	if owner == nil {
		return nil
	}
	if err := s.confirmVerified(ctx, owner); err != nil {
		if derr := s.c.Links.DeleteOAuthLink(ctx, l.Provider, l.Subject); derr != nil && !errors.Is(derr, keystore.ErrNotFound) {
			return fmt.Errorf("%w (the link made meanwhile was not removed: %v)", err, derr)
		}
		return err
	}
	return nil
}
