#!/usr/bin/env python3
"""commsd benchmarks (issue 3): dispatch speed against the libcurl limit and peers.

    make bench                         # = python3 Benchmarks/bench.py
    python3 Benchmarks/bench.py --quick --no-write   # smaller counts, no BENCHMARKS.md
    python3 Benchmarks/bench.py --only webhook,email --skip-deps

In one run it installs what is missing (nginx, postfix's smtp-sink, sqlite3,
prometheus-alertmanager, wrk, Apprise; postgresql for `scaleout`), builds
commsd in release mode into .build-bench and the C references into
Benchmarks/.out, starts its own sinks on loopback (nginx answering 204,
smtp-sink), runs each benchmark of issue 3 with a bounded timeout, prints a
table and writes BENCHMARKS.md. Every server it starts is stopped by PID;
nothing is sent anywhere but 127.0.0.1.

Python 3.11 standard library only (Apprise runs in a child process). The
benchmarks are the package Benchmarks/commsd_bench: a module per benchmark
beside the harness, sinks, configuration and report (see its __init__.py).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from commsd_bench.cli import main  # noqa: E402  (after the path is set)

if __name__ == "__main__":
    sys.exit(main(description=__doc__))
