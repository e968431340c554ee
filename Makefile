# The two commands a newcomer needs are `make dev` (run the gateway for local
# use) and `make test` (everything a contributor runs; CI runs it too).

GO        ?= go
FUZZTIME  ?= 5s
PARALLEL  ?= 8
DEV_DIR   ?= .tmp/dev

.PHONY: dev test lint unit conformance fuzz bench build clean

build:
	$(GO) build -o bin/gateway ./cmd/gateway

## dev: run the gateway on :9009 with the demo credentials from fixtures/dev.
dev:
	@mkdir -p $(DEV_DIR)
	@$(GO) build -o $(DEV_DIR)/gateway ./cmd/gateway
	@sed -n '1,200p' fixtures/dev/banner.txt
	@S3_DATA_DIR=$(DEV_DIR)/data S3_META_FILE=$(DEV_DIR)/index.db S3_MULTIPART_DIR=$(DEV_DIR)/multipart \
	  SIGV4_PROVIDER=env SIGV4_CREDENTIALS_FILE=fixtures/dev/credentials.json LOG_FORMAT=text \
	  $(DEV_DIR)/gateway

## test: formatting, vet, every test with the race detector (the conformance
## suite against a freshly built gateway included), and a short fuzz of every
## parser of untrusted input.
test: lint unit fuzz

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -parallel $(PARALLEL) ./...

## conformance: the suite alone against a freshly built gateway.
conformance:
	$(GO) test -count=1 -parallel $(PARALLEL) -v ./conformance/ 2>&1 | tee .tmp/conformance.log | grep -E '^(=== NAME|--- FAIL|FAIL|ok|PASS)' || true
	@grep -q '^ok' .tmp/conformance.log

## fuzz: run each fuzz target for FUZZTIME (go test allows one target per run).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg >/dev/null || { $(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime 1x $$pkg; exit 1; }; \
	  done; \
	done

## bench: Go benchmarks (never part of `make test`).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./impl/...

clean:
	rm -rf bin .tmp
