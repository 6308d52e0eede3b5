#!/usr/bin/env bash
# The release build of commsd, the one place its flags are: `make install`
# (scripts/install.sh) and `make bench` (Benchmarks/bench.py, into
# .build-bench) both build through it. Extra arguments go to `swift build`
# (e.g. --scratch-path DIR, --show-bin-path).
#
# --static-swift-stdlib links the Swift runtime and Foundation into the
# binary (about 20 shared libraries fewer to map and relocate): every CLI
# command starts about a quarter sooner (Benchmarks/NOTES.md, "Start-up of a
# CLI command"). libsqlite3 and libxml2 stay shared libraries; libcurl and
# libpq are not linked at all but opened when first used (Sources/CCurl,
# Sources/CPostgres). Debug builds, which the tests use, stay dynamic.
set -euo pipefail
cd "$(dirname "$0")/.."
exec swift build -c release --static-swift-stdlib --product commsd "$@"
