package redis

import (
	"context"
	"fmt"
	"strconv"

	"github.com/gatehouse/gatehouse/keystore"
)

func checkEmail(id, folded string) error {
	if !keystore.ValidID(folded) {
		return fmt.Errorf("keystore/redis: user %s: email must be 1..%d bytes", id, keystore.MaxIDLen)
	}
	return nil
}

// CreateUser stores u; the id and the folded email are checked and
// claimed in the same script that writes the record.
func (s *Store) CreateUser(ctx context.Context, u *keystore.User) error {
	if err := checkID("user", u.ID); err != nil {
		return err
	}
	folded := keystore.FoldEmail(u.Email)
	if err := checkEmail(u.ID, folded); err != nil {
		return err
	}
	rec := encodeUser(u)
	if err := s.begin(ctx); err != nil {
		return err
	}
	st, err := s.status(ctx, "create user", sCreateUser,
		[]string{s.k.user(u.ID), s.k.email(folded), s.k.users}, u.ID, folded, rec)
	if err != nil {
		return err
	}
	switch st {
	case stOK:
		return nil
	case stDup:
		return fmt.Errorf("keystore/redis: user %s: %w", u.ID, keystore.ErrDuplicate)
	case stDupEmail:
		return fmt.Errorf("keystore/redis: user %s: email taken: %w", u.ID, keystore.ErrDuplicate)
	}
	return unexpected("create user", st)
}

func unexpected(op string, st int64) error {
	return fmt.Errorf("keystore/redis: %s: unexpected script status %d", op, st)
}

// readUser returns the stored value and the decoded user.
func (s *Store) readUser(ctx context.Context, id string) (string, *keystore.User, error) {
	if !keystore.ValidID(id) {
		return "", nil, fmt.Errorf("keystore/redis: user: %w", keystore.ErrNotFound)
	}
	v, ok, err := s.get(ctx, "get user", s.k.user(id))
	if err != nil {
		return "", nil, err
	}
	if !ok {
		return "", nil, fmt.Errorf("keystore/redis: user %s: %w", id, keystore.ErrNotFound)
	}
	u, err := decodeUser(v)
	if err == nil && u.ID != id {
		err = errCorrupt
	}
	if err != nil {
		return "", nil, fmt.Errorf("keystore/redis: user %s: %w", id, err)
	}
	return v, u, nil
}

// GetUser returns a copy of the user with that id.
func (s *Store) GetUser(ctx context.Context, id string) (*keystore.User, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	_, u, err := s.readUser(ctx, id)
	return u, err
}

var errUserByEmailNotFound = fmt.Errorf("keystore/redis: user by email: %w", keystore.ErrNotFound)

// GetUserByEmail looks the user up by FoldEmail(email) in one round trip.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*keystore.User, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	folded := keystore.FoldEmail(email)
	if !keystore.ValidID(folded) {
		return nil, errUserByEmailNotFound
	}
	v, err := sUserByEmail.Run(ctx, s.c, []string{s.k.email(folded)}, s.k.base).Text()
	if isNil(err) {
		return nil, errUserByEmailNotFound
	}
	if err != nil {
		return nil, s.fail("get user by email", err)
	}
	u, err := decodeUser(v)
	if err == nil && keystore.FoldEmail(u.Email) != folded {
		err = errCorrupt
	}
	if err != nil {
		return nil, fmt.Errorf("keystore/redis: user by email: %w", err)
	}
	return u, nil
}

// UpdateUser applies fn to the user as stored and moves the email index
// when the folded email changed. The record read and the write are tied by
// a compare-and-swap script; when another writer got in between, the
// record is read again and fn re-applied to it, so only fn's fields change
// and a concurrent change is never overwritten.
func (s *Store) UpdateUser(ctx context.Context, id string, fn func(*keystore.User) error) (*keystore.User, error) {
	for i := 0; i < updateAttempts; i++ {
		if err := s.begin(ctx); err != nil {
			return nil, err
		}
		old, u, err := s.readUser(ctx, id)
		if err != nil {
			return nil, err
		}
		oldFolded := keystore.FoldEmail(u.Email)
		if err := fn(u); err != nil {
			return nil, err
		}
		if u.ID != id {
			return nil, fmt.Errorf("keystore/redis: user %s: id may not change: %w", id, keystore.ErrConflict)
		}
		folded := keystore.FoldEmail(u.Email)
		if err := checkEmail(id, folded); err != nil {
			return nil, err
		}
		rec := encodeUser(u)
		out, err := decodeUser(rec)
		if err != nil {
			return nil, fmt.Errorf("keystore/redis: user %s: %w", id, err)
		}
		st, err := s.status(ctx, "update user", sUpdateUser,
			[]string{s.k.user(id), s.k.users, s.k.email(oldFolded), s.k.email(folded)},
			id, old, rec, oldFolded, folded)
		if err != nil {
			return nil, err
		}
		switch st {
		case stOK:
			return out, nil
		case stNotFound:
			return nil, fmt.Errorf("keystore/redis: user %s: %w", id, keystore.ErrNotFound)
		case stDupEmail:
			return nil, fmt.Errorf("keystore/redis: user %s: email taken: %w", id, keystore.ErrDuplicate)
		case stChanged:
			if err := casBackoff(ctx, i); err != nil {
				return nil, err
			}
			continue
		default:
			return nil, unexpected("update user", st)
		}
	}
	return nil, errBusy
}

// DeleteUser removes the user with its sessions, API keys, OAuth links
// and passkeys in one script.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	for i := 0; i < updateAttempts; i++ {
		if err := s.begin(ctx); err != nil {
			return err
		}
		old, u, err := s.readUser(ctx, id)
		if err != nil {
			return err
		}
		folded := keystore.FoldEmail(u.Email)
		st, err := s.status(ctx, "delete user", sDeleteUser,
			[]string{
				s.k.user(id), s.k.email(folded), s.k.users,
				s.k.userSessions(id), s.k.userKeys(id), s.k.userLinks(id),
				s.k.sessExp, s.k.apiKeys, s.k.links,
				s.k.userPasskeys(id), s.k.passkeys,
			},
			s.k.base, old, folded, id)
		if err != nil {
			return err
		}
		switch st {
		case stOK:
			return nil
		case stNotFound:
			return fmt.Errorf("keystore/redis: user %s: %w", id, keystore.ErrNotFound)
		case stChanged:
			if err := casBackoff(ctx, i); err != nil {
				return err
			}
			continue
		default:
			return unexpected("delete user", st)
		}
	}
	return errBusy
}

// maxOffset bounds ListUsers offsets so rank arithmetic cannot overflow;
// no index holds that many entries.
const maxOffset = 1 << 40

// pageSize is how many index entries one page script reads; it bounds
// how long a single script holds the server.
const pageSize = 256

// ListUsers returns users ordered by folded email, skipping offset and
// returning at most limit (all when limit <= 0). Pages after the first
// continue after the last email seen, so a user added or removed while
// the list is read shifts no other entry in or out twice.
func (s *Store) ListUsers(ctx context.Context, offset, limit int) ([]*keystore.User, error) {
	if offset < 0 {
		offset = 0
	}
	if offset > maxOffset {
		return nil, s.begin(ctx)
	}
	var out []*keystore.User
	err := s.walkIndex(ctx, s.k.users, "user", offset, limit, func(member, v string) (bool, error) {
		u, err := decodeUser(v)
		if err == nil && keystore.FoldEmail(u.Email) != member {
			err = errCorrupt
		}
		if err != nil {
			return false, fmt.Errorf("keystore/redis: list users: %w", err)
		}
		out = append(out, u)
		return limit <= 0 || len(out) < limit, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CountUsers returns the number of users.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	if err := s.begin(ctx); err != nil {
		return 0, err
	}
	n, err := s.c.ZCard(ctx, s.k.users).Result()
	if err != nil {
		return 0, s.fail("count users", err)
	}
	return int(n), nil
}

// walkIndex reads a global index page by page, starting at rank offset,
// and calls fn with each member and its record until fn says stop; want
// > 0 sizes pages for a caller that stops after want records. fn runs
// between scripts, never inside one.
func (s *Store) walkIndex(ctx context.Context, index, hop string, offset, want int, fn func(member, record string) (bool, error)) error {
	mode, start := "r", strconv.Itoa(offset)
	seen := 0
	for {
		if err := s.begin(ctx); err != nil {
			return err
		}
		count := pageSize
		if want > 0 && want-seen < count {
			count = want - seen
		}
		arg := strconv.Itoa(count)
		if mode == "r" {
			arg = strconv.Itoa(offset + count - 1)
		}
		vals, err := sPage.Run(ctx, s.c, []string{index}, s.k.base, mode, start, arg, hop).Slice()
		if err != nil {
			return s.fail("read index", err)
		}
		if len(vals)%2 != 0 {
			return fmt.Errorf("keystore/redis: read index: %w", errCorrupt)
		}
		for i := 0; i < len(vals); i += 2 {
			m, ok1 := vals[i].(string)
			v, ok2 := vals[i+1].(string)
			if !ok1 || !ok2 {
				return fmt.Errorf("keystore/redis: read index: %w", errCorrupt)
			}
			seen++
			more, err := fn(m, v)
			if err != nil || !more {
				return err
			}
			start = m
		}
		if len(vals)/2 < count {
			return nil
		}
		mode = "l"
	}
}
