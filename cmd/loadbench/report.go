package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// settings describes the run, for the report's header.
type settings struct {
	Threads         int     `json:"wrk_threads"`
	Conns           int     `json:"wrk_connections"`
	WarmupSeconds   int     `json:"warmup_seconds"`
	MeasuredSeconds int     `json:"measured_seconds"`
	Endpoint        string  `json:"endpoint"`
	CPUs            int     `json:"cpus"`
	WrkVersion      string  `json:"wrk_version"`
	GoVersion       string  `json:"go_version"`
	MaxDrift        float64 `json:"max_noop_drift"`
}

type report struct {
	Settings settings `json:"settings"`
	Passes   []pass   `json:"passes"`
}

func (r report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// writeMarkdown prints one table per pass.
func (r report) writeMarkdown(w io.Writer) {
	s := r.Settings
	fmt.Fprintf(w, "gatehouse load benchmark: `wrk -t%d -c%d --latency`, %d s warm-up + %d s measured per row, `GET %s` with the five X-Forwarded-* headers, %d CPUs, %s, %s\n",
		s.Threads, s.Conns, s.WarmupSeconds, s.MeasuredSeconds, s.Endpoint, s.CPUs, s.WrkVersion, s.GoVersion)
	for _, p := range r.Passes {
		attempts := "1 attempt"
		if p.Attempts > 1 {
			attempts = fmt.Sprintf("%d attempts; rejected drifts %s", p.Attempts, percents(p.RejectedDrift))
		}
		fmt.Fprintf(w, "\n### Pass %d (no-op drift %.1f %%, %s)\n\n", p.Pass, p.Drift*100, attempts)
		if p.DriftExceeded {
			fmt.Fprintf(w, "**Unstable: the no-op moved more than %.0f %% between its first and last run on every attempt; do not trust the ratios of this pass.**\n\n", s.MaxDrift*100)
		}
		fmt.Fprintln(w, "| kind | status | req/s | ratio | server CPU µs/decision | p50 ms | p99 ms | non-2xx | RSS idle MiB | RSS load MiB |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
		for _, row := range p.Rows {
			fmt.Fprintf(w, "| %s | %d | %.0f | %.2f | %.1f | %.2f | %.2f | %d | %.0f | %.0f |\n",
				row.Label, row.ExpectedStatus, row.RPS, row.Ratio, row.CPUMicros, row.P50Millis, row.P99Millis,
				row.Non2xx, row.RSSIdleMiB, row.RSSLoadMiB)
		}
	}
}

func percents(fs []float64) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = fmt.Sprintf("%.1f %%", f*100)
	}
	return strings.Join(parts, ", ")
}
