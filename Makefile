# commsd — the two setup commands are `make run` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= config/example/commsd.toml
BIN := .build/debug/commsd

.PHONY: run test build deps demo-receivers format lint clean install

## make run: install what is missing, build, start the local demo receivers
## (SMTP on 127.0.0.1:2525, webhooks on 127.0.0.1:8099) and run the daemon
## with the example configuration in the foreground. Ctrl-C stops all of it.
run: deps build
	@scripts/run-demo.sh $(CONFIG)

## make test: install what is missing, build, and run the whole suite, one
## test at a time (the end-to-end tests start servers, and timing tests must
## not share two cores with them).
test: EXTRA_PACKAGES = postgresql chromium chromium-driver postfix
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel

build:
	$(SWIFT) build --product commsd

deps:
	@scripts/install-deps.sh $(EXTRA_PACKAGES)

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

clean:
	rm -rf .build config/example/var

## make install (as root): the commsd user, /usr/local/bin/commsd, the systemd
## unit, and /etc/commsd from the example unless a configuration exists.
install:
	scripts/install.sh

## make bench: install the sinks and peers, build commsd in release mode
## (.build-bench) and the C references, run the benchmarks against loopback
## sinks (with scale-out on a throw-away PostgreSQL cluster: one node, two
## nodes, beside SQLite), print a table and write BENCHMARKS.md (about 15 minutes).
## BENCH_ARGS=--quick runs smaller counts; see python3 Benchmarks/bench.py -h.
.PHONY: bench
bench:
	python3 Benchmarks/bench.py $(BENCH_ARGS)
