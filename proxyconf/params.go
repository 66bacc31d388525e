package proxyconf

import (
	"errors"
	"fmt"
	"github.com/gatehouse/gatehouse/config"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Params is what a template needs to know about the running gatehouse and
// the application it protects. internal/command (proxyconf.go) maps
// config.Config and the `gatehouse proxyconf` flags onto it; zero values
// take the defaults below.
type Params struct {
	// VerifierAddr is host:port of the verifier listener as the proxy
	// reaches it (default 127.0.0.1:9091).
	VerifierAddr string
	// PortalURL is the portal's public URL (public_url; default
	// http://127.0.0.1:9092). Only ingress-nginx's auth-signin and the
	// comments use it: the other proxies pass the verifier's Location on.
	PortalURL string
	// AppHost is the host name the protected application is served under
	// (default app.example.test). Requests for other hosts are refused
	// so that a forged Host header cannot select another host's rules.
	AppHost string
	// Upstream is the application's URL, http or https (default
	// http://127.0.0.1:8080).
	Upstream string
	// Listen is the proxy's listen address, host:port; an empty host
	// means every interface (default :80).
	Listen string
	// IdentityHeaders are the identity header names the verifier sends
	// (default DefaultIdentityHeaders). Each is copied from the verifier's
	// answer and stripped from the client's request.
	IdentityHeaders []string
	// ForwardBody makes proxies that can (Traefik, Envoy) send the request
	// body to the verifier so signed-request bodies are checked there.
	ForwardBody bool
	// MaxBodyBytes caps a forwarded body (default 1 MiB, the verifier's
	// signed_body_max_bytes).
	MaxBodyBytes int64
	// CookieName is the session cookie (default gatehouse_session); the
	// proxies that can pass a refreshed cookie back on success do so.
	CookieName string
	// Timeout bounds one verifier call (default 1s; Envoy's own default
	// of 200 ms is too short for a cold store).
	Timeout time.Duration
	// LuaPath is where haproxy.cfg loads the Lua action from (default
	// /etc/haproxy/gatehouse.lua); render the script with "haproxy-lua".
	LuaPath string
	// Namespace is the Kubernetes namespace of the Traefik Middleware
	// objects (default default).
	Namespace string
}

// DefaultIdentityHeaders are the headers of docs/design.md "Answers"
// (Remote-Issuer carries an external_jwt token's iss and is sent empty for
// every other credential) plus the two the verifier adds in some cases
// (Remote-Content-SHA256 for signed requests whose body the proxy cannot
// forward, Gatehouse-Assertion when enabled). All are stripped from client
// requests whether or not they are sent.
func DefaultIdentityHeaders() []string {
	return []string{
		"Remote-User", "Remote-User-Id", "Remote-Email", "Remote-Name",
		"Remote-Groups", "Remote-Auth-Method", "Remote-Api-Key-Id",
		"Remote-Scopes", "Remote-Issuer", "Remote-Content-SHA256", "Gatehouse-Assertion",
	}
}

// Defaults used when a Params field is zero.
const (
	DefaultVerifierAddr = "127.0.0.1:9091"
	DefaultPortalURL    = "http://127.0.0.1:9092"
	DefaultAppHost      = "app.example.test"
	DefaultUpstream     = "http://127.0.0.1:8080"
	DefaultListen       = ":80"
	DefaultCookieName   = "gatehouse_session"
	DefaultMaxBodyBytes = 1 << 20
	DefaultTimeout      = time.Second
	DefaultLuaPath      = "/etc/haproxy/gatehouse.lua"
	DefaultNamespace    = "default"
)

// ErrInvalidParams is wrapped by every validation failure of Render.
var ErrInvalidParams = errors.New("proxyconf: invalid parameters")

// view is the validated, derived data the templates execute on.
type view struct {
	Name           string
	VerifierAddr   string
	VerifierHost   string
	VerifierPort   int
	PortalURL      string
	AppHost        string
	Upstream       string
	UpstreamScheme string
	UpstreamHost   string
	UpstreamPort   int
	Listen         string // host:port with an explicit host where needed
	ListenHost     string // may be empty
	ListenPort     int
	Headers        []header
	ForwardBody    bool
	MaxBodyBytes   int64
	CookieName     string
	Timeout        time.Duration
	LuaPath        string
	Namespace      string
}

// header is one identity header with the spellings each template needs.
type header struct {
	Name  string // as configured, e.g. Remote-User
	Lower string // remote-user
	Var   string // remote_user: nginx/HAProxy variable suffix
	// Aliases are the other spellings a back end folds into the same
	// variable (CGI, WSGI, PHP: HTTP_REMOTE_USER): every combination of
	// '-', '_' and '.' between the words, e.g. Remote_User, Remote.User,
	// Remote-User_Id. Proxies that cannot delete by pattern list them all.
	Aliases []string
	// Pattern matches the name and every alias in a lower-case header
	// name: the words joined by [^a-z0-9] (remote[^a-z0-9]user).
	Pattern string
}

// maxHeaderDashes bounds the words of an identity header name: its
// aliases grow as 3^dashes and some templates list each one.
const maxHeaderDashes = 4

// build applies defaults and validates p. Values end up inside quoted or
// bare tokens of several config languages, so each is held to a character
// set that is inert in all of them.
func (p Params) build(name string) (view, error) {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

	v := view{
		Name:         name,
		VerifierAddr: orDefault(p.VerifierAddr, DefaultVerifierAddr),
		PortalURL:    strings.TrimRight(orDefault(p.PortalURL, DefaultPortalURL), "/"),
		AppHost:      strings.ToLower(orDefault(p.AppHost, DefaultAppHost)),
		Upstream:     orDefault(p.Upstream, DefaultUpstream),
		ForwardBody:  p.ForwardBody,
		MaxBodyBytes: p.MaxBodyBytes,
		CookieName:   orDefault(p.CookieName, DefaultCookieName),
		Timeout:      p.Timeout,
		LuaPath:      orDefault(p.LuaPath, DefaultLuaPath),
		Namespace:    orDefault(p.Namespace, DefaultNamespace),
	}
	if v.MaxBodyBytes == 0 {
		v.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if v.MaxBodyBytes < 0 || v.MaxBodyBytes > 64<<20 {
		bad("max body bytes must be between 1 and 64 MiB")
	}
	if v.Timeout == 0 {
		v.Timeout = DefaultTimeout
	}
	if v.Timeout < 10*time.Millisecond || v.Timeout > time.Minute || v.Timeout%time.Millisecond != 0 {
		bad("timeout must be whole milliseconds between 10ms and 1m")
	}

	host, port, err := splitHostPort(v.VerifierAddr, false)
	if err != nil {
		bad("verifier address: %v", err)
	}
	v.VerifierHost, v.VerifierPort = host, port

	if !validHost(v.AppHost) {
		bad("app host must be a DNS name or IP address")
	}
	if u, err := parseHTTPURL(v.PortalURL); err != nil {
		bad("portal url: %v", err)
	} else if u.Path != "" {
		bad("portal url must not have a path")
	}
	if u, err := parseHTTPURL(v.Upstream); err != nil {
		bad("upstream: %v", err)
	} else {
		v.UpstreamScheme = u.Scheme
		v.UpstreamHost = u.Hostname()
		v.UpstreamPort = 80
		if u.Scheme == "https" {
			v.UpstreamPort = 443
		}
		if ps := u.Port(); ps != "" {
			v.UpstreamPort, _ = strconv.Atoi(ps)
		}
		if u.Path != "" && u.Path != "/" {
			bad("upstream must not have a path")
		}
		v.Upstream = u.Scheme + "://" + u.Host
	}

	lh, lp, err := splitHostPort(orDefault(p.Listen, DefaultListen), true)
	if err != nil {
		bad("listen address: %v", err)
	}
	v.ListenHost, v.ListenPort = lh, lp
	v.Listen = net.JoinHostPort(lh, strconv.Itoa(lp))

	if !isToken(v.CookieName, false) {
		bad("cookie name must be letters, digits, '-' or '_'")
	}
	if !validPath(v.LuaPath) {
		bad("lua path must be an absolute path of letters, digits, '/', '.', '-' or '_'")
	}
	if !isToken(v.Namespace, false) || strings.Contains(v.Namespace, "_") || strings.ToLower(v.Namespace) != v.Namespace {
		bad("namespace must be a lower-case DNS label")
	}

	names := p.IdentityHeaders
	if len(names) == 0 {
		names = DefaultIdentityHeaders()
	}
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		// Underscores are refused: nginx drops such names by default and
		// every proxy treats '_' and '-' differently, which is exactly the
		// aliasing the strip rules defend against.
		if !isToken(n, true) {
			bad("identity header %q must be letters, digits and '-'", n)
			continue
		}
		if strings.Count(n, "-") > maxHeaderDashes {
			bad("identity header %q has more than %d '-'", n, maxHeaderDashes)
			continue
		}
		l := strings.ToLower(n)
		if seen[l] {
			bad("identity header %q is listed twice", n)
			continue
		}
		seen[l] = true
		v.Headers = append(v.Headers, header{
			Name:    n,
			Lower:   l,
			Var:     strings.ReplaceAll(l, "-", "_"),
			Aliases: aliases(n),
			Pattern: strings.ReplaceAll(l, "-", "[^a-z0-9]"),
		})
	}
	if len(v.Headers) > 64 {
		bad("at most 64 identity headers")
	}
	if len(problems) > 0 {
		return view{}, fmt.Errorf("%w: %s", ErrInvalidParams, strings.Join(problems, "; "))
	}
	return v, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// splitHostPort parses host:port; the host may be empty only when
// emptyHost is set. The port must be 1..65535.
func splitHostPort(s string, emptyHost bool) (string, int, error) {
	host, ps, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, errors.New("want host:port")
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 1 || port > 65535 || strconv.Itoa(port) != ps {
		return "", 0, errors.New("bad port")
	}
	if host == "" && !emptyHost {
		return "", 0, errors.New("missing host")
	}
	if host != "" && !validHost(host) {
		return "", 0, errors.New("bad host")
	}
	return strings.ToLower(host), port, nil
}

// parseHTTPURL accepts http(s)://host[:port][/] without user info, query
// or fragment.
func parseHTTPURL(s string) (*url.URL, error) {
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`"'\`+"`{}<>|^;$", r) {
			return nil, errors.New("contains a character that is not allowed")
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, errors.New("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("scheme must be http or https")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || strings.Contains(s, "?") || strings.Contains(s, "#") {
		return nil, errors.New("must not carry user info, query or fragment")
	}
	if !validHost(u.Hostname()) {
		return nil, errors.New("bad host")
	}
	if ps := u.Port(); ps != "" {
		if n, err := strconv.Atoi(ps); err != nil || n < 1 || n > 65535 {
			return nil, errors.New("bad port")
		}
	}
	return u, nil
}

// validHost accepts an IPv4 address or a DNS name of letters, digits, '-'
// and '.', each label 1..63 bytes, 253 bytes in all.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	if ip := net.ParseIP(h); ip != nil {
		// IPv6 literals would need brackets in some formats and not in
		// others; use a name for them.
		return ip.To4() != nil && !strings.Contains(h, ":")
	}
	return config.ValidHostname(h)
}

// isToken reports whether s is 1..64 bytes of letters, digits and '-'
// (plus '_' unless dashOnly), starting with a letter.
func isToken(s string, dashOnly bool) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9', c == '-':
			if i == 0 {
				return false
			}
		case c == '_' && !dashOnly:
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return s[len(s)-1] != '-'
}

func validPath(s string) bool {
	if !strings.HasPrefix(s, "/") || len(s) > 1024 || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("/.-_", c) >= 0) {
			return false
		}
	}
	return true
}

// aliases returns every spelling of name with each '-' replaced by '-',
// '_' or '.', except name itself, in a stable order.
func aliases(name string) []string {
	words := strings.Split(name, "-")
	all := []string{words[0]}
	for _, w := range words[1:] {
		next := make([]string, 0, len(all)*3)
		for _, s := range all {
			for _, sep := range []string{"-", "_", "."} {
				next = append(next, s+sep+w)
			}
		}
		all = next
	}
	return all[1:] // all[0] joins every word with '-': the name itself
}
