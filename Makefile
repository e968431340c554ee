# The two commands a newcomer needs are `make dev` (run the gateway for local
# use) and `make test` (everything a contributor runs; CI runs it too).

GO        ?= go
FUZZTIME  ?= 5s
PARALLEL  ?= 8
DEV_DIR   ?= .tmp/dev

.PHONY: help build dev dev-ceph test lint unit conformance fuzz bench bench-upstream mutants image clean

.DEFAULT_GOAL := help

## help: list the targets and the variables that change them (the default goal).
help:
	@echo "Targets (make TARGET [VAR=value ...]):"
	@awk '/^## [a-z-]+:/ { sub(/^## /, ""); n = index($$0, ":"); printf "\n  %-16s%s\n", substr($$0, 1, n - 1), substr($$0, n + 1); doc = 1; next } \
	  doc && /^## / { sub(/^## /, ""); printf "  %-16s %s\n", "", $$0; next } { doc = 0 }' $(MAKEFILE_LIST)
	@echo

## build: bin/gateway, the gateway binary.
build:
	$(GO) build -o bin/gateway ./cmd/gateway

## dev: run the mock control plane and the gateway, wired together, on
## loopback only (DEV_ADDR, default 127.0.0.1:9009; the control plane on
## DEV_CP_ADDR, default 127.0.0.1:8080), with the demo credentials from
## fixtures/dev, a freshly minted demo token, INTERNAL_API_TOKEN=DEV_TOKEN and
## a presign secret of its own (random, kept in DEV_DIR). Either failing to
## start stops both with its message. Ctrl-C stops both.
DEV_TOKEN ?= dev-internal-token
DEV_ADDR ?= 127.0.0.1:9009
DEV_CP_ADDR ?= 127.0.0.1:8080
dev:
	@mkdir -p $(DEV_DIR)
	@$(GO) build -o $(DEV_DIR)/gateway ./cmd/gateway
	@$(GO) build -o $(DEV_DIR)/controlplane-mock ./controlplane-mock
	@$(GO) build -o $(DEV_DIR)/dev ./cmd/dev
	@$(DEV_DIR)/dev -gateway $(DEV_DIR)/gateway -controlplane $(DEV_DIR)/controlplane-mock \
	  -dir $(DEV_DIR) -addr $(DEV_ADDR) -cp-addr $(DEV_CP_ADDR) -token $(DEV_TOKEN)

## dev-ceph: the same local setup with STORAGE_BACKEND=s3 over a single-node
## Ceph (radosgw) started from Debian's packages in CEPH_DEV_DIR (kept: a
## second run restarts it with its data; `rm -rf` it for a fresh one).
## Needs: apt-get install ceph-mon ceph-osd radosgw ceph-common.
CEPH_DEV_DIR ?= /tmp/s3gw-dev-ceph
dev-ceph:
	@mkdir -p $(DEV_DIR)
	@$(GO) build -o $(DEV_DIR)/ceph-single ./cmd/ceph-single
	@rm -f $(DEV_DIR)/ceph.env; \
	  $(DEV_DIR)/ceph-single start --dir $(CEPH_DEV_DIR) > $(DEV_DIR)/ceph.env 2> $(DEV_DIR)/ceph.log & ceph=$$!; \
	  trap '$(DEV_DIR)/ceph-single stop --dir $(CEPH_DEV_DIR) 2>/dev/null' EXIT INT TERM; \
	  echo "  starting Ceph in $(CEPH_DEV_DIR) (log: $(DEV_DIR)/ceph.log)"; \
	  until grep -q CEPH_ENDPOINTS $(DEV_DIR)/ceph.env 2>/dev/null; do \
	    kill -0 $$ceph 2>/dev/null || { cat $(DEV_DIR)/ceph.log; exit 1; }; sleep 0.5; done; \
	  . $(abspath $(DEV_DIR))/ceph.env; echo "  Ceph's radosgw: $$UPSTREAM_ENDPOINT"; \
	  STORAGE_BACKEND=s3 $(MAKE) --no-print-directory dev

## test: formatting, vet, every test with the race detector (the conformance
## suite against a freshly built gateway included), and a short fuzz of every
## parser of untrusted input.
test: lint unit fuzz

## lint: gofmt and go vet.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## unit: every test with the race detector, then TestAbuse alone, each
## through gotestsum (a tool in go.mod), which ends with a summary: the counts
## of tests passed, failed and skipped, every skipped test with its reason (a
## missing client or engine shows there), and the failures again. TEST_JSON
## keeps the events of the main run.
#
# TestAbuse compares latencies under attack with latencies without: it runs
# alone, after the rest, so that other packages' tests are not the attack,
# and without the race detector, whose cost in the test's own 2 300 attacking
# sockets and its client (tenfold on two cores) would be measured as the
# gateway's. The gateway it starts never has the race detector.
TEST_JSON ?= .tmp/test.json
GOTESTSUM ?= $(GO) tool gotestsum --format pkgname-and-test-fails --format-hide-empty-pkg
unit:
	@mkdir -p $(dir $(TEST_JSON))
	$(GOTESTSUM) --jsonfile $(TEST_JSON) -- -race -count=1 -timeout 30m -parallel $(PARALLEL) -skip '^TestAbuse$$' ./...
	$(GOTESTSUM) -- -count=1 -run '^TestAbuse$$' ./cmd/gateway

## conformance: the suite against a freshly built gateway and mock control
## plane, writing reports/report.{xml,json,md}; exits non-zero on a failure.
conformance:
	$(GO) run ./cmd/s3conform run --report reports

## fuzz: run each fuzz target for FUZZTIME (go test allows one target per
## run). A crash fails at once (the input is saved under testdata/fuzz); the
## fuzzing engine's own shutdown timeout ("context deadline exceeded", seen
## on a loaded machine) gets one retry.
fuzz:
	@mkdir -p .tmp; set -e; for pkg in $$($(GO) list ./impl/...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$f ($$pkg, $(FUZZTIME))"; \
	    for try in 1 2; do \
	      if $(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) -parallel 1 $$pkg > .tmp/fuzz.log 2>&1; then break; fi; \
	      if grep -q "Failing input written" .tmp/fuzz.log || ! grep -q "context deadline exceeded" .tmp/fuzz.log || [ $$try = 2 ]; then \
	        cat .tmp/fuzz.log; exit 1; \
	      fi; \
	      echo "  (fuzzing engine timed out on shutdown; retrying)"; \
	    done; \
	  done; \
	done

## image: container images of the gateway and the mock control plane, FROM
## scratch (nothing is pulled): s3gw/gateway:dev and s3gw/controlplane-mock:dev.
image:
	@rm -rf .tmp/image && mkdir -p .tmp/image/gateway .tmp/image/controlplane-mock
	CGO_ENABLED=0 $(GO) build -trimpath -o .tmp/image/gateway/gateway ./cmd/gateway
	CGO_ENABLED=0 $(GO) build -trimpath -o .tmp/image/controlplane-mock/controlplane-mock ./controlplane-mock
	cp cmd/gateway/Dockerfile .tmp/image/gateway/
	cp controlplane-mock/Dockerfile fixtures/controlplane/seed.toml .tmp/image/controlplane-mock/
	docker build -q -t s3gw/gateway:dev .tmp/image/gateway
	docker build -q -t s3gw/controlplane-mock:dev .tmp/image/controlplane-mock

## bench: the load generator against a freshly started gateway (fsync and
## auth on, concurrency 8), then the upstream workloads (bench-upstream), then
## the Go micro-benchmarks. Never part of `make test`. BENCH_FLAGS adds
## s3bench flags: --target other.toml for a side-by-side run, or a short run:
##   make bench BENCH_FLAGS='--duration 2s' BENCH_UPSTREAM_FLAGS='--repeat 1 --duration 2s'
## (s3bench alone, quickest: go run ./cmd/s3bench --duration 2s).
BENCH_FLAGS ?=
bench:
	$(GO) run ./cmd/s3bench $(BENCH_FLAGS)
	$(MAKE) --no-print-directory bench-upstream
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./impl/... -skip 'BenchmarkCompleteUpload'
	$(GO) test -run '^$$' -bench BenchmarkCompleteUpload -benchtime 3x -count 3 ./impl/storage/fs/

## bench-upstream: the gateway with STORAGE_BACKEND=s3 over a fresh
## single-node Ceph beside Ceph's radosgw direct, same client, same run, each
## workload three times (medians), with the gateway's throughput as a
## fraction of radosgw's against issue 13's targets. Needs the Ceph packages.
BENCH_UPSTREAM_FLAGS ?= --repeat 3
bench-upstream:
	$(GO) run ./cmd/s3bench --upstream-ceph $(BENCH_UPSTREAM_FLAGS)

## mutants: mutation testing (gremlins) of the packages that implement S3
## semantics and authentication, killed by their unit tests plus the
## conformance suite run in-process. Slow (hours); not part of `make test`.
## -count=1: gremlins times each mutant against its coverage run, which must
## not come from the test cache, or every mutant times out.
MUTANT_PKGS ?= ./impl/checksum ./impl/presign ./impl/auth ./impl/storage/fs ./impl/s3api
GREMLINS ?= $(GO) run github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
mutants:
	@mkdir -p .tmp/mutants
	@for p in $(MUTANT_PKGS); do \
	  out=.tmp/mutants/$$(echo $$p | tr / _ | sed 's/^\._//'); \
	  echo "mutants: $$p"; \
	  GOFLAGS=-count=1 $(GREMLINS) unleash --tags mutation --workers 1 --timeout-coefficient 5 -o $$out.json $$p > $$out.log 2>&1; \
	  grep -E "^(Killed|Test efficacy|Mutator coverage)" $$out.log; \
	done

## clean: remove bin and .tmp (the data of make dev included).
clean:
	rm -rf bin .tmp
