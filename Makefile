# Vigil: the two commands a newcomer runs are `make demo` and `make test` (see README.md).
SWIFT ?= swift
LAB := deploy/lab/lab
# The lab's lock (LabLock.path in Sources/LabSupport): `lab down` after a failed run waits for it, so
# that it never takes down a lab another run holds.
LAB_LOCK := /run/lock/vigil-lab.lock
# After a failed lab run: take its lab down (waiting for the lock), then fail with the run's status.
LAB_DOWN_AND_FAIL = { rc=$$?; flock -w 1200 $(LAB_LOCK) bash $(LAB) down >/dev/null 2>&1; exit $$rc; }

.PHONY: deps build test check bench chaos demo lab-up lab-down clean

## deps: install every Debian package Vigil needs (idempotent; needs root)
deps:
	bash deploy/install-deps.sh

## build: debug build of every target, tests included
build: deps
	$(SWIFT) build --build-tests

## test: install, build and run every test (unit, simulator, etcd, and the real-QEMU lab tests).
## A run normally takes minutes; one still going after TEST_TIMEOUT is stopped (every process it
## started killed by PID, see deploy/bounded-run) and its lab taken down, so that a hung test fails
## clearly instead of holding CI until its own limit.
TEST_TIMEOUT ?= 45m
test: build
	bash deploy/bounded-run $(TEST_TIMEOUT) $(SWIFT) test --skip-build || $(LAB_DOWN_AND_FAIL)

## check: install, build and run every test that needs no lab (unit, simulator, in-process agent,
## etcd) in a few minutes: all but Tests/AgentLabTests and Tests/LabTests, which only `make test` runs.
CHECK_TIMEOUT ?= 15m
check: build
	bash deploy/bounded-run $(CHECK_TIMEOUT) $(SWIFT) test --skip-build --skip '^(AgentLabTests|LabTests)\.'

## bench: benchmarks (release builds), each a table with ratios against a baseline measured in the
## same run and a bench/results/*.json with the date, machine and commit: the HA core at 1,000 hosts x
## 50,000 VMs against 100 x 5,000 (hacore.json); vigild's resident memory and CPU watching 100 domains
## of libvirt's test driver, and idle over 60 s, against the same vigild watching none (footprint.json);
## then in the lab, with etcd at the raft timing deploy/vigild.yaml recommends (heartbeat 50 ms,
## election 500 ms): host failover against the lab's floor (failover.json) and a drain against
## parallel virsh migrate (drain.json). A lab benchmark still going after TEST_TIMEOUT is stopped and
## its lab taken down, as in `make test`.
BENCH_ETCD_TIMING ?= 50/500
BENCH_LAB := VIGIL_LAB_ETCD_TIMING=$(BENCH_ETCD_TIMING) VIGIL_BENCH=1 bash deploy/bounded-run $(TEST_TIMEOUT) $(SWIFT) test --skip-build
bench: build
	$(SWIFT) run -c release HACoreBench
	$(SWIFT) build -c release --product vigild
	VIGIL_BENCH=1 $(SWIFT) test --skip-build --filter 'HAAgentTests.FootprintBenchmark/testVigildFootprint$$'
	$(BENCH_LAB) --filter 'AgentLabTests.testFailoverBenchmark$$' || $(LAB_DOWN_AND_FAIL)
	$(BENCH_LAB) --filter 'AgentLabTests.testDrainBenchmark$$' || $(LAB_DOWN_AND_FAIL)

## chaos: random faults on a 3-host lab with fence devices (power loss, partition, agent killed or hung,
## libvirtd killed, guest crashed), each undone before the next; every guest must run exactly once
## throughout and the cluster settle after each. A run prints its seed: SEED=n replays it exactly;
## RUNS runs (seeds SEED, SEED+1, …) of STEPS faults each. `make test` runs one run of 3 faults.
SEED ?=
RUNS ?= 1
STEPS ?= 5
chaos: build
	VIGIL_CHAOS_SEED=$(SEED) VIGIL_CHAOS_RUNS=$(RUNS) VIGIL_CHAOS_STEPS=$(STEPS) \
	  bash deploy/bounded-run $(TEST_TIMEOUT) $(SWIFT) test --skip-build --filter 'AgentLabTests.testChaos$$' || $(LAB_DOWN_AND_FAIL)

## demo: all of Vigil on 3 lab hosts with real QEMU guests, narrated and measured (KEEP=1 leaves the lab up)
demo: build
	/usr/bin/python3 deploy/demo.py $(if $(KEEP),--keep)

lab-up: deps
	bash $(LAB) up 3

lab-down:
	bash $(LAB) down

clean:
	rm -rf .build
