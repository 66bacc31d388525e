package signing

import (
	"bytes"
	"slices"
	"sync"
	"unicode/utf8"
)

// LSA1EmptyBodySHA256 is the lower-case hex SHA-256 of an empty body.
const LSA1EmptyBodySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// LSA1Input is the request data a canonical request is built from. All
// slices are only read during LSA1Canonical.
type LSA1Input struct {
	// Method as sent; it is upper-cased (ASCII) in the canon.
	Method []byte
	// RawPath is the path exactly as sent, without the query.
	RawPath []byte
	// RawQuery is the query exactly as sent, without the "?".
	RawQuery []byte
	// Host, when not nil, is the value of the "host" line: the original
	// request's host as the proxy dialect reports it (docs/design.md "Signed requests"). When nil,
	// Header("host") is used.
	Host []byte
	// SignedHeaders is the raw ";"-separated list from the Authorization
	// header (LSA1Authorization.SignedHeaders).
	SignedHeaders []byte
	// Header returns every value of the header with the given lower-case
	// name, in the order received; nil or empty when absent. A nil Header
	// means no headers.
	Header func(name []byte) [][]byte
	// BodySHA256Hex is the last canon line: the lower-case hex SHA-256 of the
	// body, or (when the proxy does not forward bodies) the signed
	// X-Auth-Content-SHA256 value. Empty means the hash of an empty body.
	BodySHA256Hex []byte
}

// LSA1Canonical appends the canonical request of in to dst (docs/design.md "Signed requests"):
//
//	METHOD            upper-cased
//	path              raw bytes; A-Z a-z 0-9 - . _ ~ / and % kept (existing
//	                  escapes kept as sent, in their case), every other byte
//	                  %XX with upper-case hex
//	query             split on "&" (empty pieces dropped), each piece split at
//	                  its first "=" (none: blank value); "+" decodes to a space
//	                  and %XX to its byte (an invalid escape or invalid UTF-8
//	                  after decoding is ErrLSA1Query); pairs sorted by decoded
//	                  name then value (byte order, which is code-point order
//	                  for UTF-8); both sides re-encoded with only A-Z a-z 0-9
//	                  - . _ ~ bare (upper-case hex); "name=value" joined by "&"
//	name:value        one line per signed header, in the declared order; the
//	                  value is each received value with leading and trailing
//	                  white space removed and inner runs collapsed to one
//	                  space, several values joined by ","; absent → empty
//	h1;h2;...         the signed header list as declared
//	body sha256 hex   in.BodySHA256Hex, or the empty-body hash
//
// joined by "\n" with no trailing newline.
func LSA1Canonical(dst []byte, in LSA1Input) ([]byte, error) {
	if len(in.Method) == 0 || len(in.Method) > lsaMaxMethodLen {
		return dst, ErrLSA1Method
	}
	for _, c := range in.Method {
		if !lsaLowerTchar(c) && !(c >= 'A' && c <= 'Z') {
			return dst, ErrLSA1Method
		}
	}
	if err := lsaCheckSignedHeaders(in.SignedHeaders); err != nil {
		return dst, err
	}
	body := in.BodySHA256Hex
	if len(body) == 0 {
		body = []byte(LSA1EmptyBodySHA256)
	} else if !jwtIsLowerHex(body, 64) {
		return dst, ErrLSA1BodyDigest
	}

	for _, c := range in.Method {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		dst = append(dst, c)
	}
	dst = append(dst, '\n')
	for _, c := range in.RawPath {
		if lsaPathBare(c) {
			dst = append(dst, c)
		} else {
			dst = lsaAppendEscape(dst, c)
		}
	}
	dst = append(dst, '\n')
	var err error
	if dst, err = lsaAppendQuery(dst, in.RawQuery); err != nil {
		return dst, err
	}
	dst = append(dst, '\n')
	for rest := in.SignedHeaders; ; {
		i := bytes.IndexByte(rest, ';')
		name := rest
		if i >= 0 {
			name = rest[:i]
		}
		dst = append(dst, name...)
		dst = append(dst, ':')
		var values [][]byte
		if in.Host != nil && string(name) == "host" {
			dst = AppendLSA1HeaderValue(dst, in.Host)
		} else if in.Header != nil {
			values = in.Header(name)
		}
		for k, v := range values {
			if k > 0 {
				dst = append(dst, ',')
			}
			dst = AppendLSA1HeaderValue(dst, v)
		}
		dst = append(dst, '\n')
		if i < 0 {
			break
		}
		rest = rest[i+1:]
	}
	dst = append(dst, in.SignedHeaders...)
	dst = append(dst, '\n')
	dst = append(dst, body...)
	return dst, nil
}

// AppendLSA1HeaderValue appends v normalised as in the canonical request:
// leading and trailing white space (space, tab, CR, LF, VT, FF) removed and
// every inner run of it replaced by one space.
func AppendLSA1HeaderValue(dst, v []byte) []byte {
	pending := false
	started := false
	for _, c := range v {
		if lsaSpace(c) {
			pending = started
			continue
		}
		if pending {
			dst = append(dst, ' ')
			pending = false
		}
		dst = append(dst, c)
		started = true
	}
	return dst
}

func lsaSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '\v', '\f':
		return true
	}
	return false
}

func lsaUnreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func lsaPathBare(c byte) bool { return lsaUnreserved(c) || c == '/' || c == '%' }

const lsaUpperHex = "0123456789ABCDEF"

func lsaAppendEscape(dst []byte, c byte) []byte {
	return append(dst, '%', lsaUpperHex[c>>4], lsaUpperHex[c&15])
}

// lsaPair is one decoded query pair. Both slices point into the decode
// buffer; when the buffer grows, earlier slices keep pointing at the old
// array, whose bytes never change, so they stay correct.
type lsaPair struct{ name, value []byte }

func lsaComparePairs(a, b lsaPair) int {
	if c := bytes.Compare(a.name, b.name); c != 0 {
		return c
	}
	return bytes.Compare(a.value, b.value)
}

// lsaQueryScratch is lsaAppendQuery's working space: the pairs to sort and
// their decoded bytes. It is pooled, so canonicalising a query allocates
// nothing once warm (on-stack arrays escaped to the heap on every call:
// the pairs point into the decoded bytes).
type lsaQueryScratch struct {
	pairs []lsaPair
	dec   []byte
}

var lsaQueryPool = sync.Pool{New: func() any { return new(lsaQueryScratch) }}

// lsaQueryScratchKeep bounds the decoded bytes a pooled scratch keeps.
const lsaQueryScratchKeep = 16 << 10

// lsaAppendQuery appends the canonical query of raw to dst.
func lsaAppendQuery(dst, raw []byte) ([]byte, error) {
	if len(raw) == 0 {
		return dst, nil
	}
	sc := lsaQueryPool.Get().(*lsaQueryScratch)
	dst, err := sc.appendQuery(dst, raw)
	clear(sc.pairs[:cap(sc.pairs)])
	if cap(sc.dec) <= lsaQueryScratchKeep {
		lsaQueryPool.Put(sc)
	}
	return dst, err
}

func (sc *lsaQueryScratch) appendQuery(dst, raw []byte) ([]byte, error) {
	pairs := sc.pairs[:0]
	dec := sc.dec[:0]
	defer func() { sc.pairs, sc.dec = pairs[:0], dec[:0] }()
	for rest := raw; len(rest) > 0; {
		piece := rest
		if i := bytes.IndexByte(rest, '&'); i >= 0 {
			piece, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if len(piece) == 0 {
			continue
		}
		if len(pairs) == LSA1MaxQueryPairs {
			return dst, ErrLSA1Query
		}
		name, value := piece, []byte(nil)
		if i := bytes.IndexByte(piece, '='); i >= 0 {
			name, value = piece[:i], piece[i+1:]
		}
		var ok bool
		start := len(dec)
		if dec, ok = lsaFormDecode(dec, name); !ok {
			return dst, ErrLSA1Query
		}
		mid := len(dec)
		if dec, ok = lsaFormDecode(dec, value); !ok {
			return dst, ErrLSA1Query
		}
		p := lsaPair{name: dec[start:mid:mid], value: dec[mid:len(dec):len(dec)]}
		if !utf8.Valid(p.name) || !utf8.Valid(p.value) {
			return dst, ErrLSA1Query
		}
		pairs = append(pairs, p)
	}
	slices.SortFunc(pairs, lsaComparePairs)
	for k, p := range pairs {
		if k > 0 {
			dst = append(dst, '&')
		}
		dst = lsaAppendQueryEscaped(dst, p.name)
		dst = append(dst, '=')
		dst = lsaAppendQueryEscaped(dst, p.value)
	}
	return dst, nil
}

// lsaFormDecode appends the HTML-form decoding of s: "+" is a space, %XX is
// a byte; a "%" not followed by two hex digits fails.
func lsaFormDecode(dst, s []byte) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			dst = append(dst, ' ')
		case '%':
			if i+2 >= len(s) {
				return dst, false
			}
			hi, lo := jwtHexVal(s[i+1]), jwtHexVal(s[i+2])
			if hi < 0 || lo < 0 {
				return dst, false
			}
			dst = append(dst, byte(hi<<4|lo))
			i += 2
		default:
			dst = append(dst, c)
		}
	}
	return dst, true
}

func lsaAppendQueryEscaped(dst, s []byte) []byte {
	for _, c := range s {
		if lsaUnreserved(c) {
			dst = append(dst, c)
		} else {
			dst = lsaAppendEscape(dst, c)
		}
	}
	return dst
}
