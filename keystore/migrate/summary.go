package migrate

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// WriteSummary prints the copy counts, the conflicts kept and the
// verification table.
func (r *Report) WriteSummary(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "kind\tcopied\talready there\tconflicts\texpired, not copied")
	for k := Kind(0); k < nKinds; k++ {
		t := r.Tally[k]
		skipped := fmt.Sprint(t.Skipped)
		if k == Denylist {
			skipped = "-" // Deny is idempotent: every entry is written
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\n", k, t.Copied, skipped, t.Conflicts, t.Expired)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "copy took %s\n", r.CopyTime.Round(time.Millisecond))
	if r.SharedDenylist {
		fmt.Fprintln(w, "denylist and markers: both sides keep them in one store (the same shared Redis); nothing to copy")
	}
	if r.MarkersNotKept {
		fmt.Fprintln(w, "markers: the destination keeps them in process memory (shared.backend memory); not copied")
	}
	for _, c := range r.Conflicts {
		fmt.Fprintf(w, "conflict: %s %s: %s\n", c.Kind, c.ID, c.Reason)
	}
	if n := r.ConflictCount(); n > int64(len(r.Conflicts)) {
		fmt.Fprintf(w, "conflict: ... %d more\n", n-int64(len(r.Conflicts)))
	}
	if !r.Verified {
		fmt.Fprintln(w, "verification: not finished (run the same command again)")
		return
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "verification\tsource\tdestination\t")
	for k := Kind(0); k < nKinds; k++ {
		if r.Source[k] < 0 && r.Dest[k] < 0 {
			continue
		}
		verdict := "ok"
		switch {
		case r.Source[k] < 0 || r.Dest[k] < 0:
			verdict = "not compared"
		case r.Source[k] != r.Dest[k] && k == Markers:
			verdict = "differs (ephemeral: not checked)"
		case r.Source[k] != r.Dest[k]:
			verdict = "MISMATCH"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k, countText(r.Source[k]), countText(r.Dest[k]), verdict)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "verification took %s\n", r.VerifyTime.Round(time.Millisecond))
}

func countText(n int) string {
	if n < 0 {
		return "-"
	}
	return fmt.Sprint(n)
}
