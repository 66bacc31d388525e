// Package proxyconf renders ready-to-use reverse-proxy configuration that
// puts gatehouse's verifier in front of an application: nginx
// (auth_request), Traefik (ForwardAuth: file provider, Docker labels,
// Kubernetes Middleware), Caddy (forward_auth), Envoy (ext_authz HTTP
// service) and HAProxy (a Lua action), plus ingress-nginx annotations.
//
// Render is pure: it takes Params (mapped from the running config by
// internal/command), validates every value against a strict character set, and
// executes an embedded text/template. The output is golden-tested in
// testdata/ (refresh with `go test ./proxyconf -update`) and exercised
// against the real proxies by the integration tests.
//
// What every template must do, and what this package must never do:
//   - strip client-supplied identity headers (and their underscore
//     aliases where the proxy would pass them) before the request reaches
//     the upstream, so only gatehouse's values arrive there;
//   - fail closed: a verifier that cannot be reached, times out or answers
//     anything but 200 denies;
//   - never interpolate an unvalidated value into a configuration file
//     (a newline or quote in a flag would otherwise inject directives);
//   - never embed a secret: the generated files hold addresses and header
//     names only.
package proxyconf
