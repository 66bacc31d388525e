package redirect

import (
	"net/netip"
	"strings"
)

// MaxLen bounds a redirect target, in bytes.
const MaxLen = 4096

// maxHostLen bounds the host part of a target.
const maxHostLen = 255

// Policy is the set of hosts a redirect may go to. Build it with New.
type Policy struct {
	dev          bool
	cookieDomain string // lower-case, without a leading dot; "" for none
	publicHost   string // lower-case host of public_url without port
}

// New returns the policy of a deployment: development mode, the
// configured cookie.domain (a leading dot and case are ignored) and the
// host of public_url (url.URL.Hostname or Host: a port is ignored, an
// IPv6 address may come with or without brackets).
func New(development bool, cookieDomain, publicHost string) *Policy {
	cookieDomain = strings.ToLower(strings.TrimPrefix(cookieDomain, "."))
	publicHost = strings.ToLower(publicHost)
	if a, err := netip.ParseAddr(strings.Trim(publicHost, "[]")); err == nil && a.Is6() {
		publicHost = "[" + a.String() + "]"
	} else if h, _, ok := splitHostPort(publicHost); ok {
		publicHost = h
	}
	return &Policy{dev: development, cookieDomain: cookieDomain, publicHost: publicHost}
}

// ValidString is Valid for a string.
func (p *Policy) ValidString(u string) bool { return p.valid(u) }

// Valid reports whether u may be used as a redirect target.
func (p *Policy) Valid(u []byte) bool { return p.valid(bytesView(u)) }

func (p *Policy) valid(u string) bool {
	if len(u) == 0 || len(u) > MaxLen {
		return false
	}
	var rest string
	https := false
	switch {
	case hasPrefixFold(u, "https://"):
		rest, https = u[len("https://"):], true
	case hasPrefixFold(u, "http://"):
		rest = u[len("http://"):]
	default:
		return false
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case c <= 0x20 || c >= 0x7f || c == '\\':
			return false
		case c == '%':
			if i+2 >= len(u) {
				return false
			}
			hi, ok1 := unhex(u[i+1])
			lo, ok2 := unhex(u[i+2])
			if !ok1 || !ok2 {
				return false
			}
			// Encoded separators, control bytes and double encoding
			// are how schemes and hosts get past naive checks.
			if d := hi<<4 | lo; d < 0x20 || d == 0x7f || d == '/' || d == '\\' || d == '%' {
				return false
			}
			i += 2
		}
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if strings.HasPrefix(tail, "//") || strings.ContainsAny(authority, "@%") {
		return false
	}
	host, _, ok := splitHostPort(authority)
	if !ok {
		return false
	}
	if https {
		if p.publicHost != "" && equalFold(host, p.publicHost) {
			return true
		}
		d := p.cookieDomain
		if d == "" {
			return false
		}
		if equalFold(host, d) {
			return true
		}
		return len(host) > len(d)+1 && host[len(host)-len(d)-1] == '.' && equalFold(host[len(host)-len(d):], d)
	}
	if !p.dev {
		return false
	}
	return IsLoopbackHost(host)
}

// IsLoopbackHost reports whether h (a host without port; an IPv6 address
// with or without brackets) is localhost, 127.0.0.1 or ::1: the hosts a
// development deployment may use over plain http.
func IsLoopbackHost(h string) bool {
	return equalFold(h, "localhost") || h == "127.0.0.1" || h == "[::1]" || h == "::1"
}

// splitHostPort splits an authority into host and port and validates
// both: a DNS name (labels of letters, digits, '-' and '_', no empty
// label, no trailing dot), an IPv4 address or a bracketed IPv6 address;
// an optional port of 1-5 digits up to 65535.
func splitHostPort(a string) (host, port string, ok bool) {
	if len(a) == 0 || len(a) > maxHostLen {
		return "", "", false
	}
	if a[0] == '[' {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return "", "", false
		}
		if _, err := netip.ParseAddr(a[1:end]); err != nil {
			return "", "", false
		}
		host, rest := a[:end+1], a[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return "", "", false
			}
			port = rest[1:]
			if !validPort(port) {
				return "", "", false
			}
		}
		return host, port, true
	}
	host = a
	if i := strings.IndexByte(a, ':'); i >= 0 {
		host, port = a[:i], a[i+1:]
		if !validPort(port) {
			return "", "", false
		}
	}
	if host == "" || host[len(host)-1] == '.' {
		return "", "", false
	}
	prev := byte('.')
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_':
		case c == '.':
			if prev == '.' {
				return "", "", false
			}
		default:
			return "", "", false
		}
		prev = c
	}
	return host, port, true
}

func validPort(p string) bool {
	if len(p) == 0 || len(p) > 5 {
		return false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
		n = n*10 + int(p[i]-'0')
	}
	return n <= 65535
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && equalFold(s[:len(prefix)], prefix)
}

// equalFold compares ASCII case-insensitively.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
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
