package loginui

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP is the request's client address: the connection's peer, or,
// when the peer is a trusted proxy, the X-Forwarded-For entry TrustedHops
// from the right. A malformed header falls back to the peer.
func (p *Portal) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !p.trusted(peer) {
		return peer.String()
	}
	xff := r.Header.Values("X-Forwarded-For")
	if len(xff) == 0 {
		return peer.String()
	}
	parts := strings.Split(strings.Join(xff, ","), ",")
	if len(parts) > 64 {
		return peer.String()
	}
	i := len(parts) - p.o.TrustedHops
	if i < 0 {
		i = 0
	}
	a, err := netip.ParseAddr(strings.TrimSpace(parts[i]))
	if err != nil {
		return peer.String()
	}
	return a.Unmap().String()
}

func (p *Portal) trusted(a netip.Addr) bool {
	for _, pf := range p.o.TrustedProxies {
		if pf.Contains(a) {
			return true
		}
	}
	return false
}
