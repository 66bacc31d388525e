package web

import (
	"net/http"
	"net/netip"

	"github.com/gatehouse/gatehouse/internal/clientip"
)

// ClientIP is the request's client address by the rule the verifier uses
// too (internal/clientip): the peer when it is not a trusted proxy, else
// the X-Forwarded-For entry trustedHops from the right. When that entry is
// missing or malformed the client is unknown, and the result is
// "unknown:" + the proxy's address: every such request through one proxy
// then shares its rate limits (fail closed), and none is ever attributed
// to the proxy itself or to an entry the proxy did not write.
func ClientIP(r *http.Request, trustedProxies []netip.Prefix, trustedHops int) string {
	client, peer := clientip.FromRequest(r, trustedProxies, trustedHops)
	if client.IsValid() {
		return client.String()
	}
	if peer.IsValid() {
		return "unknown:" + peer.String()
	}
	return "unknown:" + r.RemoteAddr
}
