package redirect

import "unsafe"

// bytesView reads b as a string without copying. The string is used only
// while Valid runs and never kept, so b may be changed afterwards.
func bytesView(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
