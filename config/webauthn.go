package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// WebAuthn configures passkeys (docs/design.md "Passkeys";
// config/reference.md "webauthn").
type WebAuthn struct {
	Enabled bool `yaml:"enabled"`
	// RPID is the relying party id; empty means cookie.domain when set,
	// else public_url's host (WebAuthnRPID).
	RPID   string `yaml:"rp_id"`
	RPName string `yaml:"rp_name"`
	// ExtraOrigins may answer ceremonies besides public_url's origin.
	ExtraOrigins    []string      `yaml:"extra_origins"`
	CeremonyTimeout time.Duration `yaml:"ceremony_timeout"`
}

// Defaults of webauthn.
const (
	DefaultWebAuthnRPName  = "gatehouse"
	DefaultCeremonyTimeout = 5 * time.Minute
	maxCeremonyTimeout     = time.Hour
	maxRPNameLen           = 64
)

func defaultWebAuthn() WebAuthn {
	return WebAuthn{Enabled: true, RPName: DefaultWebAuthnRPName, CeremonyTimeout: DefaultCeremonyTimeout}
}

// WebAuthnRPID is the effective RP ID: webauthn.rp_id, else cookie.domain
// without a leading dot, else public_url's host.
func (c *Config) WebAuthnRPID() string {
	if c.WebAuthn.RPID != "" {
		return c.WebAuthn.RPID
	}
	if d := strings.TrimPrefix(c.Cookie.Domain, "."); d != "" {
		return strings.ToLower(d)
	}
	if u, err := url.Parse(c.PublicURL); err == nil {
		return strings.ToLower(u.Hostname())
	}
	return ""
}

// WebAuthnOrigins are the origins answers may come from: public_url's
// origin and webauthn.extra_origins.
func (c *Config) WebAuthnOrigins() []string {
	var out []string
	if u, err := url.Parse(c.PublicURL); err == nil && u.Host != "" {
		out = append(out, u.Scheme+"://"+u.Host)
	}
	for _, o := range c.WebAuthn.ExtraOrigins {
		out = append(out, strings.TrimSuffix(o, "/"))
	}
	return out
}

// WebAuthnUsable reports whether passkeys can be offered: enabled, with
// an RP ID that is a domain name (no browser makes a passkey for an IP
// address, so a portal reached by IP has none) covering public_url's
// host.
func (c *Config) WebAuthnUsable() bool {
	return c.WebAuthn.Enabled && c.webauthnRPFits()
}

func (c *Config) webauthnRPFits() bool {
	rpid := c.WebAuthnRPID()
	if _, err := netip.ParseAddr(rpid); err == nil || !ValidHostname(rpid) || singleLabel(rpid) {
		return false
	}
	u, err := url.Parse(c.PublicURL)
	return err == nil && domainMatch(strings.ToLower(u.Hostname()), rpid)
}

// singleLabel: a name browsers refuse as an RP ID (localhost aside).
func singleLabel(rpid string) bool { return !strings.Contains(rpid, ".") && rpid != "localhost" }

// webauthn checks the webauthn section: an RP ID that is public_url's host
// or a parent domain of it, https extra origins (http only on loopback in
// development) on hosts within the RP ID, a bounded ceremony timeout.
func (v *validator) webauthn() {
	c := v.c
	w := c.WebAuthn
	if w.RPName == "" || len(w.RPName) > maxRPNameLen || strings.ContainsFunc(w.RPName, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		v.errf("webauthn.rp_name", "must be 1 to %d printable characters", maxRPNameLen)
	}
	if v.positive("webauthn.ceremony_timeout", w.CeremonyTimeout) && w.CeremonyTimeout > maxCeremonyTimeout {
		v.errf("webauthn.ceremony_timeout", "must be at most %s", maxCeremonyTimeout)
	}
	rpid := c.WebAuthnRPID()
	pub, err := url.Parse(c.PublicURL)
	if err != nil || pub.Host == "" {
		return // public_url reports it
	}
	host := strings.ToLower(pub.Hostname())
	path := "webauthn.rp_id"
	_, ipErr := netip.ParseAddr(rpid)
	switch {
	case w.RPID != "" && (w.RPID != strings.ToLower(w.RPID) || strings.HasPrefix(w.RPID, ".")):
		v.errf(path, "write the domain in lower case without a leading dot")
		return
	case ipErr == nil:
		// No browser makes a passkey for an IP address: passkeys are
		// off (WebAuthnUsable), which the zero configuration on
		// 127.0.0.1 relies on without a warning.
		return
	case !ValidHostname(rpid):
		v.errf(path, "%q is not a domain name", rpid)
		return
	case singleLabel(rpid) && w.RPID != "":
		v.errf(path, "%q is a single label: browsers accept a registrable domain (or localhost) only", rpid)
		return
	case singleLabel(rpid):
		if w.Enabled {
			v.warnf(path, "the single-label cookie.domain %s cannot be an RP ID: passkeys are off; set webauthn.rp_id", rpid)
		}
		return
	case !domainMatch(host, rpid) && w.RPID != "":
		v.errf(path, "must be public_url's host %s or a parent domain of it, not %q", host, rpid)
		return
	case !domainMatch(host, rpid):
		// Derived from a cookie.domain that does not cover public_url
		// (cookie.domain warns about that).
		if w.Enabled {
			v.warnf(path, "cookie.domain %s does not cover public_url's host %s: passkeys are off; set webauthn.rp_id", rpid, host)
		}
		return
	}
	for i, o := range w.ExtraOrigins {
		v.webauthnOrigin(fmt.Sprintf("webauthn.extra_origins[%d]", i), o, rpid)
	}
}

// webauthnOrigin checks one extra origin: scheme and host only, https
// (http on a loopback host in development), its host within rpid.
func (v *validator) webauthnOrigin(path, o, rpid string) {
	u, ok := v.absURL(path, o)
	if !ok {
		return
	}
	if u.Path != "" && u.Path != "/" {
		v.errf(path, "must be an origin (scheme, host and port) without a path")
		return
	}
	h := strings.ToLower(u.Hostname())
	if u.Scheme != "https" && (v.prod || !isLoopbackHost(h)) {
		v.errf(path, "must be https (http only on a loopback host in development)")
		return
	}
	if !domainMatch(h, rpid) {
		v.errf(path, "host %s is not within the RP ID %s", h, rpid)
	}
}
