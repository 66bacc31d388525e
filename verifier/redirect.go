package verifier

// appendOriginalURL appends scheme://host/path?query of the original
// request; it reports false when the scheme is unknown.
func appendOriginalURL(dst []byte, o *original) ([]byte, bool) {
	if len(o.scheme) == 0 {
		return dst, false
	}
	dst = append(dst, o.scheme...)
	dst = append(dst, "://"...)
	dst = append(dst, o.hostRaw...)
	dst = append(dst, o.path...)
	if len(o.query) > 0 {
		dst = append(dst, '?')
		dst = append(dst, o.query...)
	}
	return dst, true
}

// appendQueryEscape appends s escaped for a query value (only unreserved
// characters stay bare).
func appendQueryEscape(dst, s []byte) []byte {
	for _, c := range s {
		if isUnreserved(c) {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
	}
	return dst
}
