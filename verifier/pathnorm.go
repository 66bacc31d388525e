package verifier

import "unicode/utf8"

// Path normalisation (docs/design.md, "Paths"). The result is what access
// rules match on.
//
// normalizePath writes the normal form of the raw path raw (no query, no
// fragment) to dst[:0] and returns it, using tmp as working space. ok is
// false when the path must be refused with 400 REQUEST_INVALID.
//
// A path is refused when upstreams could read it as another resource than
// the one the rules see, because the common normalisers disagree on it:
// Go's path.Clean and servlet containers (Tomcat, Jetty, Spring) merge
// "//" before resolving dot segments, RFC 3986 §5.2.4 (WHATWG URL, Node)
// keeps empty segments; servlet containers strip ";params" from every
// segment before resolving, others keep them; some stacks decode twice.
// Refused:
//   - a raw or encoded ';' anywhere in the path (";jsessionid=" URLs too);
//   - a dot segment ("." or "..") after an empty segment anywhere earlier
//     in the path ("/admin//../x", "/a//b/../../c");
//   - a dot segment written with an escape ("%2e%2e", ".%2E");
//   - "%25" followed by two hex digits, also when they are escapes of
//     their own ("%25%41%41"): decoded once more it is another escape, and
//     a stack that decodes twice reads another path;
//   - an encoded '/', '\' or control byte, a raw backslash, NUL or other
//     control byte, and a malformed escape.
//
// Accepted paths are then normalised:
//   - escapes of unreserved characters (A-Z a-z 0-9 - . _ ~) are decoded,
//     and so are escapes that together encode one valid UTF-8 character
//     ("%C3%A9" and a raw "é" are one resource); other escapes are kept
//     with upper-case hex digits;
//   - empty segments ("//") and "." segments are dropped;
//   - ".." removes the previous segment and never climbs above the root;
//   - the result always starts with '/', and keeps a trailing '/' when the
//     input had one (or ended in "." or "..").
//
// For every accepted path, normalising first with path.Clean, with RFC
// 3986 remove_dot_segments or with servlet rules gives the same result
// (FuzzNormalizersAgreeOnAcceptedPaths).
//
// It allocates only when dst or tmp are too small.
func normalizePath(dst, tmp, raw []byte) (out, tmpOut []byte, ok bool) {
	dst = dst[:0]
	tmp = tmp[:0]
	if len(raw) == 0 || raw[0] != '/' {
		return dst, tmp, false
	}
	// Pass 1: validate and decode unreserved escapes into tmp. segStart
	// is where the current segment starts in tmp, segEsc whether it
	// holds a decoded escape.
	segStart, segEsc, pct := 0, false, false
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
			case d == '/' || d == '\\' || d == ';' || d < 0x20 || d == 0x7f:
				return dst, tmp, false
			case d == '%':
				tmp = append(tmp, '%', '2', '5')
				pct = true
			case isUnreserved(d):
				tmp = append(tmp, d)
				segEsc = true
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
		case c == '\\' || c == ';' || c < 0x20 || c == 0x7f:
			return dst, tmp, false
		case c == '/':
			if segEsc && isDotSegment(tmp[segStart:]) {
				return dst, tmp, false
			}
			tmp = append(tmp, c)
			segStart, segEsc = len(tmp), false
		default:
			tmp = append(tmp, c)
		}
	}
	if segEsc && isDotSegment(tmp[segStart:]) {
		return dst, tmp, false
	}
	if pct && hasEscapedEscape(tmp) {
		return dst, tmp, false
	}
	// Pass 2: resolve segments of tmp into dst.
	trailing := false
	sawEmpty := false
	for i := 0; i < len(tmp); {
		// tmp[i] == '/'
		j := i + 1
		for j < len(tmp) && tmp[j] != '/' {
			j++
		}
		seg := tmp[i+1 : j]
		last := j >= len(tmp)
		if sawEmpty && isDotSegment(seg) {
			// "/a//b/../../c" is "/c" to path.Clean and "/a/c" to
			// RFC 3986: refuse rather than pick one.
			return dst, tmp, false
		}
		switch {
		case len(seg) == 0:
			trailing = last
			if !last {
				sawEmpty = true
			}
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

// isDotSegment reports whether seg is "." or "..".
func isDotSegment(seg []byte) bool {
	return len(seg) == 1 && seg[0] == '.' || len(seg) == 2 && seg[0] == '.' && seg[1] == '.'
}

// hasEscapedEscape reports whether b holds "%25" followed by two hex
// digits: decoded once more it is another escape. It runs on the output
// of pass 1, so "%25%41%41" (which decodes to "%25AA") is caught too.
func hasEscapedEscape(b []byte) bool {
	for i := 0; i+4 < len(b); i++ {
		if b[i] == '%' && b[i+1] == '2' && b[i+2] == '5' && isHex(b[i+3]) && isHex(b[i+4]) {
			return true
		}
	}
	return false
}

func isHex(c byte) bool {
	_, ok := unhex(c)
	return ok
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
