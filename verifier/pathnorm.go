package verifier

import "unicode/utf8"

// Path normalisation (SPEC §3.3). The result is what access rules match on.
//
// normalizePath writes the normal form of the raw path raw (no query, no
// fragment) to dst[:0] and returns it, using tmp as working space. ok is
// false when the path must be refused: an encoded '/', '\' or NUL, a raw
// backslash, NUL or other control byte, or a malformed escape. Steps:
//   - escapes of unreserved characters (A-Z a-z 0-9 - . _ ~) are decoded,
//     and so are escapes that together encode one valid UTF-8 character
//     ("%C3%A9" and a raw "é" are one resource); other escapes are kept
//     with upper-case hex digits;
//   - empty segments ("//") and "." segments are dropped;
//   - ".." removes the previous segment and never climbs above the root;
//   - the result always starts with '/', and keeps a trailing '/' when the
//     input had one (or ended in "." or "..").
//
// It allocates only when dst or tmp are too small.
func normalizePath(dst, tmp, raw []byte) (out, tmpOut []byte, ok bool) {
	dst = dst[:0]
	tmp = tmp[:0]
	if len(raw) == 0 || raw[0] != '/' {
		return dst, tmp, false
	}
	// Pass 1: validate and decode unreserved escapes into tmp.
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '%':
			if i+2 >= len(raw) {
				return dst, tmp, false
			}
			hi, ok1 := unhex(raw[i+1])
			lo, ok2 := unhex(raw[i+2])
			if !ok1 || !ok2 {
				return dst, tmp, false
			}
			d := hi<<4 | lo
			switch {
			case d == '/' || d == '\\' || d < 0x20 || d == 0x7f:
				return dst, tmp, false
			case isUnreserved(d):
				tmp = append(tmp, d)
			case d >= utf8.RuneSelf:
				// An encoded UTF-8 character is the same resource as
				// the raw one: both normalise to the raw bytes.
				if n := escapedRuneLen(raw[i:]); n > 0 {
					for k := 0; k < n; k++ {
						h, _ := unhex(raw[i+3*k+1])
						l, _ := unhex(raw[i+3*k+2])
						tmp = append(tmp, h<<4|l)
					}
					i += 3*n - 1
					continue
				}
				tmp = append(tmp, '%', upperHex[hi], upperHex[lo])
			default:
				tmp = append(tmp, '%', upperHex[hi], upperHex[lo])
			}
			i += 2
		case c == '\\' || c < 0x20 || c == 0x7f:
			return dst, tmp, false
		default:
			tmp = append(tmp, c)
		}
	}
	// Pass 2: resolve segments of tmp into dst.
	trailing := false
	for i := 0; i < len(tmp); {
		// tmp[i] == '/'
		j := i + 1
		for j < len(tmp) && tmp[j] != '/' {
			j++
		}
		seg := tmp[i+1 : j]
		last := j >= len(tmp)
		switch {
		case len(seg) == 0:
			trailing = last
		case len(seg) == 1 && seg[0] == '.':
			trailing = last
		case len(seg) == 2 && seg[0] == '.' && seg[1] == '.':
			// drop the last segment of dst
			k := len(dst) - 1
			for k >= 0 && dst[k] != '/' {
				k--
			}
			if k < 0 {
				k = 0
			}
			dst = dst[:k]
			trailing = last
		default:
			dst = append(dst, '/')
			dst = append(dst, seg...)
			trailing = false
		}
		i = j
	}
	if len(dst) == 0 || trailing {
		dst = append(dst, '/')
	}
	return dst, tmp, true
}

const upperHex = "0123456789ABCDEF"

// escapedRuneLen reports how many consecutive %XX escapes at the start of
// b encode one valid UTF-8 character (2-4), or 0 when they do not.
func escapedRuneLen(b []byte) int {
	var buf [utf8.UTFMax]byte
	n := 0
	for n < utf8.UTFMax && len(b) >= 3*(n+1) && b[3*n] == '%' {
		hi, ok1 := unhex(b[3*n+1])
		lo, ok2 := unhex(b[3*n+2])
		if !ok1 || !ok2 {
			break
		}
		buf[n] = hi<<4 | lo
		n++
		if utf8.FullRune(buf[:n]) {
			r, size := utf8.DecodeRune(buf[:n])
			if r == utf8.RuneError || size != n || size < 2 {
				return 0
			}
			return n
		}
	}
	return 0
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
