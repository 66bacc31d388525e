package serve

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/keystore"
)

type purgeStore struct {
	keystore.Store
	n    int
	err  error
	seen []time.Time
}

func (p *purgeStore) PurgeExpiredSessions(_ context.Context, now time.Time) (int, error) {
	p.seen = append(p.seen, now)
	return p.n, p.err
}

// TestJanitorPurgesDenylistEvenWhenSessionPurgeFails: one failed purge
// neither stops the other nor hides itself from the log.
func TestJanitorPurgesDenylistEvenWhenSessionPurgeFails(t *testing.T) {
	now := time.Unix(1700000000, 0)
	cases := []struct {
		name        string
		sessionErr  error
		denyErr     error
		withDeny    bool
		wantLog     []string
		wantDenyRun bool
	}{
		{"both fine", nil, nil, true, nil, true},
		{"sessions fail", errors.New("disk"), nil, true, []string{"purge expired sessions failed"}, true},
		{"denylist fails", nil, errors.New("disk"), true, []string{"purge expired denylist entries failed"}, true},
		{"no denylist purge (redis)", nil, nil, false, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := &purgeStore{n: 1, err: tc.sessionErr}
			var denyRuns []time.Time
			c := &app.Core{Store: st}
			if tc.withDeny {
				c.PurgeDenylist = func(_ context.Context, at time.Time) (int, error) {
					denyRuns = append(denyRuns, at)
					return 1, tc.denyErr
				}
			}
			logs := &syncBuffer{}
			s := &Server{core: c, log: zerolog.New(logs)}
			s.purge(context.Background(), now)
			if len(st.seen) != 1 || !st.seen[0].Equal(now) {
				t.Fatalf("session purge calls %v, want one at %v", st.seen, now)
			}
			if (len(denyRuns) == 1) != tc.wantDenyRun {
				t.Fatalf("denylist purge calls %v, want run=%t", denyRuns, tc.wantDenyRun)
			}
			for _, w := range tc.wantLog {
				if !strings.Contains(logs.String(), w) {
					t.Fatalf("log lacks %q:\n%s", w, logs)
				}
			}
			if tc.wantLog == nil && strings.Contains(logs.String(), "failed") {
				t.Fatalf("unexpected failure logged:\n%s", logs)
			}
		})
	}
}

// TestJanitorStopsWithItsContext: the loop purges on its ticks and
// returns once the server's context ends.
func TestJanitorStopsWithItsContext(t *testing.T) {
	st := &purgeStore{}
	s := &Server{core: &app.Core{Store: st}, log: zerolog.Nop()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.janitor(ctx, time.Millisecond)
		close(done)
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("janitor did not stop")
	}
	if len(st.seen) == 0 {
		t.Fatal("janitor never purged")
	}
}
