package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/keystore"
)

func runConcurrency(t *testing.T, newStore NewStore) {
	t.Run("ParallelWritersAllLand", func(t *testing.T) {
		s := newStore(t)
		const writers, each = 8, 50
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		ids := make([][]string, writers)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < each; i++ {
					u := newUser(t, fmt.Sprintf("w%d-u%d@example.test", w, i))
					if err := s.CreateUser(ctx(), u); err != nil {
						errs <- err
						continue
					}
					ids[w] = append(ids[w], u.ID)
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("CreateUser: %v", err)
		}
		n, err := s.CountUsers(ctx())
		noErr(t, "CountUsers", err)
		if n != writers*each {
			t.Errorf("CountUsers = %d, want %d", n, writers*each)
		}
		list, err := s.ListUsers(ctx(), 0, 0)
		noErr(t, "ListUsers", err)
		if len(list) != writers*each {
			t.Errorf("ListUsers returned %d, want %d", len(list), writers*each)
		}
		for w := range ids {
			for _, id := range ids[w] {
				if _, err := s.GetUser(ctx(), id); err != nil {
					t.Errorf("GetUser after parallel create: %v", err)
				}
			}
		}
	})

	t.Run("RacingSameEmailExactlyOneWins", func(t *testing.T) {
		s := newStore(t)
		for round := 0; round < 5; round++ {
			const racers = 16
			email := fmt.Sprintf("race%d@example.test", round)
			var (
				wg      sync.WaitGroup
				start   = make(chan struct{})
				mu      sync.Mutex
				winners []string
				others  []error
			)
			for r := 0; r < racers; r++ {
				wg.Add(1)
				go func(r int) {
					defer wg.Done()
					// Vary the case: the folded email is the unique key.
					typed := email
					if r%2 == 1 {
						typed = strings.ToUpper(email)
					}
					u := newUser(t, typed)
					<-start
					err := s.CreateUser(ctx(), u)
					mu.Lock()
					defer mu.Unlock()
					if err == nil {
						winners = append(winners, u.ID)
					} else {
						others = append(others, err)
					}
				}(r)
			}
			close(start)
			wg.Wait()
			if len(winners) != 1 {
				t.Fatalf("round %d: %d winners, want exactly 1", round, len(winners))
			}
			for _, err := range others {
				if !errors.Is(err, keystore.ErrDuplicate) {
					t.Errorf("round %d: loser err = %v, want ErrDuplicate", round, err)
				}
			}
			got, err := s.GetUserByEmail(ctx(), email)
			noErr(t, "GetUserByEmail", err)
			if got.ID != winners[0] {
				t.Errorf("round %d: email maps to %s, not the winner %s", round, got.ID, winners[0])
			}
		}
		n, err := s.CountUsers(ctx())
		noErr(t, "CountUsers", err)
		if n != 5 {
			t.Errorf("CountUsers = %d after 5 races, want 5", n)
		}
	})

	t.Run("RacingSameSessionDigestExactlyOneWins", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "sessrace@example.test")
		digest := randomDigest(t)
		var wg sync.WaitGroup
		results := make(chan error, 16)
		start := make(chan struct{})
		for r := 0; r < 16; r++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sess := newSession(t, u.ID)
				sess.Digest = append([]byte(nil), digest...)
				<-start
				results <- s.CreateSession(ctx(), sess)
			}()
		}
		close(start)
		wg.Wait()
		close(results)
		wins := 0
		for err := range results {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, keystore.ErrDuplicate):
				t.Errorf("loser err = %v, want ErrDuplicate", err)
			}
		}
		if wins != 1 {
			t.Errorf("%d winners, want exactly 1", wins)
		}
	})
}

func runLifecycle(t *testing.T, newStore NewStore) {
	t.Run("PingOnOpenStore", func(t *testing.T) {
		s := newStore(t)
		noErr(t, "Ping", s.Ping(ctx()))
	})

	t.Run("CanceledContextIsRefused", func(t *testing.T) {
		s := newStore(t)
		c, cancel := context.WithCancel(ctx())
		cancel()
		u := newUser(t, "canceled@example.test")
		if err := s.CreateUser(c, u); err == nil {
			t.Errorf("CreateUser with a canceled context succeeded")
		}
		if _, err := s.GetUser(ctx(), u.ID); !isNotFound(err) {
			t.Errorf("a write with a canceled context landed: err = %v", err)
		}
	})

	t.Run("ClosedStoreFailsClosed", func(t *testing.T) {
		s := newStore(t)
		u := mustCreateUser(t, s, "closed@example.test")
		noErr(t, "Close", s.Close())
		_, err := s.GetUser(ctx(), u.ID)
		wantErr(t, "GetUser after Close", err, keystore.ErrClosed)
		wantErr(t, "CreateUser after Close", s.CreateUser(ctx(), newUser(t, "late@example.test")), keystore.ErrClosed)
		wantErr(t, "Ping after Close", s.Ping(ctx()), keystore.ErrClosed)
		denied, err := s.IsDenied(ctx(), []byte("jti"))
		if err == nil {
			t.Errorf("IsDenied after Close = %v with no error; a closed store must not answer", denied)
		}
		wantErr(t, "IsDenied after Close", err, keystore.ErrClosed)
	})
}
