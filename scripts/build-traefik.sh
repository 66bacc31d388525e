#!/usr/bin/env bash
# Build the Traefik forward-auth test binary used by gatehouse's
# integration tests, once per Traefik version, into a cache outside the
# clone:
#
#   ${GATEHOUSE_TOOLS_CACHE:-/var/cache/gatehouse-tools}/traefik-<version>/traefik
#
# `go install github.com/traefik/traefik/v3/cmd/traefik` is refused (its
# go.mod has replace directives) and the full binary needs ACME DNS-provider
# SDKs the module proxy does not serve. So we build scripts/traefik-wrapper:
# a small program that decodes the dynamic configuration with Traefik's own
# file provider and mounts Traefik's own ForwardAuth and Headers
# middlewares (pkg/middlewares/auth, pkg/middlewares/headers) in front of a
# reverse proxy. Even that import graph reaches lego's DNS-provider
# registry, so the build uses a copy of the lego module whose
# providers/dns package is trimmed to a stub (DNS challenges are never
# used). Nothing is written inside the repository.
#
# Usage: scripts/build-traefik.sh        prints the binary's path last
#        TRAEFIK_VERSION=v3.7.13 scripts/build-traefik.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tools-cache.sh
source "$here/tools-cache.sh"
wrapper="$here/traefik-wrapper"
version="${TRAEFIK_VERSION:-$(gomod_require "$wrapper/go.mod" github.com/traefik/traefik/v3)}"

tools_cache_begin build-traefik "traefik-$version" traefik

echo "build-traefik: Traefik $version -> $bin" >&2
cp -r "$wrapper/." "$work/"
rm -f "$work/go.sum"
cd "$work"
go mod edit -require "github.com/traefik/traefik/v3@$version"

echo "build-traefik: [1/4] fetching the Traefik module" >&2
traefik_mod="$(go mod download -json "github.com/traefik/traefik/v3@$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
lego_version="$(awk '$1 == "github.com/go-acme/lego/v5" { print $2; exit }' "$traefik_mod")"
[[ -n "$lego_version" ]] || { echo "build-traefik: cannot find lego's version in $traefik_mod" >&2; exit 1; }

echo "build-traefik: [2/4] lego $lego_version with the DNS-provider registry trimmed" >&2
lego_dir="$(go mod download -json "github.com/go-acme/lego/v5@$lego_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
cp -r "$lego_dir" "$work/lego"
chmod -R u+w "$work/lego"
rm -f "$work"/lego/providers/dns/*.go
cat >"$work/lego/providers/dns/dns_providers.go" <<'EOF'
// Package dns is trimmed by gatehouse's scripts/build-traefik.sh: several
// DNS-provider SDKs are not served by the Go module proxy, and the
// forward-auth test build never solves DNS challenges.
package dns

import (
	"errors"

	"github.com/go-acme/lego/v5/challenge"
)

// NewDNSChallengeProviderByName always fails in this build.
func NewDNSChallengeProviderByName(name string) (challenge.Provider, error) {
	return nil, errors.New("dns challenge providers are not part of this build: " + name)
}
EOF
go mod edit -replace "github.com/go-acme/lego/v5=./lego"

echo "build-traefik: [3/4] resolving modules (go mod tidy)" >&2
GOFLAGS=-mod=mod go mod tidy

echo "build-traefik: [4/4] compiling (a cold build takes several minutes)" >&2
go build -trimpath -ldflags "-s -w -X main.traefikVersion=$version" -o "$work/traefik" .
tools_cache_finish "$work/traefik"
