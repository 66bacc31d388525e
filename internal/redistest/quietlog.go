package redistest

import (
	"context"
	"fmt"
	"log"
	"os"
	"testing"

	goredis "github.com/redis/go-redis/v9"
)

// QuietClientLog silences go-redis's own log (a Sentinel client prints a
// line each time it asks the sentinels for the primary) until tb ends,
// so that benchmark output stays one line per result; afterwards it
// logs to stderr again. go-redis's logger is process-wide: only
// benchmarks, which never run in parallel with tests, should call it.
func QuietClientLog(tb testing.TB) {
	goredis.SetLogger(discardLog{})
	tb.Cleanup(func() { goredis.SetLogger(stderrLog{log.New(os.Stderr, "redis: ", log.LstdFlags)}) })
}

type discardLog struct{}

func (discardLog) Printf(context.Context, string, ...any) {}

type stderrLog struct{ l *log.Logger }

func (s stderrLog) Printf(_ context.Context, format string, v ...any) {
	_ = s.l.Output(2, fmt.Sprintf(format, v...))
}
