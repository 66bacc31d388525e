package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/rs/zerolog"

	"github.com/gatehouse/gatehouse/config"
)

// NewLogger builds the process logger: console in development, JSON in
// production (log.format overrides), at log.level (default info).
func NewLogger(cfg *config.Config, w io.Writer) zerolog.Logger {
	level, err := zerolog.ParseLevel(cfg.Log.Level)
	if err != nil || cfg.Log.Level == "" {
		level = zerolog.InfoLevel
	}
	out := w
	if cfg.LogFormat() == "console" {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339}
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger()
}

// RedisLogger sends go-redis's own messages (dial failures; they name the
// address, never the password) through l; install it with
// goredis.SetLogger.
type RedisLogger struct{ L zerolog.Logger }

// Printf logs one go-redis message as a warning.
func (r RedisLogger) Printf(_ context.Context, format string, v ...any) {
	r.L.Warn().Msg(fmt.Sprintf(format, v...))
}
