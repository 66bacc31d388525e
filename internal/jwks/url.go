package jwks

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/hostname"
)

// CheckURL applies the URL rules to a configured jwks_url (config
// validation calls it, so the rule has one home). See checkURL.
func CheckURL(raw string, allowLoopbackHTTP bool) error {
	_, err := checkURL(raw, allowLoopbackHTTP)
	return err
}

// CheckIssuer applies the URL rules to an issuer, which also has no query
// (OpenID Connect Discovery 1.0 §2 says an issuer URL has no query or
// fragment).
func CheckIssuer(raw string, allowLoopbackHTTP bool) error {
	u, err := checkURL(raw, allowLoopbackHTTP)
	if err != nil {
		return err
	}
	if u.RawQuery != "" || u.ForceQuery {
		return fmt.Errorf("%w: issuer %q has a query", ErrBadURL, raw)
	}
	return nil
}

// checkURL applies the URL rules to an issuer, a discovery document's
// jwks_uri, or a configured jwks_url: an absolute https URL with a plain
// host (name or IP), an optional numeric port, no userinfo, no fragment, no
// whitespace or control characters. Plain http is allowed only to a loopback
// host (localhost, 127.0.0.0/8, ::1) and only when allowLoopbackHTTP is set.
func checkURL(raw string, allowLoopbackHTTP bool) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("%w: empty", ErrBadURL)
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] <= ' ' || raw[i] == 0x7f {
			return nil, fmt.Errorf("%w: %q contains whitespace or a control character", ErrBadURL, raw)
		}
	}
	if strings.Contains(raw, "#") {
		return nil, fmt.Errorf("%w: %q has a fragment", ErrBadURL, raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadURL, err)
	}
	if u.Opaque != "" || u.Host == "" {
		return nil, fmt.Errorf("%w: %q is not an absolute URL with a host", ErrBadURL, raw)
	}
	if u.User != nil || strings.Contains(u.Host, "@") {
		return nil, fmt.Errorf("%w: %q carries userinfo", ErrBadURL, raw)
	}
	if strings.HasSuffix(u.Host, ":") {
		return nil, fmt.Errorf("%w: %q has an empty port", ErrBadURL, raw)
	}
	host := u.Hostname()
	if !plainHost(host) {
		return nil, fmt.Errorf("%w: %q has an unusual host", ErrBadURL, raw)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 || p[0] == '0' {
			return nil, fmt.Errorf("%w: %q has an invalid port", ErrBadURL, raw)
		}
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !allowLoopbackHTTP || !hostname.IsLoopback(host) {
			return nil, fmt.Errorf("%w: %q", ErrInsecureURL, raw)
		}
	default:
		return nil, fmt.Errorf("%w: %q: scheme must be https", ErrBadURL, raw)
	}
	return u, nil
}

// plainHost accepts an IP address without zone or a DNS name
// (hostname.Valid): no percent-escapes, underscores or empty labels.
func plainHost(h string) bool {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Zone() == ""
	}
	return hostname.Valid(h)
}

// sameOrigin reports whether b has a's scheme, host and port.
func sameOrigin(a, b *url.URL) bool {
	return a.Scheme == b.Scheme && strings.EqualFold(a.Host, b.Host)
}
