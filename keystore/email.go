package keystore

import "strings"

// FoldEmail is the case-folded form under which email uniqueness and
// lookups work.
func FoldEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}
