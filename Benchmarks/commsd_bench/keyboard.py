"""Benchmark 10, flash from the keyboard (issue 26): how fast a flash message leaves the operator's
hands, measured as the operator sees it, with 100,000 recipients in CSV lists and the daemon running.

  - `commsd send --priority flash` (one recipient): the command's wall time, and the time from just
    before the command starts to the delivery's arrival at nginx (`$msec` and the `webhook-id`
    header in its access log; the webhook-id is the delivery id, mapped to its message in the store);
  - the same through `POST /v1/messages` (Python's http.client, a new connection per request as a
    script would, bearer token);
  - both idle, and while a bulk message to all 100,000 is being dispatched;
  - `commsd status ID` and `commsd send` to an audience of 10 (normal priority), wall time.

The messages are sent one after another (the next when the previous command has exited). Arrival is
nginx's clock, the start is this script's `time.time()`; both are the same machine's clock.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import time
from pathlib import Path

from .config import BODY, SUBJECT, Group, write_config
from .daemon import Daemon
from .harness import free_port, say, wait_port
from .paths import COMMSD
from .results import Row, percentile

LABEL = "10 flash from the keyboard"
TARGET_FLASH = 0.050
TARGET_SMALL = 0.030
SECTION_BEGIN = "<!-- keyboard: begin (a run of bench.py --only keyboard replaces this section) -->"
SECTION_END = "<!-- keyboard: end -->"
SECTION_TITLE = "## 10 Flash from the keyboard (a run of its own)"


def _command(argv: list[str]) -> tuple[float, float, str, str]:
    """Runs argv; returns (Unix time just before it started, wall seconds, stdout, stderr)."""
    wall_start = time.time()
    started = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    elapsed = time.monotonic() - started
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:2])} exited {r.returncode}: {r.stderr[-800:]}")
    return wall_start, elapsed, r.stdout, r.stderr


def _send_cli(cfg: Path, audience: str, priority: str) -> tuple[str, float, float]:
    """`commsd send`; returns (message id, Unix start, wall seconds)."""
    start, wall, out, _ = _command([str(COMMSD), "send", "--config", str(cfg), "--audience", audience,
                                    "--priority", priority, "--subject", SUBJECT, "--body", BODY])
    return out.strip().splitlines()[0], start, wall


def _send_api(port: int, token: str, audience: str) -> tuple[str, float, float]:
    """`POST /v1/messages` on a new connection; returns (message id, Unix start, wall seconds)."""
    body = json.dumps({"audiences": [audience], "priority": "flash", "subject": SUBJECT,
                       "body": BODY}, ensure_ascii=False).encode()
    start = time.time()
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", "/v1/messages", body=body, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        response = conn.getresponse()
        answer = response.read()
    finally:
        conn.close()
    elapsed = time.monotonic() - started
    if response.status not in (200, 201, 202):
        raise RuntimeError(f"POST /v1/messages answered {response.status}: {answer[:500]!r}")
    return json.loads(answer)["id"], start, elapsed


def _arrivals(daemon, record: Path, ids: list[str], timeout: float = 60) -> dict[str, float]:
    """Message id → arrival time at nginx of its (single) delivery."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen: dict[str, float] = {}
        with open(record) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    seen.setdefault(parts[1], float(parts[0]))
        marks = ",".join("?" * len(ids))
        message_of = dict(daemon.store.query(
            f"SELECT id, message_id FROM deliveries WHERE message_id IN ({marks})", ids))
        arrived = {message_of[d]: t for d, t in seen.items() if d in message_of}
        if len(arrived) >= len(ids):
            return arrived
        daemon.check_alive()
        time.sleep(0.1)
    return arrived


def _round(daemon, record: Path, cfg: Path, port: int, token: str, n: int) -> dict[str, list[float]]:
    """n flash messages by the CLI, then n by the API; wall times and start→arrival times."""
    out: dict[str, list[float]] = {}
    for way in ("cli", "api"):
        starts: dict[str, float] = {}
        walls: list[float] = []
        for _ in range(n):
            if way == "cli":
                mid, start, wall = _send_cli(cfg, "flash", "flash")
            else:
                mid, start, wall = _send_api(port, token, "flash")
            starts[mid] = start
            walls.append(wall)
        arrived = _arrivals(daemon, record, list(starts))
        out[f"{way}_wall"] = walls
        out[f"{way}_arrival"] = [arrived[m] - starts[m] for m in starts if m in arrived]
        out[f"{way}_missing"] = [float(len(starts) - len(arrived))]
    return out


def measure(ctx) -> None:
    """Benchmark 10: flash by CLI and API, idle and under a bulk; then send to 10 and status."""
    n_bulk = 100_000 if not ctx.args.quick else 10_000
    n = 20
    d = ctx.work / "keyboard"
    d.mkdir(parents=True, exist_ok=True)
    record = ctx.sinks.log_path("keyboard")
    record.write_text("")
    port = free_port()
    conc = ctx.args.webhook_concurrency
    endpoints = {"sink": {"url": f"{ctx.sinks.http}/sink", "concurrency": conc},
                 "rx": {"url": f"{ctx.sinks.http}/keyboard", "concurrency": 8}}
    cfg = d / "commsd.toml"
    tokens = write_config(cfg, [Group("bulk", n_bulk, "sink:r{i}", "r"), Group("flash", 1, "rx:f{i}", "f"),
                                Group("ten", 10, "sink:t{i}", "t")],
                          endpoints=endpoints, max_in_flight=conc,
                          api={"port": port, "tokens": [{"name": "keyboard", "audiences": ["flash"],
                                                         "max_priority": "flash"}]})
    say(f"10 flash from the keyboard: {n_bulk:,} recipients in a CSV list, {n} messages each way")
    daemon = Daemon(cfg, d / "daemon.log")
    daemon.start()
    figures: dict[str, dict[str, list[float]]] = {}
    notes: list[str] = []
    try:
        wait_port(port, 30, daemon.proc)
        _send_cli(cfg, "flash", "flash")  # warm the page cache for the binary
        figures["idle"] = _round(daemon, record, cfg, port, tokens["keyboard"], n)
        small: dict[str, list[float]] = {"send10": [], "status": []}
        ids = []
        for _ in range(n):
            mid, _, wall = _send_cli(cfg, "ten", "normal")
            small["send10"].append(wall)
            ids.append(mid)
        for mid in ids:
            _, wall, _, _ = _command([str(COMMSD), "status", mid, "--config", str(cfg)])
            small["status"].append(wall)
        bulk_id, bulk_wall = daemon.send("bulk", "bulk")
        daemon.wait_planned(bulk_id, timeout=300)
        deadline = time.monotonic() + 60
        while daemon.store.finished(bulk_id) < 1000 and time.monotonic() < deadline:
            time.sleep(0.02)
        before = n_bulk - daemon.store.finished(bulk_id)
        figures["loaded"] = _round(daemon, record, cfg, port, tokens["keyboard"], n)
        after = n_bulk - daemon.store.finished(bulk_id)
        notes.append(f"Under load: the bulk message to {n_bulk:,} (its `commsd send` took {bulk_wall * 1000:,.0f} "
                     f"ms) had {before:,} deliveries to go when the flash messages started and {after:,} when "
                     f"they were done.")
    finally:
        daemon.stop()
        daemon.cleanup(ctx.args.keep)

    def ms(values: list[float], p: float) -> str:
        v = percentile(values, p)
        return "–" if v is None else f"{v * 1000:,.0f} ms"

    def verdict(values: list[float], target: float) -> str:
        v = percentile(values, 95)
        return "" if v is None else ("met" if v < target else "missed")

    ctx.results.raw["keyboard"] = dict(recipients=n_bulk, messages=n, figures=figures, small=small)
    for phase in ("idle", "loaded"):
        f = figures[phase]
        for way, what in (("cli", "`commsd send --priority flash`"), ("api", "`POST /v1/messages` flash")):
            for kind, label in (("wall", "answer"), ("arrival", "to arrival at nginx")):
                values = f[f"{way}_{kind}"]
                ctx.results.rows.append(Row(
                    LABEL, f"{what} {label}, {phase} (p50 / p95)", f"{ms(values, 50)} / {ms(values, 95)}",
                    "p95 < 50 ms", verdict(values, TARGET_FLASH)))
            if f[f"{way}_missing"][0]:
                notes.append(f"{phase}, {way}: {f[f'{way}_missing'][0]:.0f} of {n} deliveries did not arrive in 60 s.")
    for key, what in (("send10", "`commsd send` to 10 (normal)"), ("status", "`commsd status ID`")):
        ctx.results.rows.append(Row(LABEL, f"{what} (p50 / p95)", f"{ms(small[key], 50)} / {ms(small[key], 95)}",
                                        "p95 < 30 ms", verdict(small[key], TARGET_SMALL)))
    for phase in ("idle", "loaded"):
        f = figures[phase]
        notes.append(f"{phase}: CLI answers " + ", ".join(f"{v * 1000:.0f}" for v in f["cli_wall"])
                     + " ms; CLI to arrival " + ", ".join(f"{v * 1000:.0f}" for v in f["cli_arrival"]) + " ms.")
    ctx.results.details.setdefault("keyboard", []).extend(notes)


def how(args) -> str:
    """The bullet of "How each figure is measured" (and of this benchmark's own section)."""
    return ("- **10 Flash from the keyboard** (targets: p95 < 50 ms for flash, < 30 ms for status and send to 10): "
            "100,000 webhook recipients in a CSV list (nginx `/sink`), one flash recipient on nginx `/keyboard` "
            "(logging `$msec $http_webhook_id`), 10 recipients in audience `ten`, an `[api]` token for `flash` (made by `commsd token create`). "
            "20 flash messages one after another by `commsd send --priority flash`, then 20 by `POST /v1/messages` "
            "(a new connection each, Python http.client); 'answer' is the command's (request's) wall time, 'to "
            "arrival' is from `time.time()` just before it to nginx's `$msec` for its delivery. Idle, then while "
            "a bulk message to all 100,000 is dispatched (measured after its first 1,000 deliveries). Then 20 × "
            "`commsd send` to the 10 and 20 × `commsd status ID`. Release build in .build-bench; client, daemon "
            "and nginx share the two cores.")
