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

## test: install, build and run every test (unit, simulator, etcd, and the real-QEMU lab tests)
test: build
	$(SWIFT) test --skip-build

## bench: release-mode benchmarks; tables with ratios against a baseline measured in the same run
bench: deps
	$(SWIFT) run -c release HACoreBench

## demo: 3 lab hosts with vigild and etcd, three HA guests, a host power loss, recovery on the survivors
demo: build
	bash deploy/demo.sh

lab-up: deps
	bash $(LAB) up 3

lab-down:
	bash $(LAB) down

clean:
	rm -rf .build
