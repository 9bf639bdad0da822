# Vigil: the two commands a newcomer runs are `make demo` and `make test` (see README.md).
SWIFT ?= swift
LAB := deploy/lab/lab

.PHONY: deps build test bench demo lab-up lab-down clean

## deps: install every Debian package Vigil needs (idempotent; needs root)
deps:
	bash deploy/install-deps.sh

## build: debug build of every target, tests included
build: deps
	$(SWIFT) build --build-tests

## test: install, build and run every test (unit, simulator, etcd, and the real-QEMU lab tests).
## A run normally takes minutes; one still going after TEST_TIMEOUT is stopped (and its lab taken
## down) so that a hung test fails clearly instead of holding CI until its own limit.
TEST_TIMEOUT ?= 45m
test: build
	timeout --kill-after=30s $(TEST_TIMEOUT) $(SWIFT) test --skip-build || { rc=$$?; \
	  [ $$rc -ne 124 ] && [ $$rc -ne 137 ] || echo "make test: stopped after $(TEST_TIMEOUT): a test hung" >&2; \
	  pkill -KILL -f '$(CURDIR)/.build/.*/[V]igilPackageTests.xctest' || true; \
	  bash $(LAB) down >/dev/null 2>&1; exit $$rc; }

## bench: benchmarks; tables with ratios against a baseline measured in the same run: the HA core at
## scale (release build), then host failover in the lab against the lab's floor (bench/results/*.json)
bench: build
	$(SWIFT) run -c release HACoreBench
	VIGIL_BENCH=1 $(SWIFT) test --skip-build --filter AgentLabTests.testFailoverBenchmark

## demo: 3 lab hosts with vigild and etcd, three HA guests, a host power loss, recovery on the survivors
demo: build
	bash deploy/demo.sh

lab-up: deps
	bash $(LAB) up 3

lab-down:
	bash $(LAB) down

clean:
	rm -rf .build
