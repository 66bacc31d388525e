package view

import (
	"strings"
	"unicode/utf8"
)

// Clip truncates s to at most n bytes on a rune boundary and drops
// invalid UTF-8 (form values echoed back into a page).
func Clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
