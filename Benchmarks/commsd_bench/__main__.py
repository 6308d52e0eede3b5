"""`python3 -m commsd_bench` (from Benchmarks/): the same as `python3 Benchmarks/bench.py`."""

import sys

from .cli import main

sys.exit(main())
