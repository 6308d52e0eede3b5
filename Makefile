# commsd — the two setup commands are `make run` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= config/example/commsd.toml
BIN := .build/debug/commsd

.PHONY: run test build deps demo-receivers format lint clean

## make run: install what is missing, build, start the local demo receivers
## (SMTP on 127.0.0.1:2525, webhooks on 127.0.0.1:8099) and run the daemon
## with the example configuration in the foreground. Ctrl-C stops all of it.
run: deps build
	@scripts/run-demo.sh $(CONFIG)

## make test: install what is missing, build, and run the whole suite, one
## test at a time (the end-to-end tests start servers, and timing tests must
## not share two cores with them).
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel

build:
	$(SWIFT) build --product commsd

deps:
	@scripts/install-deps.sh

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

clean:
	rm -rf .build config/example/var
