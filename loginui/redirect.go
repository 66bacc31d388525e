package loginui

import (
	"net"
	"net/url"
	"strings"
)

// maxRedirectLen bounds an rd value.
const maxRedirectLen = 2048

// safeRedirect returns rd when it is a valid redirect target (SPEC §10
// "Redirects"): an absolute https URL on the cookie domain, a sub-domain
// of it, or the public URL's host; in development also http on a loopback
// host. Userinfo, scheme-relative forms, backslashes, control characters,
// white space, percent signs in the host and anything unparsable are
// refused. ok=false means "use the portal home".
func (p *Portal) safeRedirect(rd string) (string, bool) {
	if rd == "" || len(rd) > maxRedirectLen {
		return "", false
	}
	for i := 0; i < len(rd); i++ {
		c := rd[i]
		if c <= ' ' || c == 0x7f || c == '\\' || c >= 0x80 {
			return "", false
		}
	}
	lower := strings.ToLower(rd)
	var scheme string
	switch {
	case strings.HasPrefix(lower, "https://"):
		scheme = "https"
	case strings.HasPrefix(lower, "http://"):
		scheme = "http"
	default:
		return "", false
	}
	u, err := url.Parse(rd)
	if err != nil || u.Scheme != scheme && strings.ToLower(u.Scheme) != scheme || u.Opaque != "" || u.User != nil || u.Host == "" {
		return "", false
	}
	if strings.ContainsAny(u.Host, "%@") {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	if host == "" || strings.HasSuffix(host, ".") {
		return "", false
	}
	if port := u.Port(); port != "" {
		for i := 0; i < len(port); i++ {
			if port[i] < '0' || port[i] > '9' {
				return "", false
			}
		}
	}
	allowed := false
	if scheme == "https" {
		allowed = p.hostUnderDomain(host) || host == strings.ToLower(p.public.Hostname())
	} else {
		allowed = p.o.Development && isLoopbackHost(host)
	}
	if !allowed {
		return "", false
	}
	u.Scheme = scheme
	return u.String(), true
}

func (p *Portal) hostUnderDomain(host string) bool {
	d := strings.TrimPrefix(strings.ToLower(p.o.CookieDomain), ".")
	if d == "" {
		return false
	}
	return host == d || strings.HasSuffix(host, "."+d)
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && (ip.Equal(net.IPv4(127, 0, 0, 1)) || ip.Equal(net.IPv6loopback))
}

// home is the portal home: the account page when logged in, else login.
func (p *Portal) home() string {
	u := *p.public
	u.Path = "/"
	return u.String()
}
