package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/keystore/redis"
)

// Problem is one finding of Validate. Path is the YAML path of the key
// ("rules[2].paths[0]"); Warning marks a finding that does not stop the
// server (docs/design.md "Running": development mode warns where production fails).
type Problem struct {
	Path    string
	Message string
	Warning bool
}

// String is "path: message", with " (warning)" appended for warnings.
func (p Problem) String() string {
	s := p.Message
	if p.Path != "" {
		s = p.Path + ": " + s
	}
	if p.Warning {
		s += " (warning)"
	}
	return s
}

// ValidationError carries every problem Validate found.
type ValidationError struct {
	Problems []Problem
}

// Error lists every problem, one per line, errors first.
func (e *ValidationError) Error() string {
	var b strings.Builder
	for _, p := range e.Errors() {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	for _, p := range e.Warnings() {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// Errors returns the problems that must stop the server.
func (e *ValidationError) Errors() []Problem { return e.filter(false) }

// Warnings returns the problems that only warn.
func (e *ValidationError) Warnings() []Problem { return e.filter(true) }

// HasErrors reports whether any problem is an error.
func (e *ValidationError) HasErrors() bool { return len(e.Errors()) > 0 }

func (e *ValidationError) filter(warning bool) []Problem {
	var out []Problem
	for _, p := range e.Problems {
		if p.Warning == warning {
			out = append(out, p)
		}
	}
	return out
}

// Validate checks the whole configuration and returns nil when it found
// nothing, else a *ValidationError with every problem at once — warnings
// included, so a caller that only tests err != nil fails closed; use
// HasErrors to let warnings through. Validate reads no files and changes
// nothing; problems found by Load while resolving secret sources are
// included. Messages never contain secret values.
func (c *Config) Validate() error {
	v := &validator{c: c, prod: c.Mode == ModeProduction}
	v.ps = append(v.ps, c.loadProblems...)
	v.general()
	v.network()
	v.stores()
	v.tokens()
	v.secrets()
	v.keyrings()
	v.externalJWT()
	v.rules()
	v.apiKeys()
	v.rateLimits()
	v.verifier()
	v.passwords()
	v.totp()
	v.webauthn()
	v.oauth()
	v.email()
	v.log()
	if len(v.ps) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.ps}
}

type validator struct {
	c    *Config
	prod bool
	ps   []Problem
}

func (v *validator) errf(path, format string, args ...any) {
	v.ps = append(v.ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) warnf(path, format string, args ...any) {
	v.ps = append(v.ps, Problem{Path: path, Message: fmt.Sprintf(format, args...), Warning: true})
}

// prodf records a production rule (docs/design.md "Running"): an error in production, a
// warning in development.
func (v *validator) prodf(path, format string, args ...any) {
	v.ps = append(v.ps, Problem{Path: path, Message: fmt.Sprintf(format, args...), Warning: !v.prod})
}

// from names the source of a resolved secret for messages, or "".
func (v *validator) from(path string) string {
	if o, ok := v.c.origins[path]; ok {
		return " (given by " + o + ")"
	}
	return ""
}

func (v *validator) general() {
	c := v.c
	if c.Mode != ModeDevelopment && c.Mode != ModeProduction {
		v.errf("mode", "must be development or production, not %q", c.Mode)
	}
	if c.DataDir == "" {
		v.errf("data_dir", "must not be empty")
	} else if strings.ContainsRune(c.DataDir, 0) {
		v.errf("data_dir", "must not contain NUL")
	}
}

func (v *validator) network() {
	c := v.c
	addrs := map[string]string{}
	for _, l := range []struct{ name, addr string }{
		{"verifier", c.Listen.Verifier}, {"portal", c.Listen.Portal}, {"admin", c.Listen.Admin},
	} {
		path := "listen." + l.name
		host, ok := v.hostPort(path, l.addr)
		if !ok {
			continue
		}
		if other, dup := addrs[l.addr]; dup {
			v.errf(path, "same address as listen.%s", other)
		}
		addrs[l.addr] = l.name
		if l.name == "admin" && !isLoopbackHost(host) {
			v.warnf(path, "the admin listener (metrics, admin commands) is reachable beyond loopback")
		}
	}
	if c.Listen.Pprof != "" {
		// Profiles show memory contents (heap samples can hold tokens):
		// never beyond loopback, and an IP literal so no resolver decides.
		if host, ok := v.hostPort("listen.pprof", c.Listen.Pprof); ok {
			if a, err := netip.ParseAddr(host); err != nil || !a.IsLoopback() {
				v.errf("listen.pprof", "must be a loopback IP address (127.0.0.1:PORT or [::1]:PORT), not %q", c.Listen.Pprof)
			} else if other, dup := addrs[c.Listen.Pprof]; dup {
				v.errf("listen.pprof", "same address as listen.%s", other)
			}
		}
	}

	v.publicURL()
	v.cookie()

	for i, p := range c.TrustedProxies {
		path := fmt.Sprintf("trusted_proxies[%d]", i)
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			v.errf(path, "%q is not a CIDR (write a single address as 10.0.0.1/32)", p)
			continue
		}
		if pfx.Bits() == 0 {
			v.warnf(path, "trusts forwarded headers from every address")
		}
	}
	if c.TrustedHops < 1 {
		// 0 would make the proxy's own address the client of every
		// request, so networks rules covering the proxy would match all.
		v.errf("trusted_hops", "must be at least 1: gatehouse always sits behind a proxy, whose X-Forwarded-For entry names the client")
	} else if c.TrustedHops > 64 {
		v.errf("trusted_hops", "must be at most 64")
	}
}

// hostPort checks a listen address and returns its host.
func (v *validator) hostPort(path, addr string) (string, bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		v.errf(path, "%q is not host:port", addr)
		return "", false
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		v.errf(path, "port %q must be a number from 1 to 65535", port)
		return "", false
	}
	if host != "" && !ValidHostname(host) {
		if _, err := netip.ParseAddr(host); err != nil {
			v.errf(path, "host %q is neither an IP address nor a host name", host)
			return "", false
		}
	}
	return host, true
}

func (v *validator) publicURL() {
	c := v.c
	u, ok := v.absURL("public_url", c.PublicURL)
	if !ok {
		return
	}
	if u.Path != "" && u.Path != "/" {
		v.errf("public_url", "must not have a path; the portal serves its routes at the root")
	}
	if u.Scheme == "http" {
		if v.prod {
			v.errf("public_url", "must be https in production")
		} else if !isLoopbackHost(u.Hostname()) {
			v.warnf("public_url", "http on a host that is not loopback: session cookies travel in clear")
		}
	}
}

// absURL checks an absolute http(s) URL without userinfo, query or fragment.
func (v *validator) absURL(path, s string) (*url.URL, bool) {
	if s == "" {
		v.errf(path, "must not be empty")
		return nil, false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		v.errf(path, "must be an absolute http or https URL")
		return nil, false
	}
	if u.User != nil {
		v.errf(path, "must not contain user information")
		return nil, false
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		v.errf(path, "must not have a query or fragment")
		return nil, false
	}
	h := u.Hostname()
	if !ValidHostname(h) {
		if _, err := netip.ParseAddr(h); err != nil {
			v.errf(path, "host %q is neither an IP address nor a host name", h)
			return nil, false
		}
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			v.errf(path, "port %q must be a number from 1 to 65535", p)
			return nil, false
		}
	}
	return u, true
}

func (v *validator) cookie() {
	c := v.c
	name := c.Cookie.Name
	switch {
	case name == "":
		v.errf("cookie.name", "must not be empty")
	case !isToken(name):
		v.errf("cookie.name", "%q is not a valid cookie name", name)
	case name == "gatehouse_csrf":
		v.errf("cookie.name", "gatehouse_csrf is the CSRF cookie's name")
	}
	secure := c.CookieSecure()
	if strings.HasPrefix(name, "__Host-") && c.Cookie.Domain != "" {
		v.errf("cookie.name", "a __Host- cookie cannot have a domain; remove cookie.domain or the prefix")
	}
	if (strings.HasPrefix(name, "__Host-") || strings.HasPrefix(name, "__Secure-")) && !secure {
		v.errf("cookie.name", "a __Host- or __Secure- cookie must be Secure")
	}
	if c.Cookie.Secure != nil && !*c.Cookie.Secure && v.prod {
		v.errf("cookie.secure", "must not be false in production")
	}
	d := c.Cookie.Domain
	if d == "" {
		return
	}
	switch {
	case strings.HasPrefix(d, "."):
		v.errf("cookie.domain", "write the domain without a leading dot")
		return
	case d != strings.ToLower(d):
		v.errf("cookie.domain", "must be lower-case")
		return
	case !ValidHostname(d):
		v.errf("cookie.domain", "%q is not a domain name", d)
		return
	case !strings.Contains(d, "."):
		v.warnf("cookie.domain", "browsers ignore a single-label cookie domain; leave it empty for a host-only cookie")
	}
	if u, err := url.Parse(c.PublicURL); err == nil && u.Host != "" && !domainMatch(strings.ToLower(u.Hostname()), d) {
		v.warnf("cookie.domain", "public_url's host is not under %s: browsers will refuse the portal's cookies", d)
	}
}

func (v *validator) stores() {
	c := v.c
	switch c.State.Backend {
	case "bbolt":
	case "redis":
		v.redis("state.redis", &c.State.Redis)
	default:
		v.errf("state.backend", "must be bbolt or redis, not %q", c.State.Backend)
	}
	switch c.Shared.Backend {
	case "memory":
		if !c.Shared.AllowInMemory {
			v.prodf("shared.backend", "memory keeps revocations, nonces, rate limits and TOTP replay markers in one process; set shared.allow_in_memory: true to accept that, or use redis")
		}
		if c.Shared.MaxEntries < 1000 {
			v.errf("shared.max_entries", "must be at least 1000")
		}
		if c.State.Backend == "redis" {
			v.warnf("shared.backend", "memory with state.backend redis: replicas do not share nonces, rate limits or replay markers")
		}
	case "redis":
		v.redis("shared.redis", &c.Shared.Redis)
	default:
		v.errf("shared.backend", "must be memory or redis, not %q", c.Shared.Backend)
	}
}

// Bounds on the Redis connection settings.
const (
	maxRedisPool    = 10000
	maxRedisTimeout = time.Minute
	maxRedisAddrs   = 64
)

// redis checks one Redis section (path "state.redis" or "shared.redis"):
// exactly one topology, its addresses and names, TLS and the pool and
// timeouts. Passwords are checked for presence only and never shown.
func (v *validator) redis(path string, r *Redis) {
	switch r.Topology() {
	case "":
		v.errf(path+".url", "must be set when the back-end is redis (or give %s.sentinel or %s.cluster)%s", path, path, v.from(path+".url"))
	case "several":
		v.errf(path, "give exactly one of url, sentinel and cluster")
	case "url":
		v.redisURL(path+".url", r.URL)
		if r.TLS != nil {
			if u, err := url.Parse(r.URL); err == nil && u.Scheme != "rediss" {
				v.errf(path+".tls", "with url, TLS needs a rediss:// URL")
			}
		}
	case "sentinel":
		sn := r.Sentinel
		if sn.MasterName == "" {
			v.errf(path+".sentinel.master_name", "must be set (the name the sentinels monitor)")
		} else if strings.ContainsFunc(sn.MasterName, func(c rune) bool { return c <= ' ' || c > '~' }) {
			v.errf(path+".sentinel.master_name", "must be printable ASCII without spaces")
		}
		v.redisAddrs(path+".sentinel.addrs", sn.Addrs)
		if sn.SentinelUsername != "" && sn.SentinelPassword.IsZero() {
			v.errf(path+".sentinel.sentinel_username", "is set without a sentinel_password")
		}
	case "cluster":
		v.redisAddrs(path+".cluster.addrs", r.Cluster.Addrs)
	}
	if t := r.TLS; t != nil && (t.CertFile == "") != (t.KeyFile == "") {
		v.errf(path+".tls", "cert_file and key_file go together")
	}
	if r.PoolSize < 0 || r.PoolSize > maxRedisPool {
		v.errf(path+".pool_size", "must be from 0 (the default) to %d", maxRedisPool)
	}
	for _, d := range []struct {
		key string
		d   time.Duration
	}{{"dial_timeout", r.DialTimeout}, {"read_timeout", r.ReadTimeout}, {"write_timeout", r.WriteTimeout}} {
		if d.d < 0 || d.d > maxRedisTimeout {
			v.errf(path+"."+d.key, "must be from 0 (the default, 2s) to %s", maxRedisTimeout)
		}
	}
	v.replicaAck(path, r)
}

// replicaAck checks min_replicas_ack and replica_ack_timeout against the
// bounds of keystore/redis, whose Open enforces them again on the
// effective read timeout (which a URL may set).
func (v *validator) replicaAck(path string, r *Redis) {
	if r.MinReplicasAck < 0 || r.MinReplicasAck > redis.MaxMinReplicasAck {
		v.errf(path+".min_replicas_ack", "must be from 0 (the default: no wait) to %d", redis.MaxMinReplicasAck)
	}
	t := r.ReplicaAckTimeout
	if t < 0 || t > redis.MaxReplicaAckTimeout {
		v.errf(path+".replica_ack_timeout", "must be from 0 (the default, %s) to %s", redis.DefaultReplicaAckTimeout, redis.MaxReplicaAckTimeout)
		return
	}
	if t == 0 {
		t = redis.DefaultReplicaAckTimeout
	}
	if r.MinReplicasAck > 0 && r.ReadTimeout > 0 && t >= r.ReadTimeout {
		// WAIT shares a pipeline with the write, read under read_timeout.
		v.errf(path+".replica_ack_timeout", "must be shorter than %s.read_timeout (%s)", path, r.ReadTimeout)
	}
}

// redisAddrs checks a list of sentinel or cluster node addresses.
func (v *validator) redisAddrs(path string, addrs []string) {
	if len(addrs) == 0 {
		v.errf(path, "must list at least one host:port")
		return
	}
	if len(addrs) > maxRedisAddrs {
		v.errf(path, "lists more than %d addresses", maxRedisAddrs)
		return
	}
	seen := make(map[string]bool, len(addrs))
	for i, a := range addrs {
		p := fmt.Sprintf("%s[%d]", path, i)
		host, ok := v.hostPort(p, a)
		if !ok {
			continue
		}
		if host == "" {
			v.errf(p, "%q has no host", a)
		}
		if seen[a] {
			v.errf(p, "%q is listed twice", a)
		}
		seen[a] = true
	}
}

// redisURL checks a Redis URL; the URL may hold a password and never
// appears in a message.
func (v *validator) redisURL(path, s string) {
	if s == "" {
		v.errf(path, "must be set when the back-end is redis%s", v.from(path))
		return
	}
	u, err := url.Parse(s)
	if err != nil {
		v.errf(path, "is not a URL%s", v.from(path))
		return
	}
	switch u.Scheme {
	case "redis", "rediss":
		if u.Host == "" {
			v.errf(path, "has no host%s", v.from(path))
		}
	case "unix":
		if u.Path == "" {
			v.errf(path, "has no socket path%s", v.from(path))
		}
	default:
		v.errf(path, "scheme must be redis, rediss or unix%s", v.from(path))
	}
}

func (v *validator) tokens() {
	a := v.c.Tokens.Access
	switch a.Algorithm {
	case "HS256":
		if len(a.Keys) > 0 {
			v.warnf("tokens.access.keys", "ignored with HS256, which signs with secrets.access_token")
		}
	case "EdDSA", "ES256":
		if len(a.Keys) == 0 {
			v.errf("tokens.access.keys", "%s needs at least one key (kid: PEM file)", a.Algorithm)
		}
		for _, kid := range sortedKeys(a.Keys) {
			if !validKeyID(kid) {
				v.errf("tokens.access.keys", "key id %q must be 1-64 of A-Z a-z 0-9 _ -", kid)
			}
			if a.Keys[kid] == "" {
				v.errf("tokens.access.keys."+kid, "must name a PEM file")
			}
		}
		if a.ActiveKID == "" {
			v.errf("tokens.access.active_kid", "must name the key that signs new tokens")
		} else if _, ok := a.Keys[a.ActiveKID]; !ok && len(a.Keys) > 0 {
			v.errf("tokens.access.active_kid", "%q is not among tokens.access.keys", a.ActiveKID)
		}
	default:
		v.errf("tokens.access.algorithm", "must be HS256, EdDSA or ES256, not %q", a.Algorithm)
	}
	v.positive("tokens.access.lifetime", a.Lifetime)
	v.positive("tokens.session.lifetime", v.c.Tokens.Session.Lifetime)
	v.positive("tokens.refresh.lifetime", v.c.Tokens.Refresh.Lifetime)
	if a.Lifetime > 24*time.Hour {
		v.warnf("tokens.access.lifetime", "access tokens live longer than a day; a stolen one stays useful as long")
	}
}

func (v *validator) positive(path string, d time.Duration) bool {
	if d <= 0 {
		v.errf(path, "must be a positive duration such as 15m")
		return false
	}
	return true
}

// requiredSecrets returns the roles production needs, with the reason.
func (c *Config) requiredSecrets() map[string]string {
	req := map[string]string{
		RoleVerifyToken:        "signs email verification tokens",
		RoleResetToken:         "signs password reset tokens",
		RoleTokenHash:          "digests session and refresh tokens",
		RoleAPIKeyHash:         "digests API key secrets",
		RoleCSRF:               "protects cookie-authenticated requests against CSRF",
		RoleTOTPPending:        "signs TOTP pending and enrollment tokens",
		RoleRecoveryCodeLookup: "digests recovery codes for lookup",
	}
	if c.Tokens.Access.Algorithm == "HS256" {
		req[RoleAccessToken] = "signs HS256 access tokens"
	}
	if c.OAuth.Enabled {
		req[RoleOAuthFlowCookie] = "encrypts the OAuth flow cookie, and OAuth is enabled"
	}
	return req
}

func (v *validator) secrets() {
	req := v.c.requiredSecrets()
	s := &v.c.Secrets
	for i, role := range SecretRoles {
		path := "secrets." + role
		sec := s.Get(role)
		if sec.IsZero() {
			if why, ok := req[role]; ok {
				if v.prod {
					v.errf(path, "missing; this secret %s", why)
				} else {
					v.warnf(path, "missing; this secret %s (development mode generates it into the data directory)", why)
				}
			}
			continue
		}
		if sec.Len() < MinSecretBytes {
			v.prodf(path, "shorter than %d bytes%s", MinSecretBytes, v.from(path))
		}
		for _, other := range SecretRoles[:i] {
			if o := s.Get(other); !o.IsZero() && sec.Equal(o) {
				v.prodf(path, "same value as secrets.%s; every role needs its own secret", other)
				break
			}
		}
	}
}

// neededKeyrings returns the keyrings the enabled features need.
func (c *Config) neededKeyrings() map[string]string {
	need := map[string]string{}
	if c.TOTP.Enabled {
		need[KeyringTOTPSecrets] = "TOTP is enabled and TOTP secrets are stored encrypted with it"
	}
	if c.APIKeys.Enabled && c.APIKeys.Signing.Enabled {
		need[KeyringAPIKeySigning] = "signed requests are enabled and the secrets of signing keys are stored encrypted with it"
	}
	if c.OAuth.Enabled {
		for _, p := range c.OAuth.Providers {
			if p.StoreTokens {
				need[KeyringOAuthTokens] = "an OAuth provider stores tokens, which are encrypted with it"
			}
		}
	}
	return need
}

func (v *validator) keyrings() {
	need := v.c.neededKeyrings()
	seen := map[string]string{} // key text -> path (reuse across keys)
	for _, name := range KeyringNames {
		k := v.c.Keyrings.Get(name)
		path := "keyrings." + name
		if len(k.Keys) == 0 {
			if why, ok := need[name]; ok {
				v.prodf(path, "missing; %s", why)
			}
			if k.ActiveKeyID != "" {
				v.errf(path+".keys", "no keys, but active_key_id is %q", k.ActiveKeyID)
			}
			continue
		}
		before := len(v.ps)
		if k.ActiveKeyID == "" {
			v.errf(path+".active_key_id", "must name the key that encrypts new values")
		} else if _, ok := k.Keys[k.ActiveKeyID]; !ok {
			v.errf(path+".active_key_id", "%q is not among the keys", k.ActiveKeyID)
		}
		for _, id := range k.KeyIDs() {
			kp := path + ".keys." + id
			if !validKeyID(id) {
				v.errf(path+".keys", "a key id is not 1-64 of A-Z a-z 0-9 _ -")
				continue
			}
			if msg := fernetKeyProblem(k.Keys[id]); msg != "" {
				v.prodf(kp, "%s%s", msg, v.from(kp))
				continue
			}
			if other, dup := seen[k.Keys[id]]; dup {
				v.prodf(kp, "same key as %s", other)
				continue
			}
			seen[k.Keys[id]] = kp
		}
		if len(v.ps) == before {
			if msg := keyringProblem(k); msg != "" {
				v.errf(path, "%s", msg)
			}
		}
	}
}

func (v *validator) apiKeys() {
	a := v.c.APIKeys
	if !isLowerAlnum(a.Prefix, 16) {
		v.errf("api_keys.prefix", "must be 1-16 of a-z 0-9")
	}
	if !isLowerAlnum(a.Env, 16) {
		v.errf("api_keys.env", "must be 1-16 of a-z 0-9")
	}
	seen := map[string]bool{}
	for i, s := range a.AllowedScopes {
		path := fmt.Sprintf("api_keys.allowed_scopes[%d]", i)
		if !validScope(s) {
			v.errf(path, "%q must be 1-64 of A-Z a-z 0-9 : . _ - starting with a letter or digit", s)
		} else if seen[s] {
			v.errf(path, "%q is listed twice", s)
		}
		seen[s] = true
	}
	if a.MaxPerUser < 1 || a.MaxPerUser > 10000 {
		v.errf("api_keys.max_per_user", "must be from 1 to 10000")
	}
	v.positive("api_keys.default_lifetime", a.DefaultLifetime)
	if v.positive("api_keys.signing.max_skew", a.Signing.MaxSkew) && a.Signing.MaxSkew > time.Hour {
		v.errf("api_keys.signing.max_skew", "must be at most 1h")
	}
	if a.Signing.BodyMaxBytes < 1 || a.Signing.BodyMaxBytes > 64<<20 {
		v.errf("api_keys.signing.signed_body_max_bytes", "must be from 1 to 67108864 (64 MiB)")
	}
	if a.Signing.Enabled && !a.Enabled {
		v.warnf("api_keys.signing.enabled", "has no effect while api_keys.enabled is false")
	}
}

func (v *validator) rateLimits() {
	known := map[string]bool{}
	for _, s := range RateLimitSlots {
		known[s] = true
	}
	for _, slot := range sortedKeys(v.c.RateLimits) {
		l := v.c.RateLimits[slot]
		path := "rate_limits." + slot
		if !known[slot] {
			v.errf(path, "unknown slot; known: %s", strings.Join(RateLimitSlots, ", "))
			continue
		}
		if l.Max < 1 {
			v.errf(path+".max", "must be at least 1")
		}
		if l.Window <= 0 {
			v.errf(path+".window", "must be a positive duration such as 1m")
		}
	}
}

func (v *validator) verifier() {
	vf := v.c.Verifier
	seen := map[string]bool{}
	for i, d := range vf.ForwardsBody {
		path := fmt.Sprintf("verifier.forwards_body[%d]", i)
		switch d {
		case "envoy", "traefik", "haproxy":
			if seen[d] {
				v.errf(path, "%q is listed twice", d)
			}
			seen[d] = true
		default:
			v.errf(path, "%q: only envoy, traefik and haproxy forward request bodies", d)
		}
	}
	if v.positive("verifier.store_timeout", vf.StoreTimeout) && vf.StoreTimeout > 10*time.Second {
		v.errf("verifier.store_timeout", "must be at most 10s")
	}
	tc := vf.TokenCache
	switch {
	case tc.MaxEntries < 0:
		v.errf("verifier.token_cache.max_entries", "must not be negative (0 turns the cache off)")
	case tc.MaxEntries > MaxTokenCacheEntries:
		v.errf("verifier.token_cache.max_entries", "must be at most %d (each entry holds a token, about 1 KiB)", MaxTokenCacheEntries)
	case tc.MaxEntries > 0:
		if v.positive("verifier.token_cache.ttl", tc.TTL) && tc.TTL > MaxTokenCacheTTL {
			v.errf("verifier.token_cache.ttl", "must be at most %s", MaxTokenCacheTTL)
		}
	}
	if vf.Assertion.Enabled {
		if vf.Assertion.Audience == "" {
			v.errf("verifier.assertion.audience", "must not be empty")
		}
		if v.positive("verifier.assertion.lifetime", vf.Assertion.Lifetime) && vf.Assertion.Lifetime > time.Hour {
			v.errf("verifier.assertion.lifetime", "must be at most 1h")
		}
		if v.c.Tokens.Access.Algorithm == "HS256" {
			v.errf("verifier.assertion.enabled", "needs tokens.access.algorithm EdDSA or ES256: upstreams verify the assertion with /.well-known/jwks.json")
		}
	}
	h := vf.Headers
	names := map[string]string{}
	for _, f := range []struct{ key, name string }{
		{"user", h.User}, {"user_id", h.UserID}, {"email", h.Email}, {"name", h.Name},
		{"groups", h.Groups}, {"auth_method", h.AuthMethod}, {"api_key_id", h.APIKeyID},
		{"scopes", h.Scopes}, {"content_sha256", h.ContentSHA256}, {"assertion", h.Assertion},
		{"issuer", h.Issuer},
	} {
		path := "verifier.headers." + f.key
		lower := strings.ToLower(f.name)
		switch {
		case f.name == "":
			v.errf(path, "must not be empty")
		case !isToken(f.name):
			v.errf(path, "%q is not a valid header name", f.name)
		case reservedHeaders[lower]:
			v.errf(path, "%q is a header proxies and browsers interpret; choose another name", f.name)
		case names[lower] != "":
			v.errf(path, "same header as verifier.headers.%s", names[lower])
		default:
			names[lower] = f.key
		}
	}
}

var reservedHeaders = map[string]bool{
	"host": true, "content-length": true, "content-type": true, "transfer-encoding": true,
	"connection": true, "keep-alive": true, "upgrade": true, "te": true, "trailer": true,
	"authorization": true, "proxy-authorization": true, "cookie": true, "set-cookie": true,
	"location": true, "www-authenticate": true, "x-forwarded-for": true,
	"x-forwarded-host": true, "x-forwarded-proto": true, "x-forwarded-method": true,
	"x-forwarded-uri": true, "x-original-url": true, "x-original-method": true, "forwarded": true,
}

func (v *validator) passwords() {
	p := v.c.Passwords
	if p.Threads < 1 {
		v.errf("passwords.threads", "must be at least 1")
	}
	if p.Time < 1 {
		v.errf("passwords.time", "must be at least 1")
	}
	switch {
	case p.Memory < 8*uint32(max(p.Threads, 1)):
		v.errf("passwords.memory", "must be at least 8 KiB per thread")
	case p.Memory > 4<<20:
		v.errf("passwords.memory", "must be at most 4194304 KiB (4 GiB)")
	case p.Memory < 19456 || p.Time < 2:
		v.warnf("passwords.memory", "argon2id below m=19 MiB, t=2 is weaker than OWASP's minimum")
	}
	if p.MinLength < 1 {
		v.errf("passwords.min_length", "must be at least 1")
	} else if p.MinLength < 8 {
		v.warnf("passwords.min_length", "passwords shorter than 8 characters are easy to guess")
	}
	if p.MaxLength < p.MinLength {
		v.errf("passwords.max_length", "must not be below min_length")
	} else if p.MaxLength > 1024 {
		v.errf("passwords.max_length", "must be at most 1024")
	}
	if p.MaxConcurrentHashes < 0 || p.MaxConcurrentHashes > 1024 {
		v.errf("passwords.max_concurrent_hashes", "must be between 0 (automatic) and 1024")
	}
}

func (v *validator) totp() {
	t := v.c.TOTP
	switch t.Algorithm {
	case "SHA1", "SHA256", "SHA512":
	default:
		v.errf("totp.algorithm", "must be SHA1, SHA256 or SHA512, not %q", t.Algorithm)
	}
	if t.Issuer == "" || strings.ContainsAny(t.Issuer, ":\x00\r\n") {
		v.errf("totp.issuer", "must be non-empty and must not contain ':' or control characters")
	}
	v.positive("totp.step_up_ttl", t.StepUpTTL)
}

func (v *validator) oauth() {
	o := v.c.OAuth
	if !o.Enabled {
		return
	}
	if len(o.Providers) == 0 {
		v.errf("oauth.providers", "oauth is enabled but no provider is configured")
	}
	path := "oauth.redirect_base"
	if o.RedirectBase == "" {
		path = "public_url"
	}
	if u, err := url.Parse(v.c.OAuthRedirectBase()); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || isLoopbackOrPrivate(u.Hostname()) {
		v.prodf(path, "the OAuth redirect base must be a public https URL")
	} else if o.RedirectBase != "" {
		if u.RawQuery != "" || u.Fragment != "" {
			v.errf(path, "must not have a query or fragment")
		}
	}
	names := map[string]bool{}
	for i, p := range o.Providers {
		pp := fmt.Sprintf("oauth.providers[%d]", i)
		if !validProviderName(p.Name) {
			v.errf(pp+".name", "must be 1-32 of a-z 0-9 -, starting with a letter or digit")
		} else if names[p.Name] {
			v.errf(pp+".name", "%q is used twice", p.Name)
		}
		names[p.Name] = true
		switch p.Kind {
		case ProviderOIDC:
			if p.Issuer == "" {
				v.errf(pp+".issuer", "an oidc provider needs its issuer URL")
			} else if u, err := url.Parse(p.Issuer); err != nil || u.Host == "" || u.User != nil || (u.Scheme != "https" && !(u.Scheme == "http" && !v.prod && isLoopbackHost(u.Hostname()))) {
				v.errf(pp+".issuer", "must be an https URL (http only for loopback in development)")
			}
			if !contains(p.Scopes, "openid") {
				v.errf(pp+".scopes", "an oidc provider needs the openid scope")
			}
		case ProviderGitHub, ProviderGoogle:
			if p.Issuer != "" {
				v.warnf(pp+".issuer", "ignored for kind %s", p.Kind)
			}
		default:
			v.errf(pp+".kind", "must be oidc, github or google, not %q", p.Kind)
		}
		if p.ClientID == "" {
			v.errf(pp+".client_id", "must not be empty")
		}
		if p.ClientSecret.IsZero() {
			v.errf(pp+".client_secret", "must be set (inline, client_secret_file or %s)", EnvName("oauth", "providers", p.Name, "client_secret"))
		}
	}
}

func (v *validator) log() {
	switch v.c.Log.Level {
	case "trace", "debug", "info", "warn", "error":
	default:
		v.errf("log.level", "must be trace, debug, info, warn or error, not %q", v.c.Log.Level)
	}
	switch v.c.Log.Format {
	case "", "json", "console":
	default:
		v.errf("log.format", "must be json or console, not %q", v.c.Log.Format)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
