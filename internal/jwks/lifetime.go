package jwks

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// lifetime is how long a fetched set may be used before it expires:
// Cache-Control max-age (less Age), else Expires (against Date, else now),
// clamped to [min, max]. no-store, no-cache, an invalid value or no
// caching headers at all give min.
func lifetime(h http.Header, now time.Time, min, max time.Duration) time.Duration {
	ttl, ok := headerLifetime(h, now)
	if !ok || ttl < min {
		return min
	}
	if ttl > max {
		return max
	}
	return ttl
}

// maxSeconds caps header values before they become Durations (no overflow).
const maxSeconds = 1 << 32

func headerLifetime(h http.Header, now time.Time) (time.Duration, bool) {
	maxAge := int64(-1)
	for _, v := range h.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store", "no-cache":
				return 0, false
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(val), `"`), 10, 64)
				if err != nil || n < 0 {
					return 0, false
				}
				maxAge = min(n, maxSeconds)
			}
		}
	}
	if maxAge >= 0 {
		if age, err := strconv.ParseInt(h.Get("Age"), 10, 64); err == nil && age > 0 {
			maxAge -= min(age, maxSeconds)
		}
		return time.Duration(maxAge) * time.Second, true
	}
	if e := h.Get("Expires"); e != "" {
		exp, err := http.ParseTime(e)
		if err != nil {
			return 0, false
		}
		base := now
		if d, err := http.ParseTime(h.Get("Date")); err == nil {
			base = d
		}
		return exp.Sub(base), true
	}
	return 0, false
}
