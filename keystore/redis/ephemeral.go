package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// The shared ephemeral state: denylist entries, single-use markers and
// rate-limit counters. Each lives in one key with a Redis expiry, so
// nothing needs sweeping, and every operation is one atomic command or
// script on that key.

var errKey = fmt.Errorf("keystore/redis: key must be 1..%d bytes", MaxKeyLen)

// durMs is d in whole milliseconds, rounded up so that an entry never
// lives shorter than asked, and at least 1.
func durMs(d time.Duration) int64 {
	ms := int64(d / time.Millisecond)
	if d%time.Millisecond != 0 {
		ms++
	}
	return max(ms, 1)
}

// Deny records id as revoked until until and publishes id on the
// revocation channel in the same script. A later until extends an entry;
// an earlier one never shortens it. An until that has already passed
// (by Options.Clock) stores and publishes nothing.
func (s *Store) Deny(ctx context.Context, id string, until time.Time) error {
	if id == "" || len(id) > MaxKeyLen {
		return errKey
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	if !until.After(s.now()) {
		return nil
	}
	pxat := strconv.FormatInt(ceilMs(until), 10)
	_, err := s.status(ctx, "deny", sDeny, []string{s.k.deny + id}, pxat, s.k.revocate, id)
	return err
}

// IsDenied reports whether id holds a live denylist entry. Any failure
// to ask is an error, never a "not denied".
func (s *Store) IsDenied(ctx context.Context, id []byte) (bool, error) {
	if err := s.begin(ctx); err != nil {
		return false, err
	}
	if len(id) == 0 || len(id) > MaxKeyLen {
		return false, nil
	}
	n, err := s.c.Exists(ctx, s.k.deny+string(id)).Result()
	if err != nil {
		return false, s.fail("is denied", err)
	}
	return n > 0, nil
}

// SetIfAbsent sets key for ttl (rounded up to a millisecond) and reports
// true, or reports false when the key is already set. Concurrent callers
// on any replica get exactly one true.
func (s *Store) SetIfAbsent(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if key == "" || len(key) > MaxKeyLen {
		return false, errKey
	}
	if ttl <= 0 {
		return false, errors.New("keystore/redis: marker ttl must be positive")
	}
	if err := s.begin(ctx); err != nil {
		return false, err
	}
	ok, err := s.setNX(ctx, s.k.mark+key, time.Duration(durMs(ttl))*time.Millisecond).Result()
	if err != nil {
		return false, s.fail("set marker", err)
	}
	return ok, nil
}

// Incr counts one hit on key in its current window and returns the count
// and the time until the window resets. A window starts with the first
// hit after the previous one ended and lasts window (rounded up to a
// millisecond), measured by the Redis server's clock.
func (s *Store) Incr(ctx context.Context, key string, window time.Duration) (int64, time.Duration, error) {
	if key == "" || len(key) > MaxKeyLen {
		return 0, 0, errKey
	}
	if window <= 0 {
		return 0, 0, errors.New("keystore/redis: counter window must be positive")
	}
	if err := s.begin(ctx); err != nil {
		return 0, 0, err
	}
	wms := durMs(window)
	res, err := sIncr.Run(ctx, s.c, []string{s.k.ctr + key}, wms).Int64Slice()
	if err != nil {
		return 0, 0, s.fail("incr", err)
	}
	if len(res) != 2 || res[0] < 1 {
		return 0, 0, fmt.Errorf("keystore/redis: incr: %w", errCorrupt)
	}
	ttl := res[1]
	if ttl < 0 || ttl > wms {
		// No expiry (a racing PERSIST from outside) or a longer one than
		// asked: report the full window rather than a wrong reset.
		ttl = wms
	}
	return res[0], time.Duration(ttl) * time.Millisecond, nil
}
