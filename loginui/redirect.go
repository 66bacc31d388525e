package loginui

import (
	rdpolicy "github.com/gatehouse/gatehouse/internal/redirect"
)

// safeRedirect returns rd when it is a valid redirect target by the
// policy the verifier applies too (internal/redirect): an absolute https
// URL on the cookie domain, a sub-domain of it, or the public URL's host;
// in development also http on a loopback host. ok=false means "use the
// portal home".
func (p *Portal) safeRedirect(rd string) (string, bool) {
	if !rdpolicy.New(p.o.Development, p.o.CookieDomain, p.public.Hostname()).ValidString(rd) {
		return "", false
	}
	return rd, true
}

// home is the portal home: the account page when logged in, else login.
func (p *Portal) home() string {
	u := *p.public
	u.Path = "/"
	return u.String()
}
