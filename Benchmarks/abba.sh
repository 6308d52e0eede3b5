#!/bin/bash
# Two commsd release binaries against each other in one session, in the order A B B A, so a
# machine whose speed drifts drifts for both (Benchmarks/NOTES.md compares them this way):
#
#   Benchmarks/abba.sh OLD_BINARY NEW_BINARY [BENCHES] [ROUNDS]
#
# BENCHES defaults to webhook,email and ROUNDS to 2. Each binary is copied into
# .build-bench/release/commsd in turn (NEW_BINARY is left there), and bench.py runs with
# --skip-build --no-write, so BENCHMARKS.md is not touched. Prints each round's commsd and C
# reference lines; µs of CPU per delivery is the CPU figure over the count (100,000 webhooks,
# 20,000 emails). For http (benchmark 8: its offered rate and closed loop) it prints each run's
# summary line and its rows on CPU per request and the deliveries made meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2 benches=${3:-webhook,email} rounds=${4:-2}
for run in A B B A; do
  if [ "$run" = A ]; then binary=$old; else binary=$new; fi
  cp "$binary" .build-bench/release/commsd
  rm -rf Benchmarks/.out/run
  echo "== $run ($binary) $(date -u +%H:%M)"
  python3 Benchmarks/bench.py --skip-build --skip-deps --only "$benches" --rounds "$rounds" --no-write 2>&1 |
    grep -E "   (commsd|reference): |^\[bench .*\]    [0-9,]+/s, p50" || true
  case ",$benches," in
  *,http,*)
    python3 -c '
import json
for row in json.load(open("Benchmarks/.out/run/results.json"))["rows"]:
    if row["bench"].startswith("8 ") and ("CPU" in row["figure"] or "deliveries" in row["figure"]):
        print("  ", row["figure"].split(" (")[0], "→", row["value"])'
    ;;
  esac
done
cp "$new" .build-bench/release/commsd
