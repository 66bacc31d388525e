package redis

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse/gatehouse/keystore"
)

// sessionGrace is how long after ExpiresAt Redis keeps a session record
// before dropping it on its own. Expiry is the caller's to check; the
// grace keeps a modest clock difference between replicas and the Redis
// server from making a live session vanish early.
const sessionGrace = time.Minute

func checkDigest(d []byte) error {
	if len(d) == 0 || len(d) > maxDigestLen {
		return fmt.Errorf("keystore/redis: session digest must be 1..%d bytes", maxDigestLen)
	}
	return nil
}

// sessionKey builds the record key of a digest with one allocation.
func (k *keys) sessionKeyOf(d []byte) string {
	var buf [2 * maxDigestLen]byte
	n := hex.Encode(buf[:], d)
	var b strings.Builder
	b.Grow(len(k.base) + len(famSession) + n)
	b.WriteString(k.base)
	b.WriteString(famSession)
	b.Write(buf[:n])
	return b.String()
}

// floorMs and ceilMs convert t to Unix milliseconds without the int64
// nanosecond overflow of UnixNano, clamped to ±2^53 ms (about 285,000
// years) so the value is exact as a sorted-set score and valid for PXAT.
func floorMs(t time.Time) int64 {
	const limitSec = (1 << 53) / 1000
	sec := t.Unix()
	switch {
	case sec >= limitSec:
		return 1 << 53
	case sec <= -limitSec:
		return -(1 << 53)
	}
	return sec*1000 + int64(t.Nanosecond()/1e6)
}

func ceilMs(t time.Time) int64 {
	ms := floorMs(t)
	if t.Nanosecond()%1e6 != 0 && ms < 1<<53 && ms > -(1<<53) {
		ms++
	}
	return ms
}

// expMember is the member of the global expiry index: hex digest, a
// colon, the user id. Hex has no colon, so the split is unambiguous.
func expMember(hexDigest, userID string) string { return hexDigest + ":" + userID }

// CreateSession stores sess under its digest. The user must exist; the
// check, the claim of the digest and the index entries are one script.
// Redis drops the record on its own sessionGrace after ExpiresAt.
func (s *Store) CreateSession(ctx context.Context, sess *keystore.Session) error {
	if err := checkDigest(sess.Digest); err != nil {
		return err
	}
	if err := checkID("user", sess.UserID); err != nil {
		return err
	}
	h := hex.EncodeToString(sess.Digest)
	rec := encodeSession(sess)
	globalMember, score, pxat := "", "", ""
	if !sess.ExpiresAt.IsZero() {
		globalMember = expMember(h, sess.UserID)
		score = strconv.FormatInt(floorMs(sess.ExpiresAt), 10)
		pxat = strconv.FormatInt(max(ceilMs(sess.ExpiresAt.Add(sessionGrace)), 1), 10)
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	st, err := s.status(ctx, "create session", sCreateOwned,
		[]string{s.k.user(sess.UserID), s.k.session(h), s.k.userSessions(sess.UserID), s.k.sessExp},
		rec, h, 0, globalMember, score, pxat)
	if err != nil {
		return err
	}
	switch st {
	case stOK:
		return nil
	case stNotFound:
		return fmt.Errorf("keystore/redis: session of user %s: %w", sess.UserID, keystore.ErrNotFound)
	case stDup:
		return fmt.Errorf("keystore/redis: session: %w", keystore.ErrDuplicate)
	}
	return unexpected("create session", st)
}

var errSessionNotFound = fmt.Errorf("keystore/redis: session: %w", keystore.ErrNotFound)

// readSession returns the record key, the stored value and the session.
func (s *Store) readSession(ctx context.Context, digest []byte) (string, string, *keystore.Session, error) {
	if len(digest) == 0 || len(digest) > maxDigestLen {
		return "", "", nil, errSessionNotFound
	}
	key := s.k.sessionKeyOf(digest)
	v, ok, err := s.get(ctx, "get session", key)
	if err != nil {
		return "", "", nil, err
	}
	if !ok {
		return "", "", nil, errSessionNotFound
	}
	sess, err := decodeSession(v)
	if err == nil && !bytes.Equal(sess.Digest, digest) {
		err = errCorrupt
	}
	if err != nil {
		return "", "", nil, fmt.Errorf("keystore/redis: session: %w", err)
	}
	return key, v, sess, nil
}

// GetSession returns a copy of the session with that digest. Expiry is
// the caller's to check.
func (s *Store) GetSession(ctx context.Context, digest []byte) (*keystore.Session, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	_, _, sess, err := s.readSession(ctx, digest)
	return sess, err
}

// modifySession reads, changes and writes back one session, retrying
// when another writer got in between.
func (s *Store) modifySession(ctx context.Context, op string, digest []byte, fn func(*keystore.Session)) error {
	for i := 0; i < casAttempts; i++ {
		if err := s.begin(ctx); err != nil {
			return err
		}
		key, old, sess, err := s.readSession(ctx, digest)
		if err != nil {
			return err
		}
		fn(sess)
		st, err := s.status(ctx, op, sSwap, []string{key}, old, encodeSession(sess))
		if err != nil {
			return err
		}
		switch st {
		case stOK:
			return nil
		case stNotFound:
			return errSessionNotFound
		case stChanged:
			continue
		default:
			return unexpected(op, st)
		}
	}
	return errBusy
}

// TouchSession sets LastSeenAt.
func (s *Store) TouchSession(ctx context.Context, digest []byte, at time.Time) error {
	return s.modifySession(ctx, opTouchSession, digest, func(sess *keystore.Session) { sess.LastSeenAt = at })
}

// SetSessionStepUp sets StepUpUntil.
func (s *Store) SetSessionStepUp(ctx context.Context, digest []byte, until time.Time) error {
	return s.modifySession(ctx, "step up session", digest, func(sess *keystore.Session) { sess.StepUpUntil = until })
}

// DeleteSession removes one session and its index entries.
func (s *Store) DeleteSession(ctx context.Context, digest []byte) error {
	for i := 0; i < casAttempts; i++ {
		if err := s.begin(ctx); err != nil {
			return err
		}
		key, old, sess, err := s.readSession(ctx, digest)
		if err != nil {
			return err
		}
		done, err := s.deleteSession(ctx, key, old, sess)
		if err != nil || done {
			return err
		}
	}
	return errBusy
}

// deleteSession removes a session that still holds old; done is false
// when it changed since it was read.
func (s *Store) deleteSession(ctx context.Context, key, old string, sess *keystore.Session) (bool, error) {
	h := hex.EncodeToString(sess.Digest)
	st, err := s.status(ctx, "delete session", sDeleteOwned,
		[]string{key, s.k.userSessions(sess.UserID), s.k.sessExp},
		old, h, expMember(h, sess.UserID))
	if err != nil {
		return false, err
	}
	switch st {
	case stOK:
		return true, nil
	case stNotFound:
		return false, errSessionNotFound
	case stChanged:
		return false, nil
	}
	return false, unexpected("delete session", st)
}

// DeleteUserSessions removes every session of userID except keep (nil
// keeps none) in one script and reports how many went.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string, keep []byte) (int, error) {
	if err := s.begin(ctx); err != nil {
		return 0, err
	}
	if !keystore.ValidID(userID) {
		return 0, nil
	}
	keepHex := ""
	if len(keep) > 0 && len(keep) <= maxDigestLen {
		keepHex = hex.EncodeToString(keep)
	}
	n, err := s.status(ctx, "delete user sessions", sDeleteUserSessions,
		[]string{s.k.userSessions(userID), s.k.sessExp}, s.k.base, userID, keepHex)
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// ListUserSessions returns copies of the user's sessions in digest order.
func (s *Store) ListUserSessions(ctx context.Context, userID string) ([]*keystore.Session, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	if !keystore.ValidID(userID) {
		return nil, nil
	}
	out, err := listUserRecords(ctx, s, "list sessions", "sessions", s.k.userSessions(userID), famSession, userID,
		decodeSession, func(r *keystore.Session) string { return r.UserID })
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].Digest, out[j].Digest) < 0 })
	return out, nil
}

// listUserRecords reads a per-user index and decodes every record, which
// must belong to userID (a record owned by someone else is corrupt); what
// names the records in errors.
func listUserRecords[T any](ctx context.Context, s *Store, op, what, index, family, userID string,
	decode func(string) (*T, error), owner func(*T) string) ([]*T, error) {
	vals, err := s.listOwned(ctx, op, index, family)
	if err != nil {
		return nil, err
	}
	out := make([]*T, 0, len(vals))
	for _, v := range vals {
		rec, err := decode(v)
		if err == nil && owner(rec) != userID {
			err = errCorrupt
		}
		if err != nil {
			return nil, fmt.Errorf("keystore/redis: %s of user %s: %w", what, userID, err)
		}
		out = append(out, rec)
	}
	return out, nil
}

// listOwned returns the records of a per-user index.
func (s *Store) listOwned(ctx context.Context, op, index, family string) ([]string, error) {
	raw, err := sListOwned.Run(ctx, s.c, []string{index}, s.k.base, family).Slice()
	if err != nil {
		return nil, s.fail(op, err)
	}
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		v, ok := r.(string)
		if !ok {
			return nil, fmt.Errorf("keystore/redis: %s: %w", op, errCorrupt)
		}
		out = append(out, v)
	}
	return out, nil
}

// purgeBatch is how many expiry index entries one purge script visits.
const purgeBatch = 512

// PurgeExpiredSessions removes sessions whose ExpiresAt is set and not
// after now, and reports how many went. Index entries whose record Redis
// already dropped are cleaned up without being counted.
func (s *Store) PurgeExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	cut := floorMs(now)
	n := 0
	// Entries scored below now's millisecond expired for certain.
	for {
		if err := s.begin(ctx); err != nil {
			return n, err
		}
		res, err := sPurgeBelow.Run(ctx, s.c, []string{s.k.sessExp}, s.k.base, cut-1, purgeBatch).Int64Slice()
		if err != nil {
			return n, s.fail("purge sessions", err)
		}
		if len(res) != 2 {
			return n, fmt.Errorf("keystore/redis: purge sessions: %w", errCorrupt)
		}
		n += int(res[0])
		if res[1] < purgeBatch {
			break
		}
	}
	// Entries in now's own millisecond need the exact time.
	members, err := s.c.ZRangeByScore(ctx, s.k.sessExp, &goredis.ZRangeBy{Min: strconv.FormatInt(cut, 10), Max: strconv.FormatInt(cut, 10)}).Result()
	if err != nil {
		return n, s.fail("purge sessions", err)
	}
	for _, m := range members {
		h, _, ok := strings.Cut(m, ":")
		digest, err := hex.DecodeString(h)
		if !ok || err != nil || len(digest) == 0 || len(digest) > maxDigestLen {
			return n, fmt.Errorf("keystore/redis: purge sessions: %w", errCorrupt)
		}
		gone, err := s.purgeOne(ctx, digest, m, now)
		if err != nil {
			return n, err
		}
		if gone {
			n++
		}
	}
	return n, nil
}

// purgeOne deletes the session if it expired by now; member is its
// expiry index entry, dropped on its own when Redis already dropped the
// record.
func (s *Store) purgeOne(ctx context.Context, digest []byte, member string, now time.Time) (bool, error) {
	for i := 0; i < casAttempts; i++ {
		if err := s.begin(ctx); err != nil {
			return false, err
		}
		key, old, sess, err := s.readSession(ctx, digest)
		if isNotFound(err) {
			return false, s.fail("purge sessions", s.c.ZRem(ctx, s.k.sessExp, member).Err())
		}
		if err != nil {
			return false, err
		}
		if sess.ExpiresAt.IsZero() || sess.ExpiresAt.After(now) {
			return false, nil
		}
		done, err := s.deleteSession(ctx, key, old, sess)
		if isNotFound(err) {
			return false, nil
		}
		if err != nil || done {
			return done, err
		}
	}
	return false, errBusy
}
