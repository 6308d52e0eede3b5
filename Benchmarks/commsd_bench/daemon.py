"""commsd under test: `commsd serve` started on a configuration and stopped by PID, `commsd send`
timed with its own CPU, and read-only queries on the daemon's SQLite store (WAL: safe while it
runs)."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

from .config import BODY, SUBJECT
from .harness import Proc, run_with_rusage
from .paths import COMMSD
from .results import parse_time


class Store:
    """Read-only queries on the daemon's SQLite file (WAL: safe while it runs)."""

    def __init__(self, path: Path):
        self.path = path

    def query(self, sql: str, args=()) -> list[tuple]:
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def one(self, sql: str, args=()):
        rows = self.query(sql, args)
        return rows[0][0] if rows else None

    def message(self, message_id: str) -> dict:
        row = self.query("SELECT accepted_at, planned_at FROM messages WHERE id = ?", (message_id,))
        if not row:
            return {}
        return {"accepted_at": parse_time(row[0][0]), "planned_at": parse_time(row[0][1])}

    def states(self, message_id: str | None = None) -> dict[str, int]:
        if message_id:
            rows = self.query("SELECT state, count(*) FROM deliveries WHERE message_id = ? GROUP BY state", (message_id,))
        else:
            rows = self.query("SELECT state, count(*) FROM deliveries GROUP BY state")
        return dict(rows)

    def finished(self, message_id: str) -> int:
        return self.one("SELECT count(*) FROM deliveries WHERE message_id = ? AND state IN ('delivered', 'dead')",
                        (message_id,)) or 0

    def delivered_span(self, message_id: str) -> tuple[float | None, float | None]:
        row = self.query("SELECT min(delivered_at), max(delivered_at) FROM deliveries WHERE message_id = ? "
                         "AND state = 'delivered'", (message_id,))[0]
        return parse_time(row[0]), parse_time(row[1])

    def audit_count(self, kind: str) -> int:
        return self.one("SELECT count(*) FROM audit_events WHERE kind = ?", (kind,)) or 0


class Daemon:
    """`commsd serve` on one configuration, with a fresh data directory, and the sends to it."""
    def __init__(self, config: Path, log: Path):
        self.config = config
        self.data = config.parent / "var"
        self.store = Store(self.data / "commsd.sqlite")
        self.log = log
        self.proc: Proc | None = None
        self.ready_seconds: float | None = None

    def start(self, timeout: float = 120) -> None:
        if self.data.exists():
            shutil.rmtree(self.data)
        started = time.monotonic()
        self.proc = Proc("commsd serve", [str(COMMSD), "serve", "--config", str(self.config)], self.log)
        wake = self.data / "commsd.sock"  # bound last: intake goes through the daemon
        deadline = started + timeout
        while time.monotonic() < deadline:
            if not self.proc.alive():
                raise RuntimeError(f"commsd serve exited {self.proc.popen.returncode}: "
                                   f"{self.log.read_text(errors='replace')[-1500:]}")
            if wake.exists():
                self.ready_seconds = time.monotonic() - started
                time.sleep(0.2)  # let start-up work (reclaim, audit) settle
                return
            time.sleep(0.05)
        raise TimeoutError(f"commsd serve not ready after {timeout:.0f} s (no {wake})")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, audience: str, priority: str, config: Path | None = None, timeout: float = 120) -> tuple[str, float]:
        """Runs `commsd send`; returns (message id, wall seconds of the command)."""
        message_id, elapsed, _ = self.send_measured(audience, priority, config, timeout)
        return message_id, elapsed

    def send_measured(self, audience: str, priority: str, config: Path | None = None,
                      timeout: float = 120) -> tuple[str, float, float]:
        """Runs `commsd send`; returns (message id, wall seconds, CPU seconds of the command)."""
        started = time.monotonic()
        code, out, err, cpu = run_with_rusage(
            [str(COMMSD), "send", "--config", str(config or self.config), "--audience", audience,
             "--priority", priority, "--subject", SUBJECT, "--body", BODY], timeout=timeout)
        elapsed = time.monotonic() - started
        if code != 0:
            raise RuntimeError(f"commsd send exited {code}: {err[-1500:]}")
        message_id = (out.strip().splitlines() or [""])[0]
        if not message_id.startswith("msg_"):
            raise RuntimeError(f"commsd send printed {out!r}")
        return message_id, elapsed, cpu

    def wait_planned(self, message_id: str, timeout: float, poll: float = 0.05) -> float:
        """Waits until the plan is committed (visible to a reader); returns planned_at."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.store.message(message_id)
            if m.get("planned_at"):
                return m["planned_at"]
            self.check_alive()
            time.sleep(poll)
        raise TimeoutError(f"{message_id} not planned after {timeout:.0f} s")

    def wait_finished(self, message_id: str, count: int, timeout: float, poll: float = 0.5) -> int:
        deadline = time.monotonic() + timeout
        done = 0
        while time.monotonic() < deadline:
            done = self.store.finished(message_id)
            if done >= count:
                return done
            self.check_alive()
            time.sleep(poll)
        raise TimeoutError(f"{done:,} of {count:,} deliveries finished after {timeout:.0f} s")

    def check_alive(self) -> None:
        if self.proc is not None and not self.proc.alive():
            raise RuntimeError(f"commsd serve died ({self.proc.popen.returncode}): "
                               f"{self.log.read_text(errors='replace')[-1500:]}")

    def stop(self) -> int | None:
        return self.proc.stop(grace=60) if self.proc else None

    def cleanup(self, keep: bool) -> None:
        if not keep and self.data.exists():
            shutil.rmtree(self.data, ignore_errors=True)
