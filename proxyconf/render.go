package proxyconf

import (
	"bytes"
	"embed"
	"fmt"
	"slices"
	"strings"
	"text/template"
	"time"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// names are the proxies `gatehouse proxyconf <proxy>` accepts.
var names = []string{"nginx", "traefik", "caddy", "envoy", "haproxy"}

// variants are further formats of the same proxies: Traefik as Docker
// labels and Kubernetes Middleware objects, nginx as ingress-nginx
// annotations, and the Lua script that haproxy.cfg loads.
var variants = []string{"traefik-docker", "traefik-k8s", "nginx-ingress", "haproxy-lua"}

// Names returns the proxy names Render accepts, in a stable order.
func Names() []string { return slices.Clone(names) }

// Variants returns the extra formats Render accepts beside Names.
func Variants() []string { return slices.Clone(variants) }

var templates = template.Must(template.New("proxyconf").Funcs(template.FuncMap{
	"join":     strings.Join,
	"ms":       func(d time.Duration) int64 { return d.Milliseconds() },
	"seconds":  seconds,
	"headers":  headerNames,
	"escapeRe": escapeRegexp,
	"aliasRe":  aliasRegexp,
	"withoutUnderscore": func(names []string) []string {
		var out []string
		for _, n := range names {
			if !strings.Contains(n, "_") {
				out = append(out, strings.ToLower(n))
			}
		}
		return out
	},
}).ParseFS(templateFS, "templates/*.tmpl"))

// Render returns the configuration for proxy (one of Names or Variants)
// built from p. It fails with ErrInvalidParams when a value is outside the
// character sets the formats can hold safely, and never returns partial
// output.
func Render(proxy string, p Params) ([]byte, error) {
	if !slices.Contains(names, proxy) && !slices.Contains(variants, proxy) {
		return nil, fmt.Errorf("proxyconf: unknown proxy %q (want one of %s, %s)", proxy,
			strings.Join(names, ", "), strings.Join(variants, ", "))
	}
	v, err := p.build(proxy)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, proxy+".tmpl", v); err != nil {
		return nil, fmt.Errorf("proxyconf: render %s: %w", proxy, err)
	}
	return buf.Bytes(), nil
}

// seconds formats d for Envoy's Duration JSON ("1s", "0.500s").
func seconds(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%.3fs", d.Seconds())
}

func headerNames(hs []header) string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Name
	}
	return strings.Join(out, ",")
}

// escapeRegexp escapes the dots of a validated host name for a regular
// expression (hosts hold only letters, digits, '-' and '.').
func escapeRegexp(s string) string { return strings.ReplaceAll(s, ".", `\.`) }

// aliasRegexp matches, ignoring case, the name of every identity header
// and of each of its aliases (Go regexp syntax, for Traefik's
// authResponseHeadersRegex). Patterns hold only letters, digits and
// "[^a-z0-9]", so nothing needs quoting in YAML or labels.
func aliasRegexp(hs []header) string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Pattern
	}
	return "(?i)^(" + strings.Join(out, "|") + ")$"
}
