package errcode

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestDesignDocListsEveryCode prevents the documented list of error codes
// in docs/design.md ("Error codes") from drifting from the table.
func TestDesignDocListsEveryCode(t *testing.T) {
	b, err := os.ReadFile("../../docs/design.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, "\n## Error codes\n")
	if i < 0 {
		t.Fatal(`docs/design.md has no "## Error codes" section`)
	}
	sec := doc[i+1:]
	if j := strings.Index(sec[3:], "\n## "); j >= 0 {
		sec = sec[:j+3]
	}
	row := regexp.MustCompile("(?m)^\\| `([A-Z_]+)` \\| ([0-9]{3}) \\|$")
	var got []Entry
	for _, m := range row.FindAllStringSubmatch(sec, -1) {
		s, _ := strconv.Atoi(m[2])
		got = append(got, Entry{m[1], s})
	}
	want := All()
	if len(got) != len(want) {
		t.Errorf("docs list %d codes, table has %d", len(got), len(want))
	}
	for k := 0; k < len(got) && k < len(want); k++ {
		if got[k] != want[k] {
			t.Errorf("row %d: docs %v, table %v", k, got[k], want[k])
		}
	}
}

// TestCodesAreUniqueAndUpperCase prevents two entries for one code (the
// second status would silently win).
func TestCodesAreUniqueAndUpperCase(t *testing.T) {
	seen := map[string]bool{}
	ok := regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	for _, e := range All() {
		if seen[e.Code] {
			t.Errorf("duplicate code %s", e.Code)
		}
		seen[e.Code] = true
		if !ok.MatchString(e.Code) || e.Status < 400 || e.Status > 599 {
			t.Errorf("bad entry %v", e)
		}
		if Status(e.Code) != e.Status || !Known(e.Code) {
			t.Errorf("lookup of %s", e.Code)
		}
	}
	if Known("NO_SUCH_CODE") || Status("NO_SUCH_CODE") != 0 {
		t.Error("unknown code is known")
	}
}
