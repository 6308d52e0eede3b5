#!/bin/bash
# Benchmark 8 (HTTP enqueue, offered rate and closed loop) with two commsd release binaries in
# the order A B B A, so a machine whose speed drifts drifts for both (Benchmarks/NOTES.md,
# eleventh pass):
#
#   Benchmarks/abba-http.sh OLD_BINARY NEW_BINARY
#
# Each binary is copied into .build-bench/release/commsd in turn (NEW_BINARY is left there) and
# bench.py runs with --skip-build --no-write, so BENCHMARKS.md is not touched. Prints each run's
# summary lines and its rows on CPU per request and deliveries made meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for run in A B B A; do
  if [ "$run" = A ]; then binary=$old; else binary=$new; fi
  cp "$binary" .build-bench/release/commsd
  rm -rf Benchmarks/.out/run
  echo "== $run ($binary) $(date -u +%H:%M)"
  python3 Benchmarks/bench.py --skip-build --skip-deps --only http --no-write > "$log" 2>&1 || {
    tail -20 "$log"
    exit 1
  }
  grep -E "/s, p50" "$log" | grep -v "^8 HTTP" || true
  python3 -c '
import json
for row in json.load(open("Benchmarks/.out/run/results.json"))["rows"]:
    if "CPU" in row["figure"] or "deliveries" in row["figure"]:
        print("  ", row["figure"].split(" (")[0], "→", row["value"])'
done
cp "$new" .build-bench/release/commsd
