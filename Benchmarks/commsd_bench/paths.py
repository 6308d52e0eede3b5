"""Where things are: the repository, the benchmarks' scratch folder, the binary under test."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BENCH = ROOT / "Benchmarks"
OUT = BENCH / ".out"  # git-ignored: built references, logs, scratch data
SCRATCH = ".build-bench"
COMMSD = ROOT / SCRATCH / "release" / "commsd"
RECEIVER = ROOT / "Tests" / "Receivers" / "http_receiver.py"
SMTP_RECEIVER = ROOT / "Tests" / "Receivers" / "smtp_receiver.py"
PYTHON = sys.executable or "python3"
