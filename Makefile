# gatehouse — common tasks. `make test` is the full suite CI runs.
GO       ?= go
PKGS     ?= ./...
FUZZTIME ?= 60s
BIN      ?= bin/gatehouse

.PHONY: build test test-short lint bench bench-go bench-store bench-proxy fuzz deps

build:
	$(GO) build -trimpath -o $(BIN) .

# The whole suite, integration tests included (they skip locally when a
# proxy binary is missing, unless GATEHOUSE_REQUIRE_INTEGRATION=1).
test:
	$(GO) test -race -count=1 -timeout 40m $(PKGS)

test-short:
	$(GO) test -count=1 -short $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

# Micro-benchmarks of every hot-path piece.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1s ./signing ./verifier ./keystore/...

# Store throughput against real Redis deployments on loopback (standalone,
# Sentinel, 3-primary Cluster; needs redis-server): session lookup and create
# ops/s, the verifier's cookie decisions/s on a cache miss (docs/design.md
# "Store throughput"), then the bytes Redis holds per user, session and API
# key over 10,000 records (README "Running several replicas").
STORE_BENCHTIME ?= 2s
bench-store:
	$(GO) test -run '^$$' -bench 'SessionLookup|SessionCreate' -benchmem -benchtime $(STORE_BENCHTIME) ./keystore/redis/
	$(GO) test -run '^$$' -bench 'CookieMiss' -benchmem -benchtime $(STORE_BENCHTIME) ./verifier/
	$(GO) test -run '^$$' -bench 'RecordBytes' -benchtime 10000x ./keystore/redis/

# Load benchmark on wrk: gatehouse vs a no-op fasthttp server under the same
# load, per credential kind (README "Performance"). Shorter runs:
# BENCH_WARMUP=2s BENCH_DURATION=4s BENCH_PASSES=1 make bench; JSON:
# BENCH_FLAGS=--json.
bench: build
	$(GO) build -trimpath -o bin/loadbench ./cmd/loadbench
	bin/loadbench --gatehouse $(BIN) $(BENCH_FLAGS)

# nginx with and without auth_request in front of the same upstream.
bench-proxy: build
	bash integration/bench-proxy.sh $(BIN)

# Run every fuzz target for FUZZTIME each (not part of `make test`).
fuzz:
	bash scripts/fuzz-all.sh $(FUZZTIME)

deps:
	$(GO) mod download
