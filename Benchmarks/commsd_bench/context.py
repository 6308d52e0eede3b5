"""What every benchmark is handed: the counts (full or --quick), the command line's options, its
scratch folder, the running sinks, the built C references and the results to add to."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from .calibration import calibrate
from .results import Results
from .sinks import Sinks


@dataclass
class Counts:
    """How many deliveries, messages or events each benchmark uses: the full run's, or --quick's."""
    webhook: int = 100_000
    webhook_defaults: int = 20_000
    email: int = 20_000
    fanout: int = 50_000
    flash_bulk: int = 100_000
    flash_bulk_messages: int = 3
    flash_messages: int = 200
    flash_recipients: int = 10
    memory_messages: int = 10
    memory_recipients: int = 100_000
    apprise_webhooks: int = 2_000
    apprise_emails: int = 500
    alertmanager: int = 20_000
    profile: int = 50_000
    audit_events: int = 1_000_000
    http_seconds: int = 20
    scaleout: int = 30_000

    @staticmethod
    def quick() -> "Counts":
        return Counts(webhook=10_000, webhook_defaults=5_000, email=2_000, fanout=5_000, flash_bulk=10_000, flash_messages=20,
                      memory_messages=2, memory_recipients=10_000, apprise_webhooks=200,
                      apprise_emails=50, alertmanager=2_000, profile=5_000, audit_events=100_000,
                      http_seconds=5, scaleout=5_000)



@dataclass
class Context:
    """One run's shared state; a benchmark is a module with `run(ctx)`."""
    args: argparse.Namespace
    counts: Counts
    work: Path
    sinks: Sinks
    refs: dict[str, Path]
    results: Results
    calibrated: dict | None = None

    def calibrate(self) -> dict:
        """The sizes of a real commsd webhook and email (once per run; see calibration.py)."""
        if self.calibrated is None:
            self.calibrated = calibrate(self)
        return self.calibrated
