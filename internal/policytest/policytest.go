// Package policytest holds the tables that every caller of a shared
// security rule (internal/clientip, internal/redirect) runs in its own
// tests, so the verifier and the portal are checked on the same inputs.
// Only tests import it.
package policytest

import (
	"strings"

	"github.com/gatehouse/gatehouse/internal/redirect"
)

// ClientIPCase is one row of the table every caller of internal/clientip is tested
// with: the connection's peer, the X-Forwarded-For headers in order, the
// configured trusted_hops, and the client ("invalid IP" when unknown),
// with trusted_proxies 127.0.0.0/8 and ::1/128.
type ClientIPCase struct {
	Name string
	Peer string
	XFF  []string
	Hops int
	Want string
}

// ClientIP is the shared table of internal/clientip.
var ClientIP = []ClientIPCase{
	{"untrusted peer is the client", "198.51.100.7", []string{"10.0.0.1"}, 1, "198.51.100.7"},
	{"untrusted mapped peer", "::ffff:198.51.100.7", nil, 1, "198.51.100.7"},
	{"rightmost entry, one hop", "127.0.0.1", []string{"10.0.0.1, 203.0.113.9"}, 1, "203.0.113.9"},
	{"second from the right, two hops", "127.0.0.1", []string{"10.0.0.1, 203.0.113.9"}, 2, "10.0.0.1"},
	{"headers joined in order", "127.0.0.1", []string{"10.0.0.1", "203.0.113.9"}, 2, "10.0.0.1"},
	{"spaces trimmed", "127.0.0.1", []string{"  203.0.113.9  "}, 1, "203.0.113.9"},
	{"IPv6 entry", "::1", []string{"2001:db8::5"}, 1, "2001:db8::5"},
	{"mapped entry unmapped", "127.0.0.1", []string{"::ffff:10.1.2.3"}, 1, "10.1.2.3"},
	{"no header: unknown, never the proxy", "127.0.0.1", nil, 1, "invalid IP"},
	{"fewer entries than hops: unknown", "127.0.0.1", []string{"203.0.113.9"}, 2, "invalid IP"},
	{"malformed selected entry: unknown", "127.0.0.1", []string{"203.0.113.9, bogus"}, 1, "invalid IP"},
	{"empty selected entry: unknown", "127.0.0.1", []string{"203.0.113.9, "}, 1, "invalid IP"},
	{"entry with port: unknown", "127.0.0.1", []string{"203.0.113.9:443"}, 1, "invalid IP"},
	{"bracketed entry: unknown", "127.0.0.1", []string{"[2001:db8::5]"}, 1, "invalid IP"},
	{"zone: unknown", "127.0.0.1", []string{"fe80::1%eth0"}, 1, "invalid IP"},
	{"malformed entry left of the hop is not read", "127.0.0.1", []string{"bogus, 203.0.113.9"}, 1, "203.0.113.9"},
	{"oversize header: unknown", "127.0.0.1", []string{strings.Repeat("1.1.1.1,", 600) + "203.0.113.9"}, 1, "invalid IP"},
}

// RedirectCase is one row of the table every caller of internal/redirect is tested
// with, for cookie.domain "example.test" and public_url host
// "auth.portal.test" (production) or "127.0.0.1" (development).
type RedirectCase struct {
	URL  string
	Dev  bool
	Want bool
}

// Redirect is the shared table of internal/redirect.
var Redirect = []RedirectCase{
	{"https://example.test/", false, true},
	{"https://app.example.test/a?b=c#d", false, true},
	{"https://APP.EXAMPLE.TEST:8443/a", false, true},
	{"https://auth.portal.test/account", false, true},
	{"HTTPS://auth.portal.test/account", false, true},
	{"https://app.example.test", false, true},
	{"https://app.example.test/%3A?t=12%3A00", false, true},
	{"https://app.example.test/" + strings.Repeat("a", 3000), false, true},
	{"https://app.example.test/" + strings.Repeat("a", redirect.MaxLen), false, false},
	{"http://app.example.test/", false, false},
	{"https://evil.test/", false, false},
	{"https://evilexample.test/", false, false},
	{"https://example.test.evil.test/", false, false},
	{"https://app.example.test./", false, false},
	{"https://app..example.test/", false, false},
	{"https://user@app.example.test/", false, false},
	{"https://app.example.test@evil.test/", false, false},
	{"https://app.example.test//evil.test/", false, false},
	{"//evil.test/", false, false},
	{"/relative", false, false},
	{"https://app.example.test\\@evil.test/", false, false},
	{"https://app.example.test/\\evil", false, false},
	{"https://app.example.test/\x00", false, false},
	{"https://app.example.test/a\r\nLocation: x", false, false},
	{"https://app.example.test/ space", false, false},
	{"https://app.example.test/caf\xc3\xa9", false, false},
	{"https://app.example.test/%2F%2Fevil.test", false, false},
	{"https://app.example.test/%5Cevil", false, false},
	{"https://app.example.test/%252F", false, false},
	{"https://app.example.test/%0d%0a", false, false},
	{"https://app.example.test/%zz", false, false},
	{"https://app.example.test/%", false, false},
	{"https%3A%2F%2Fevil.test", false, false},
	{"javascript:alert(1)", false, false},
	{"https://app.example.test:99999/", false, false},
	{"https://app.example.test:/", false, false},
	{"https://app.example.test:8x/", false, false},
	{"https://%61pp.example.test/", false, false},
	{"https://" + strings.Repeat("a", 300) + ".example.test/", false, false},
	{"http://localhost:3000/x", true, true},
	{"http://127.0.0.1/x", true, true},
	{"http://[::1]:8080/x", true, true},
	{"http://app.example.test/x", true, false},
	{"http://localhost.evil.test/x", true, false},
	{"http://127.0.0.2/x", true, false},
	{"https://app.example.test/x", true, true},
	{"http://localhost:3000/x", false, false},
}
