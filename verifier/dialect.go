package verifier

import (
	"bytes"
	"net/netip"
	"unicode/utf8"

	"github.com/valyala/fasthttp"
)

// Dialect names the reverse proxy an endpoint speaks to (docs/design.md "Dialects").
type Dialect uint8

// Dialects.
const (
	DialectNone Dialect = iota
	DialectNginx
	DialectTraefik
	DialectCaddy
	DialectEnvoy
	DialectHAProxy
)

var dialectNames = [...]string{"", "nginx", "traefik", "caddy", "envoy", "haproxy"}

// String is the dialect's config name (as in verifier.forwards_body).
func (d Dialect) String() string {
	if int(d) < len(dialectNames) {
		return dialectNames[d]
	}
	return ""
}

// ParseDialect maps a config name to a Dialect.
func ParseDialect(s string) (Dialect, bool) {
	for i, n := range dialectNames {
		if i > 0 && n == s {
			return Dialect(i), true
		}
	}
	return DialectNone, false
}

// redirects reports whether the proxy passes the auth answer to the client,
// so a browser gets 302/303 instead of 401 (nginx maps 401 itself).
func (d Dialect) redirects() bool { return d != DialectNginx }

// Limits on forwarded request parts.
const (
	maxMethodLen = 16
	maxHostLen   = 255
	maxURILen    = 16 << 10
	envoyPrefix  = "/auth/envoy"
)

// original is the proxied request as the dialect reports it. Every slice
// points into per-request scratch space.
type original struct {
	method  []byte // upper-case
	scheme  []byte // "http", "https", or empty when the proxy did not say
	hostRaw []byte // as reported (signed-request host line)
	host    []byte // lower-case, without port (rule matching)
	path    []byte // raw path as sent
	query   []byte // raw query without '?', fragment dropped
	norm    []byte // normalised path
	normTmp []byte
}

// Request headers the verifier reads on every decision, found in one
// pass over the request (reqHeaders.scan) instead of one PeekAll each:
// PeekAll copies and normalises its key and scans every header again.
const (
	rhOriginalMethod = iota
	rhOriginalURL
	rhForwardedMethod
	rhForwardedProto
	rhForwardedHost
	rhForwardedURI
	rhAuthorization
	rhAPIKey
	rhCount
)

// reqHeaderIndex maps a header name as fasthttp stores it (normalised:
// "X-Original-Url") to its slot, or -1. TestReqHeaderNamesAreCanonical
// keeps the names in fasthttp's canonical form.
func reqHeaderIndex(k []byte) int {
	switch string(k) {
	case "X-Original-Method":
		return rhOriginalMethod
	case "X-Original-Url":
		return rhOriginalURL
	case "X-Forwarded-Method":
		return rhForwardedMethod
	case "X-Forwarded-Proto":
		return rhForwardedProto
	case "X-Forwarded-Host":
		return rhForwardedHost
	case "X-Forwarded-Uri":
		return rhForwardedURI
	case "Authorization":
		return rhAuthorization
	case "X-Api-Key":
		return rhAPIKey
	}
	return -1
}

// reqHeaders holds, per slot, the first value and how many times the
// header appeared (counting stops at 2: more than once is all that
// matters). Values point into the request; they are valid during the
// handler only.
type reqHeaders struct {
	v [rhCount][]byte
	n [rhCount]uint8
}

// scan fills r from every header of h, in one pass.
func (r *reqHeaders) scan(h *fasthttp.RequestHeader) {
	*r = reqHeaders{}
	for k, val := range h.All() {
		i := reqHeaderIndex(k)
		if i < 0 {
			continue
		}
		if r.n[i] == 0 {
			r.v[i] = val
			r.n[i] = 1
		} else {
			r.n[i] = 2
		}
	}
}

// one returns the value of a header that must appear exactly once and be
// non-empty.
func (r *reqHeaders) one(i int) ([]byte, bool) {
	if r.n[i] != 1 || len(r.v[i]) == 0 {
		return nil, false
	}
	return r.v[i], true
}

// opt returns a header that may be absent but not repeated or empty.
func (r *reqHeaders) opt(i int) (v []byte, present, ok bool) {
	switch r.n[i] {
	case 0:
		return nil, false, true
	case 1:
		if len(r.v[i]) == 0 {
			return nil, true, false
		}
		return r.v[i], true, true
	}
	return nil, true, false
}

// oneHeader returns the value of a header that must appear exactly once and
// be non-empty.
func oneHeader(h *fasthttp.RequestHeader, name string) ([]byte, bool) {
	all := h.PeekAll(name)
	if len(all) != 1 || len(all[0]) == 0 {
		return nil, false
	}
	return all[0], true
}

// optHeader returns a header that may be absent but not repeated.
func optHeader(h *fasthttp.RequestHeader, name string) (v []byte, present, ok bool) {
	all := h.PeekAll(name)
	switch len(all) {
	case 0:
		return nil, false, true
	case 1:
		if len(all[0]) == 0 {
			return nil, true, false
		}
		return all[0], true, true
	}
	return nil, true, false
}

// parseOriginal fills o from the request according to dialect d. It
// returns ReasonRequestInvalid for any missing, repeated or malformed
// part.
func parseOriginal(d Dialect, h *fasthttp.RequestHeader, o *original) Reason {
	var rh reqHeaders
	rh.scan(h)
	return parseOriginalFrom(d, h, &rh, o)
}

// parseOriginalFrom is parseOriginal on headers already scanned from h
// (h still gives Envoy's method, host and request URI, and Caddy's Host).
func parseOriginalFrom(d Dialect, h *fasthttp.RequestHeader, rh *reqHeaders, o *original) Reason {
	var method, scheme, host, uri []byte
	var ok bool
	switch d {
	case DialectNginx:
		if method, ok = rh.one(rhOriginalMethod); !ok {
			return ReasonRequestInvalid
		}
		u, ok := rh.one(rhOriginalURL)
		if !ok {
			return ReasonRequestInvalid
		}
		if scheme, host, uri, ok = splitAbsoluteURL(u); !ok {
			return ReasonRequestInvalid
		}
	case DialectTraefik, DialectHAProxy:
		if method, ok = rh.one(rhForwardedMethod); !ok {
			return ReasonRequestInvalid
		}
		if scheme, ok = rh.one(rhForwardedProto); !ok {
			return ReasonRequestInvalid
		}
		if host, ok = rh.one(rhForwardedHost); !ok {
			return ReasonRequestInvalid
		}
		if uri, ok = rh.one(rhForwardedURI); !ok {
			return ReasonRequestInvalid
		}
	case DialectCaddy:
		if method, ok = rh.one(rhForwardedMethod); !ok {
			return ReasonRequestInvalid
		}
		if uri, ok = rh.one(rhForwardedURI); !ok {
			return ReasonRequestInvalid
		}
		var present bool
		if host, present, ok = rh.opt(rhForwardedHost); !ok {
			return ReasonRequestInvalid
		}
		if !present {
			host = h.Host()
		}
		if scheme, _, ok = rh.opt(rhForwardedProto); !ok {
			return ReasonRequestInvalid
		}
	case DialectEnvoy:
		method = h.Method()
		host = h.Host()
		ru := h.RequestURI()
		if len(ru) <= len(envoyPrefix) || !bytes.HasPrefix(ru, []byte(envoyPrefix)) || ru[len(envoyPrefix)] != '/' {
			return ReasonRequestInvalid
		}
		uri = ru[len(envoyPrefix):]
		if scheme, _, ok = rh.opt(rhForwardedProto); !ok {
			return ReasonRequestInvalid
		}
	default:
		return ReasonNotFound
	}
	return o.set(method, scheme, host, uri)
}

// set validates and copies the parts into o's scratch space.
func (o *original) set(method, scheme, host, uri []byte) Reason {
	if len(method) == 0 || len(method) > maxMethodLen {
		return ReasonRequestInvalid
	}
	o.method = o.method[:0]
	for _, c := range method {
		switch {
		case 'A' <= c && c <= 'Z':
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		default:
			return ReasonRequestInvalid
		}
		o.method = append(o.method, c)
	}
	o.scheme = o.scheme[:0]
	if len(scheme) > 0 {
		// Traefik reports WebSocket upgrades as ws/wss; they are
		// http/https requests.
		switch {
		case asciiEqualFold(scheme, "https"), asciiEqualFold(scheme, "wss"):
			o.scheme = append(o.scheme, "https"...)
		case asciiEqualFold(scheme, "http"), asciiEqualFold(scheme, "ws"):
			o.scheme = append(o.scheme, "http"...)
		default:
			return ReasonRequestInvalid
		}
	}
	if !validHost(host) {
		return ReasonRequestInvalid
	}
	o.hostRaw = append(o.hostRaw[:0], host...)
	// Proxies route "app.example." like "app.example" (nginx drops the
	// dot when it picks a server), so rules must see them alike.
	o.host = trimHostDot(appendHostForMatch(o.host[:0], host))
	if !validURI(uri) {
		return ReasonRequestInvalid
	}
	p := uri
	q := []byte(nil)
	if i := bytes.IndexByte(p, '?'); i >= 0 {
		p, q = p[:i], p[i+1:]
		if j := bytes.IndexByte(q, '#'); j >= 0 {
			q = q[:j]
		}
	}
	if bytes.IndexByte(p, '#') >= 0 {
		// No client sends a fragment in the path; an upstream that
		// parses the request target as a path (Go's ParseRequestURI)
		// reads "/public#/../admin" as "/admin", the rules "/public".
		return ReasonRequestInvalid
	}
	o.path = append(o.path[:0], p...)
	o.query = append(o.query[:0], q...)
	var ok bool
	o.norm, o.normTmp, ok = normalizePath(o.norm, o.normTmp, o.path)
	if !ok {
		return ReasonRequestInvalid
	}
	return ReasonNone
}

// splitAbsoluteURL splits "scheme://authority/path?query" (nginx's
// X-Original-URL). Userinfo is refused by validHost ('@').
func splitAbsoluteURL(u []byte) (scheme, host, uri []byte, ok bool) {
	i := bytes.Index(u, []byte("://"))
	if i <= 0 {
		return nil, nil, nil, false
	}
	scheme = u[:i]
	rest := u[i+3:]
	j := 0
	for j < len(rest) && rest[j] != '/' && rest[j] != '?' && rest[j] != '#' {
		j++
	}
	host = rest[:j]
	uri = rest[j:]
	switch {
	case len(uri) == 0:
		uri = []byte("/")
	case uri[0] != '/':
		// "https://h?x" has an empty path; refuse rather than guess.
		return nil, nil, nil, false
	}
	return scheme, host, uri, true
}

// validHost accepts a DNS name, IPv4 address or bracketed IPv6 address with
// an optional port. Everything else (userinfo, '/', white space, control or
// non-ASCII bytes, backslashes) is refused.
func validHost(h []byte) bool {
	if len(h) == 0 || len(h) > maxHostLen {
		return false
	}
	name := h
	port := []byte(nil)
	if h[0] == '[' {
		end := bytes.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		if _, err := netip.ParseAddr(string(h[1:end])); err != nil {
			return false
		}
		name = nil
		rest := h[end+1:]
		if len(rest) > 0 {
			if rest[0] != ':' {
				return false
			}
			port = rest[1:]
			if len(port) == 0 {
				return false
			}
		}
	} else if i := bytes.IndexByte(h, ':'); i >= 0 {
		name, port = h[:i], h[i+1:]
		if len(port) == 0 {
			return false
		}
	}
	if len(port) > 5 {
		return false
	}
	pn := 0
	for _, c := range port {
		if c < '0' || c > '9' {
			return false
		}
		pn = pn*10 + int(c-'0')
	}
	if pn > 65535 {
		return false
	}
	if name != nil && len(name) == 0 {
		return false
	}
	// Labels are non-empty; one trailing dot (a fully qualified name) is
	// allowed.
	prev := byte('.')
	for i, c := range name {
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_':
		case c == '.':
			if prev == '.' || (i == len(name)-1 && i == 0) {
				return false
			}
		default:
			return false
		}
		prev = c
	}
	return true
}

// trimHostDot drops the trailing dot of a fully qualified host name.
func trimHostDot(h []byte) []byte {
	if len(h) > 1 && h[len(h)-1] == '.' {
		return h[:len(h)-1]
	}
	return h
}

// appendHostForMatch appends h lower-cased and without its port.
func appendHostForMatch(dst, h []byte) []byte {
	if len(h) > 0 && h[0] == '[' {
		if end := bytes.IndexByte(h, ']'); end >= 0 {
			h = h[:end+1]
		}
	} else if i := bytes.IndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	for _, c := range h {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// validURI checks an origin-form request target: starts with '/', no
// control bytes, spaces or backslashes, valid UTF-8, well-formed escapes.
func validURI(u []byte) bool {
	if len(u) == 0 || len(u) > maxURILen || u[0] != '/' {
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
			if _, ok := unhex(u[i+1]); !ok {
				return false
			}
			if _, ok := unhex(u[i+2]); !ok {
				return false
			}
			i += 2
		}
	}
	return ascii || utf8.Valid(u)
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
