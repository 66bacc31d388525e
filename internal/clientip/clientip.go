package clientip

import (
	"bytes"
	"net"
	"net/http"
	"net/netip"

	"unsafe"
)

// MaxHeaderLen bounds one X-Forwarded-For header value, in bytes; a
// longer one makes the client unknown.
const MaxHeaderLen = 4096

// MaxHops is the largest trusted_hops accepted.
const MaxHops = 64

// Trusted reports whether a is inside one of the trusted prefixes.
func Trusted(trusted []netip.Prefix, a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// FromXFF returns the entry hops places from the right of the
// X-Forwarded-For values (the headers in the order they came), or the zero
// Addr when it is missing or malformed, a value is over MaxHeaderLen, or
// hops is outside 1..MaxHops.
func FromXFF(values [][]byte, hops int) netip.Addr {
	if hops < 1 || hops > MaxHops {
		return netip.Addr{}
	}
	seen := 0
	for i := len(values) - 1; i >= 0; i-- {
		v := values[i]
		if len(v) > MaxHeaderLen {
			return netip.Addr{}
		}
		for {
			j := bytes.LastIndexByte(v, ',')
			item := v[j+1:]
			seen++
			if seen == hops {
				return parse(bytes.TrimSpace(item))
			}
			if j < 0 {
				break
			}
			v = v[:j]
		}
	}
	return netip.Addr{}
}

// Resolve is the client of a connection from peer: peer itself when it is
// not a trusted proxy, else FromXFF(values, hops).
func Resolve(peer netip.Addr, trusted []netip.Prefix, values [][]byte, hops int) netip.Addr {
	peer = peer.Unmap()
	if !Trusted(trusted, peer) {
		return peer
	}
	return FromXFF(values, hops)
}

// FromRequest is Resolve for a net/http request. It also returns the
// peer address (the zero Addr when RemoteAddr cannot be parsed).
func FromRequest(r *http.Request, trusted []netip.Prefix, hops int) (client, peer netip.Addr) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err = netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, netip.Addr{}
	}
	peer = peer.Unmap()
	hv := r.Header.Values("X-Forwarded-For")
	var buf [4][]byte
	values := buf[:0]
	for _, s := range hv {
		values = append(values, []byte(s))
	}
	return Resolve(peer, trusted, values, hops), peer
}

// parse reads one entry: a bare IPv4 or IPv6 address (no port, no
// brackets, no zone).
func parse(b []byte) netip.Addr {
	if len(b) == 0 || len(b) > 45 || bytes.IndexByte(b, '%') >= 0 {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(unsafe.String(&b[0], len(b)))
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}
