# Sourced by scripts/build-*.sh: the cache of test tools built from the Go
# module proxy (integration/README.md), outside the clone:
#
#   ${GATEHOUSE_TOOLS_CACHE:-/var/cache/gatehouse-tools}/<name>-<version>/<binary>
#
# A build script calls tools_cache_begin (which prints the path and exits
# when the binary is cached, else makes a temporary build directory $work
# that is removed on exit), builds into $work, and ends with
# tools_cache_finish. Progress goes to stderr; the binary's path is the last
# line on stdout.

# gomod_require GO.MOD MODULE prints the version GO.MOD requires of MODULE,
# on a require line of its own or inside a require ( ... ) block.
gomod_require() {
	awk -v m="$2" '
		$1 == "require" && $2 == "(" { block = 1; next }
		block && $1 == ")" { block = 0; next }
		$1 == "require" && $2 == m { print $3; exit }
		block && $1 == m { print $2; exit }' "$1"
}

# tools_cache_begin TAG DIR BINARY sets bin to the cache's DIR/BINARY and
# prints it and exits when it exists; otherwise it checks for go, sets
# work and start, and removes work on exit. TAG prefixes progress lines.
tools_cache_begin() {
	tools_tag="$1"
	local dest="${GATEHOUSE_TOOLS_CACHE:-/var/cache/gatehouse-tools}/$2"
	bin="$dest/$3"
	if [[ -x "$bin" ]]; then
		echo "$tools_tag: cached $bin" >&2
		echo "$bin"
		exit 0
	fi
	command -v go >/dev/null || { echo "$tools_tag: go is not installed" >&2; exit 1; }
	mkdir -p "$dest"
	work="$(mktemp -d "$dest/build.XXXXXX")"
	# Module copies in $work can be read-only.
	trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
	start=$(date +%s)
}

# tools_cache_finish FILE moves the built FILE into the cache and prints
# its path.
tools_cache_finish() {
	mv "$1" "$bin"
	echo "$tools_tag: done in $(( $(date +%s) - start ))s" >&2
	echo "$bin"
}
