package signing

import (
	"unicode/utf8"
)

// A small strict JSON scanner for JWT headers and claims. It allocates
// nothing: it walks one object, records each member's name and raw value
// bytes into a caller-provided array, and rejects anything RFC 8259 does not
// allow (plus member names with escapes, duplicated member names and nesting
// deeper than jwtMaxDepth).

// jwtMaxDepth caps nesting of arrays and objects inside a header or claims
// object.
const jwtMaxDepth = 32

// Value kinds recorded by the scanner.
const (
	jwtKindString byte = iota + 1
	jwtKindNumber
	jwtKindTrue
	jwtKindFalse
	jwtKindNull
	jwtKindObject
	jwtKindArray
)

// jwtMember is one member of a scanned object. name is the raw name (names
// with escapes are refused, so raw equals decoded). For strings, value holds
// the bytes between the quotes, still escaped when escaped is set; for other
// kinds it holds the value's full text.
type jwtMember struct {
	name    []byte
	value   []byte
	kind    byte
	escaped bool
}

// jwtParseObject scans b, which must hold exactly one JSON object (white
// space around it allowed), into members. It returns the number of members.
// Errors: ErrJWTMalformed for anything that is not a valid object or has more
// than len(members) members, ErrJWTDuplicateMember for a repeated name.
func jwtParseObject(b []byte, members []jwtMember) (int, error) {
	i := jwtSkipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return 0, ErrJWTMalformed
	}
	i = jwtSkipWS(b, i+1)
	n := 0
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for {
			if i >= len(b) || b[i] != '"' {
				return 0, ErrJWTMalformed
			}
			end, escaped, ok := jwtScanString(b, i)
			if !ok || escaped {
				return 0, ErrJWTMalformed
			}
			name := b[i+1 : end-1]
			i = jwtSkipWS(b, end)
			if i >= len(b) || b[i] != ':' {
				return 0, ErrJWTMalformed
			}
			i = jwtSkipWS(b, i+1)
			if i >= len(b) {
				return 0, ErrJWTMalformed
			}
			start := i
			kind := jwtKindOf(b[i])
			end, escaped, ok = jwtScanValue(b, i, 1)
			if !ok {
				return 0, ErrJWTMalformed
			}
			if n == len(members) {
				return 0, ErrJWTMalformed
			}
			for k := 0; k < n; k++ {
				if string(members[k].name) == string(name) {
					return 0, ErrJWTDuplicateMember
				}
			}
			m := &members[n]
			m.name, m.kind, m.escaped = name, kind, escaped
			if kind == jwtKindString {
				m.value = b[start+1 : end-1]
			} else {
				m.value = b[start:end]
			}
			n++
			i = jwtSkipWS(b, end)
			if i >= len(b) {
				return 0, ErrJWTMalformed
			}
			if b[i] == '}' {
				i++
				break
			}
			if b[i] != ',' {
				return 0, ErrJWTMalformed
			}
			i = jwtSkipWS(b, i+1)
		}
	}
	if jwtSkipWS(b, i) != len(b) {
		return 0, ErrJWTMalformed
	}
	return n, nil
}

// jwtLookup returns the member called name, if present.
func jwtLookup(members []jwtMember, name string) (*jwtMember, bool) {
	for i := range members {
		if string(members[i].name) == name {
			return &members[i], true
		}
	}
	return nil, false
}

func jwtSkipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func jwtKindOf(c byte) byte {
	switch c {
	case '"':
		return jwtKindString
	case '{':
		return jwtKindObject
	case '[':
		return jwtKindArray
	case 't':
		return jwtKindTrue
	case 'f':
		return jwtKindFalse
	case 'n':
		return jwtKindNull
	default:
		return jwtKindNumber
	}
}

// jwtScanValue scans the value starting at b[i] and returns the index just
// past it. escaped reports a string value containing escapes.
func jwtScanValue(b []byte, i, depth int) (end int, escaped, ok bool) {
	if i >= len(b) {
		return 0, false, false
	}
	switch c := b[i]; {
	case c == '"':
		return jwtScanString(b, i)
	case c == '{':
		if depth >= jwtMaxDepth {
			return 0, false, false
		}
		i = jwtSkipWS(b, i+1)
		if i < len(b) && b[i] == '}' {
			return i + 1, false, true
		}
		for {
			if i >= len(b) || b[i] != '"' {
				return 0, false, false
			}
			if i, _, ok = jwtScanString(b, i); !ok {
				return 0, false, false
			}
			i = jwtSkipWS(b, i)
			if i >= len(b) || b[i] != ':' {
				return 0, false, false
			}
			if i, _, ok = jwtScanValue(b, jwtSkipWS(b, i+1), depth+1); !ok {
				return 0, false, false
			}
			i = jwtSkipWS(b, i)
			if i >= len(b) {
				return 0, false, false
			}
			if b[i] == '}' {
				return i + 1, false, true
			}
			if b[i] != ',' {
				return 0, false, false
			}
			i = jwtSkipWS(b, i+1)
		}
	case c == '[':
		if depth >= jwtMaxDepth {
			return 0, false, false
		}
		i = jwtSkipWS(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, false, true
		}
		for {
			if i, _, ok = jwtScanValue(b, i, depth+1); !ok {
				return 0, false, false
			}
			i = jwtSkipWS(b, i)
			if i >= len(b) {
				return 0, false, false
			}
			if b[i] == ']' {
				return i + 1, false, true
			}
			if b[i] != ',' {
				return 0, false, false
			}
			i = jwtSkipWS(b, i+1)
		}
	case c == 't':
		return jwtScanLiteral(b, i, "true")
	case c == 'f':
		return jwtScanLiteral(b, i, "false")
	case c == 'n':
		return jwtScanLiteral(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return jwtScanNumber(b, i)
	}
	return 0, false, false
}

func jwtScanLiteral(b []byte, i int, lit string) (int, bool, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, false, false
	}
	return i + len(lit), false, true
}

// jwtScanNumber follows RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func jwtScanNumber(b []byte, i int) (int, bool, bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return 0, false, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return 0, false, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return 0, false, false
		}
	}
	return i, false, true
}

// jwtScanString scans the string whose opening quote is b[i] and returns the
// index just past the closing quote. Control characters, invalid escapes and
// invalid UTF-8 are refused.
func jwtScanString(b []byte, i int) (end int, escaped, ok bool) {
	start := i + 1
	i++
	ascii := true
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			if !ascii && !utf8.Valid(b[start:i]) {
				return 0, false, false
			}
			return i + 1, escaped, true
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				return 0, false, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return 0, false, false
				}
				for k := i + 2; k < i+6; k++ {
					if jwtHexVal(b[k]) < 0 {
						return 0, false, false
					}
				}
				i += 6
			default:
				return 0, false, false
			}
		case c < 0x20:
			return 0, false, false
		default:
			if c >= 0x80 {
				ascii = false
			}
			i++
		}
	}
	return 0, false, false
}

func jwtHexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func jwtHex4(b []byte) rune {
	return rune(jwtHexVal(b[0])<<12 | jwtHexVal(b[1])<<8 | jwtHexVal(b[2])<<4 | jwtHexVal(b[3]))
}

// jwtUnescape appends the decoded form of raw, the validated content of a
// JSON string (between the quotes), to dst. A lone or mismatched UTF-16
// surrogate is refused. The decoded form is never longer than raw.
func jwtUnescape(dst, raw []byte) ([]byte, bool) {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		if i+1 >= len(raw) {
			return dst, false
		}
		switch raw[i+1] {
		case '"', '\\', '/':
			dst = append(dst, raw[i+1])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			if i+6 > len(raw) {
				return dst, false
			}
			r := jwtHex4(raw[i+2 : i+6])
			switch {
			case r >= 0xd800 && r < 0xdc00:
				if i+12 > len(raw) || raw[i+6] != '\\' || raw[i+7] != 'u' {
					return dst, false
				}
				lo := jwtHex4(raw[i+8 : i+12])
				if lo < 0xdc00 || lo > 0xdfff {
					return dst, false
				}
				r = (r-0xd800)<<10 | (lo - 0xdc00) + 0x10000
				i += 6
			case r >= 0xdc00 && r <= 0xdfff:
				return dst, false
			}
			dst = utf8.AppendRune(dst, r)
			i += 6
			continue
		default:
			return dst, false
		}
		i += 2
	}
	return dst, true
}

// jwtParseInt reads a NumericDate: a non-negative JSON integer of at most 18
// digits, optionally written with an all-zero fraction ("1700000000.0").
// Exponents, non-zero fractions and negative values are refused.
func jwtParseInt(raw []byte) (int64, bool) {
	var v int64
	i := 0
	for i < len(raw) && raw[i] >= '0' && raw[i] <= '9' {
		if i == 18 {
			return 0, false
		}
		v = v*10 + int64(raw[i]-'0')
		i++
	}
	if i == 0 || (raw[0] == '0' && i > 1) {
		return 0, false
	}
	if i < len(raw) {
		if raw[i] != '.' || i+1 == len(raw) {
			return 0, false
		}
		for _, c := range raw[i+1:] {
			if c != '0' {
				return 0, false
			}
		}
	}
	return v, true
}
