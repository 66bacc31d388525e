#!/usr/bin/env bash
# Build the ORY Hydra binary used by gatehouse's tests as a real OpenID
# provider (external JWT issuer), once per Hydra version, into a cache
# outside the clone:
#
#   ${GATEHOUSE_TOOLS_CACHE:-/var/cache/gatehouse-tools}/hydra-<version>/hydra
#
# Hydra's go.mod has replace directives, so `go install` is refused. We build
# scripts/hydra-wrapper instead: Hydra's own main package in a module that
# requires github.com/ory/hydra/v2 and repeats the one replace the build
# needs (pop => ORY's fork; see the wrapper's go.mod). The build uses cgo
# and the tags sqlite,sqlite_omit_load_extension: without them Hydra has no
# SQLite driver and `DSN=memory` does not work. Nothing is written inside
# the repository.
#
# Usage: scripts/build-hydra.sh        prints the binary's path last
#        HYDRA_VERSION=v2.3.0 scripts/build-hydra.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tools-cache.sh
source "$here/tools-cache.sh"
wrapper="$here/hydra-wrapper"
pinned="$(gomod_require "$wrapper/go.mod" github.com/ory/hydra/v2)"
[[ -n "$pinned" ]] || { echo "build-hydra: no require of github.com/ory/hydra/v2 in $wrapper/go.mod" >&2; exit 1; }
version="${HYDRA_VERSION:-$pinned}"

tools_cache_begin build-hydra "hydra-$version" hydra
cc="$(go env CC)"
command -v "$cc" >/dev/null || { echo "build-hydra: cgo needs a C compiler ($cc; Debian: apt-get install gcc)" >&2; exit 1; }

echo "build-hydra: Hydra $version -> $bin" >&2
cp -r "$wrapper/." "$work/"
cd "$work"
if [[ "$version" != "$pinned" ]]; then
	# Another version than the pinned go.mod/go.sum: resolve afresh.
	echo "build-hydra: [1/2] resolving modules for $version (go mod tidy)" >&2
	rm -f go.sum
	go mod edit -require "github.com/ory/hydra/v2@$version"
	GOFLAGS=-mod=mod go mod tidy
else
	echo "build-hydra: [1/2] fetching modules (pinned by scripts/hydra-wrapper/go.sum)" >&2
	go mod download
fi

echo "build-hydra: [2/2] compiling with cgo (a cold build takes about 2 minutes)" >&2
CGO_ENABLED=1 go build -mod=readonly -trimpath -tags sqlite,sqlite_omit_load_extension \
	-ldflags "-s -w -X github.com/ory/hydra/v2/driver/config.Version=$version" \
	-o "$work/hydra" .
tools_cache_finish "$work/hydra"
