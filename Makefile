# auditlake: the two set-up commands are `make demo` and `make test`.
SHELL      := /bin/bash
GO         ?= go
# duckdb-go's Arrow interface is compiled only with this tag.
TAGS       := duckdb_arrow
GOFLAGS_T  := -tags=$(TAGS)
BIN        := bin/auditlake
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS    := -X main.version=$(VERSION)
DEMO_DIR   ?= .cache/demo
BENCH_TIME ?= 3x

export GOFLAGS := $(GOFLAGS_T) -buildvcs=false

.PHONY: all build demo test test-short bench fuzz lint tools clean

all: build

build: ## the binary, in bin/
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/auditlake

demo: build ## the whole job on built-in sample data: generate, ingest, detect, evidence pack
	$(BIN) demo --dir $(DEMO_DIR)

tools: ## what the tests need: a MinIO server, poppler-utils
	./scripts/tools.sh

test: tools ## unit, integration (MinIO on loopback) and end-to-end CLI tests
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) test -race -timeout 20m ./...

test-short: ## unit tests only
	$(GO) test -short -timeout 5m ./...

bench: build ## benchmarks: figures for docs/BENCHMARKS.md
	./scripts/bench.sh

fuzz: ## every fuzzer for a bounded time (FUZZTIME, default 30s each)
	./scripts/fuzz.sh

lint:
	$(GO) vet ./...
	gofmt -l . | (! grep .)

clean:
	rm -rf bin .cache
