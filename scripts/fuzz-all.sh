#!/usr/bin/env bash
# Runs every Fuzz* target in the module for the given time each
# (default 60s). New crashers land in the package's testdata/fuzz/ and
# then run as regression seeds in every `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${1:-60s}"
status=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u || true)
  for t in $targets; do
    echo "== $pkg $t ($fuzztime)"
    if ! go test "$pkg" -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime" -fuzzminimizetime 5s; then
      echo "!! $pkg $t found a failure (see testdata/fuzz/$t)"
      status=1
    fi
  done
done
exit $status
