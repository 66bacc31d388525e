package redis

import (
	"context"
	"errors"
	"net"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse/gatehouse/keystore"
)

// RevocationWatch receives what SubscribeRevocations hears.
type RevocationWatch struct {
	// Revoked is called with every id any replica's Deny published, one
	// call at a time, from the subscription goroutine. Required.
	Revoked func(id string)
	// Subscribed is called each time the subscription is confirmed: once
	// at the start and again after every reconnect. Ids published while
	// no subscription was live are lost, so a caller that caches
	// denylist answers should drop the whole cache here. May be nil.
	Subscribed func()
}

// Subscription tuning: how long a receive waits before the connection
// is probed with a PING, and the bounds of the reconnect backoff.
const (
	subIdle       = 5 * time.Second
	subBackoffMin = 50 * time.Millisecond
	subBackoffMax = time.Second
)

// SubscribeRevocations calls fn with every id published on the
// revocation channel (<prefix>revocations) until ctx ends or the store
// is closed, reconnecting with backoff whenever the connection fails.
// It returns ctx's error, or keystore.ErrClosed after Close.
func (s *Store) SubscribeRevocations(ctx context.Context, fn func(id string)) error {
	return s.WatchRevocations(ctx, RevocationWatch{Revoked: fn})
}

// WatchRevocations is SubscribeRevocations with a hook for every
// (re)subscription; see RevocationWatch.
func (s *Store) WatchRevocations(ctx context.Context, w RevocationWatch) error {
	if w.Revoked == nil {
		return errors.New("keystore/redis: revocation watch without a Revoked func")
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopLife := context.AfterFunc(s.life, cancel)
	defer stopLife()

	backoff := subBackoffMin
	for {
		err := s.subscribeOnce(ctx, w, func() { backoff = subBackoffMin })
		if s.closed.Load() {
			return keystore.ErrClosed
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		_ = err // a failed connection: try again after the backoff
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			if s.closed.Load() {
				return keystore.ErrClosed
			}
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, subBackoffMax)
	}
}

// subscribeOnce holds one subscription until its connection fails (or
// stops answering PINGs) or ctx ends. healthy is called once the
// subscription is confirmed.
func (s *Store) subscribeOnce(ctx context.Context, w RevocationWatch, healthy func()) error {
	ps := s.c.Subscribe(ctx, s.k.revocate)
	defer ps.Close()
	// Close unblocks a receive in progress when ctx ends.
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
	defer stop()
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, subIdle)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && !pinged {
				// Quiet channel: prove the connection still answers.
				if err := ps.Ping(ctx); err != nil {
					return err
				}
				pinged = true
				continue
			}
			return err
		}
		pinged = false
		switch m := msg.(type) {
		case *goredis.Subscription:
			if m.Kind == "subscribe" && m.Channel == s.k.revocate {
				healthy()
				if w.Subscribed != nil {
					w.Subscribed()
				}
			}
		case *goredis.Message:
			if m.Channel == s.k.revocate && m.Payload != "" && len(m.Payload) <= MaxKeyLen {
				w.Revoked(m.Payload)
			}
		case *goredis.Pong:
		}
	}
}
