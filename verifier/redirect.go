package verifier

import (
	"bytes"
	"unicode/utf8"
)

// maxRedirectLen bounds an rd target.
const maxRedirectLen = 4096

// redirectPolicy decides which URLs may be sent back as "rd" (SPEC §3.4,
// §10 "Redirects"): https on cookie.domain or a sub-domain of it, or on the
// public_url host; in development also http on a loopback host with any
// port. Userinfo, "//" after the authority, backslashes, control bytes,
// encoded '/', '\' or control bytes, and malformed escapes are refused.
type redirectPolicy struct {
	dev          bool
	cookieDomain string // lower-case, no leading dot; "" for none
	publicHost   string // lower-case host of public_url without port
}

func (p *redirectPolicy) valid(u []byte) bool {
	if len(u) == 0 || len(u) > maxRedirectLen {
		return false
	}
	var rest []byte
	https := false
	switch {
	case hasPrefixFold(u, "https://"):
		rest, https = u[len("https://"):], true
	case p.dev && hasPrefixFold(u, "http://"):
		rest = u[len("http://"):]
	default:
		return false
	}
	ascii := true
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case c <= 0x20 || c == 0x7f || c == '\\':
			return false
		case c >= 0x80:
			ascii = false
		case c == '%':
			if i+2 >= len(u) {
				return false
			}
			hi, ok1 := unhex(u[i+1])
			lo, ok2 := unhex(u[i+2])
			if !ok1 || !ok2 {
				return false
			}
			d := hi<<4 | lo
			// Encoded separators, control bytes and double encoding are
			// how encoded schemes and hosts get past naive checks.
			if d < 0x20 || d == 0x7f || d == '/' || d == '\\' || d == '%' {
				return false
			}
			i += 2
		}
	}
	if !ascii && !utf8.Valid(u) {
		return false
	}
	end := authorityEnd(rest)
	authority, tail := rest[:end], rest[end:]
	if bytes.IndexByte(authority, '@') >= 0 || bytes.IndexByte(authority, '%') >= 0 || !validHost(authority) {
		return false
	}
	if len(tail) >= 2 && tail[0] == '/' && tail[1] == '/' {
		return false
	}
	if len(tail) > 0 && tail[0] != '/' && tail[0] != '?' && tail[0] != '#' {
		return false
	}
	var hb [maxHostLen]byte
	host := appendHostForMatch(hb[:0], authority)
	if https {
		if p.publicHost != "" && string(host) == p.publicHost {
			return true
		}
		if p.cookieDomain != "" {
			if string(host) == p.cookieDomain {
				return true
			}
			n := len(p.cookieDomain)
			if len(host) > n+1 && host[len(host)-n-1] == '.' && string(host[len(host)-n:]) == p.cookieDomain {
				return true
			}
		}
		return false
	}
	switch string(host) {
	case "localhost", "127.0.0.1", "[::1]":
		return true
	}
	return false
}

func authorityEnd(rest []byte) int {
	for i, c := range rest {
		if c == '/' || c == '?' || c == '#' {
			return i
		}
	}
	return len(rest)
}

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
