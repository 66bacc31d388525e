package command

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/config"
	"github.com/gatehouse/gatehouse/proxyconf"
)

// Proxyconf runs `gatehouse proxyconf PROXY`: the proxy snippet for the
// config on stdout.
func Proxyconf(env *Env, args []string) error {
	names := append(proxyconf.Names(), proxyconf.Variants()...)
	fs := newFlags("proxyconf")
	cfgPath := fs.String("config", "", "gatehouse config file (default: zero-config defaults)")
	appHost := fs.String("app-host", "", "host name of the protected application (default "+proxyconf.DefaultAppHost+")")
	upstream := fs.String("upstream", "", "URL of the application (default "+proxyconf.DefaultUpstream+")")
	portal := fs.String("portal-host", "", "public URL or host of the portal (default: public_url)")
	listen := fs.String("listen", "", "address the proxy listens on (default "+proxyconf.DefaultListen+")")
	verifierAddr := fs.String("verifier", "", "host:port the proxy reaches the verifier at (default: listen.verifier)")
	luaPath := fs.String("lua-path", "", "haproxy: where haproxy.cfg loads gatehouse.lua from")
	namespace := fs.String("namespace", "", "traefik-k8s: Kubernetes namespace")
	// The proxy is the one positional argument; flags may come before or
	// after it, and "--" may precede it as in every command.
	pos, err := parseFlags(fs, args, -1)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return Usagef("proxyconf: name a proxy: %s", strings.Join(names, ", "))
	case len(pos) > 1:
		return Usagef("proxyconf: unexpected argument %q", pos[1])
	case !slices.Contains(names, pos[0]):
		return Usagef("proxyconf: unknown proxy %q (one of %s)", pos[0], strings.Join(names, ", "))
	}
	proxy := pos[0]
	var cfg *config.Config
	if *cfgPath != "" {
		c, err := config.Load(*cfgPath, env.Getenv)
		if err != nil {
			return err
		}
		cfg = c
	} else {
		cfg = config.FromDefaults(env.Getenv)
	}
	p := proxyconf.Params{
		VerifierAddr:    cfg.Listen.Verifier,
		PortalURL:       cfg.PublicURL,
		AppHost:         *appHost,
		Upstream:        *upstream,
		Listen:          *listen,
		IdentityHeaders: identityHeaderList(cfg.Verifier.Headers),
		ForwardBody:     slices.Contains(cfg.Verifier.ForwardsBody, proxyBase(proxy)),
		MaxBodyBytes:    cfg.APIKeys.Signing.BodyMaxBytes,
		CookieName:      cfg.Cookie.Name,
		LuaPath:         *luaPath,
		Namespace:       *namespace,
	}
	if *verifierAddr != "" {
		p.VerifierAddr = *verifierAddr
	}
	if *portal != "" {
		if strings.Contains(*portal, "://") {
			p.PortalURL = *portal
		} else {
			p.PortalURL = "https://" + *portal
		}
	}
	out, err := proxyconf.Render(proxy, p)
	if err != nil {
		return fmt.Errorf("proxyconf %s: %w", proxy, err)
	}
	_, err = env.Stdout.Write(out)
	return err
}

// proxyBase maps a variant (traefik-k8s, haproxy-lua) to its proxy.
func proxyBase(name string) string {
	if i := strings.IndexByte(name, '-'); i > 0 {
		return name[:i]
	}
	return name
}

// identityHeaderList lists the configured identity header names in the
// order proxyconf expects.
func identityHeaderList(h config.Headers) []string {
	return []string{
		h.User,
		h.UserID,
		h.Email,
		h.Name,
		h.Groups,
		h.AuthMethod,
		h.APIKeyID,
		h.Scopes,
		h.Issuer,
		h.ContentSHA256,
		h.Assertion,
	}
}
