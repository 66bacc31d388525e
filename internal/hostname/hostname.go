package hostname

import (
	"net/netip"
	"strings"
)

// Valid reports whether s is a DNS name: dot-separated labels of letters,
// digits and hyphens (not at either end), 1-63 bytes each, 253 in all.
func Valid(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// IsLoopback reports whether host (a URL's Hostname, without brackets) is
// localhost, an address in 127.0.0.0/8 (also IPv4-mapped) or ::1.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
