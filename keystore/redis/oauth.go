package redis

import (
	"context"
	"fmt"
	"sort"

	"github.com/gatehouse/gatehouse/keystore"
)

// linkMember is provider NUL subject. A provider may not contain NUL, so
// the split is unambiguous; the subject may hold any bytes.
func linkMember(provider, subject string) (string, error) {
	if !keystore.ValidOAuthLinkKey(provider, subject) {
		return "", fmt.Errorf("keystore/redis: oauth link: provider and subject must be non-empty, provider without NUL, together at most %d bytes", keystore.MaxIDLen)
	}
	return provider + "\x00" + subject, nil
}

// CreateOAuthLink stores l; (provider, subject) must be free and the user
// must exist, both checked in the script that writes the record.
func (s *Store) CreateOAuthLink(ctx context.Context, l *keystore.OAuthLink) error {
	m, err := linkMember(l.Provider, l.Subject)
	if err != nil {
		return err
	}
	if err := checkID("user", l.UserID); err != nil {
		return err
	}
	rec := encodeOAuthLink(l)
	if err := s.begin(ctx); err != nil {
		return err
	}
	st, err := s.status(ctx, "create oauth link", sCreateOwned,
		[]string{s.k.user(l.UserID), s.k.link(m), s.k.userLinks(l.UserID), s.k.links},
		rec, m, 0, m, 0, "")
	if err != nil {
		return err
	}
	switch st {
	case stOK:
		return nil
	case stNotFound:
		return fmt.Errorf("keystore/redis: oauth link (%s): user %s: %w", l.Provider, l.UserID, keystore.ErrNotFound)
	case stDup:
		return fmt.Errorf("keystore/redis: oauth link (%s): %w", l.Provider, keystore.ErrDuplicate)
	}
	return unexpected("create oauth link", st)
}

var errLinkNotFound = fmt.Errorf("keystore/redis: oauth link: %w", keystore.ErrNotFound)

// readLink returns the stored value and the decoded link of member m.
func (s *Store) readLink(ctx context.Context, m string) (string, *keystore.OAuthLink, error) {
	v, ok, err := s.get(ctx, "get oauth link", s.k.link(m))
	if err != nil {
		return "", nil, err
	}
	if !ok {
		return "", nil, errLinkNotFound
	}
	l, err := decodeOAuthLink(v)
	if err == nil && l.Provider+"\x00"+l.Subject != m {
		err = errCorrupt
	}
	if err != nil {
		return "", nil, fmt.Errorf("keystore/redis: oauth link: %w", err)
	}
	return v, l, nil
}

// GetOAuthLink returns a copy of the link.
func (s *Store) GetOAuthLink(ctx context.Context, provider, subject string) (*keystore.OAuthLink, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	m, err := linkMember(provider, subject)
	if err != nil {
		return nil, errLinkNotFound
	}
	_, l, err := s.readLink(ctx, m)
	return l, err
}

// ListUserOAuthLinks returns copies of the user's links ordered by
// provider, then subject.
func (s *Store) ListUserOAuthLinks(ctx context.Context, userID string) ([]*keystore.OAuthLink, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	if !keystore.ValidID(userID) {
		return nil, nil
	}
	out, err := listUserRecords(ctx, s, "list oauth links", "oauth links", s.k.userLinks(userID), famLink, userID,
		decodeOAuthLink, func(r *keystore.OAuthLink) string { return r.UserID })
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Provider != out[j].Provider {
			return out[i].Provider < out[j].Provider
		}
		return out[i].Subject < out[j].Subject
	})
	return out, nil
}

// DeleteOAuthLink removes the link and its index entries.
func (s *Store) DeleteOAuthLink(ctx context.Context, provider, subject string) error {
	m, err := linkMember(provider, subject)
	if err != nil {
		return errLinkNotFound
	}
	for i := 0; i < casAttempts; i++ {
		if err := s.begin(ctx); err != nil {
			return err
		}
		old, l, err := s.readLink(ctx, m)
		if err != nil {
			return err
		}
		st, err := s.status(ctx, "delete oauth link", sDeleteOwned,
			[]string{s.k.link(m), s.k.userLinks(l.UserID), s.k.links}, old, m, m)
		if err != nil {
			return err
		}
		switch st {
		case stOK:
			return nil
		case stNotFound:
			return errLinkNotFound
		case stChanged:
			continue
		default:
			return unexpected("delete oauth link", st)
		}
	}
	return errBusy
}
