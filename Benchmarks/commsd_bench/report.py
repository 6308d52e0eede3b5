"""The report: the table printed at the end of a run, and BENCHMARKS.md — written whole by a full
run, or only one benchmark's own section (between its begin and end markers) by a run of
`--only scaleout` or `--only keyboard`."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import subprocess
import time
from pathlib import Path

from . import (audit, calibration, fanout, flash, http_enqueue, keyboard, memory, peers, perf_profile, scaleout, sinks,
               throughput)
from .context import Counts
from .paths import BENCH, ROOT
from .results import Results, Row


def machine(commit: str | None = None, built_from: str | None = None) -> dict[str, str]:
    """The machine, the tools' versions and the commit measured, for the report."""
    def out(argv: list[str]) -> str:
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
            return (r.stdout + r.stderr).strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"

    def deb(pkg: str) -> str:
        return out(["dpkg-query", "-W", "-f", "${Version}", pkg]) or "?"

    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    os_name = "?"
    if os.path.exists("/etc/os-release"):
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip().strip('"')
    head = commit or built_from or out(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = "" if commit else out(["git", "-C", str(ROOT), "status", "--porcelain", "--", "Sources", "Package.swift"])
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{mem / 1024 / 1024:.1f} GiB",
        "os": os_name,
        "kernel": platform.release(),
        "swift": out(["swift", "--version"]).splitlines()[0] if shutil.which("swift") else "?",
        "libcurl": out(["curl-config", "--version"]),
        "sqlite": out(["sqlite3", "--version"]).split(" ")[0] if shutil.which("sqlite3") else deb("libsqlite3-0"),
        "nginx": out(["nginx", "-v"]).replace("nginx version: ", ""),
        "postfix": deb("postfix"),
        "alertmanager": deb("prometheus-alertmanager"),
        "wrk": deb("wrk"),
        "python": platform.python_version(),
        "commit": head + (" + uncommitted changes in Sources/" if dirty else
                          f" (the committed tree of {commit}, built apart from the work tree)" if commit else "")
        + f"; Sources/ last changed in {out(['git', '-C', str(ROOT), 'log', '-1', '--format=%h %s', head, '--', 'Sources', 'Package.swift'])[:100]}",
    }


def table(rows: list[Row], markdown: bool) -> str:
    header = ["benchmark", "figure", "result", "target", "verdict"]
    body = [[r.bench, r.figure, r.value, r.target, r.verdict] for r in rows]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    fmt = "  ".join(f"{{:{w}}}" for w in widths)
    lines = [fmt.format(*header), fmt.format(*["-" * w for w in widths])]
    lines += [fmt.format(*[c.replace("**", "") for c in row]) for row in body]
    return "\n".join(lines)


def write_report(path: Path, results: Results, mach: dict, args, counts: Counts, started: float,
                 command: str, setup_notes: list[str]) -> None:
    """BENCHMARKS.md, whole: the table, the machine, how each figure is measured, the details of
    this run, and Benchmarks/NOTES.md (the hand-written analysis) at the end."""
    now = dt.datetime.now(dt.timezone.utc)
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{command}` on {now:%Y-%m-%d %H:%M} UTC (Benchmarks/bench.py; issue 3). "
        f"The whole run took {(time.monotonic() - started) / 60:.1f} minutes. "
        "Every figure below is from that one run, on this machine, with client and sinks on loopback "
        "sharing its cores. Regenerate with `make bench`; `make bench BENCH_ARGS=--quick` runs smaller counts.",
        "",
        table(results.rows, markdown=True),
        "",
    ]
    if results.errors:
        lines += ["## Benchmarks that did not complete", ""]
        lines += [f"- **{k}**: {v}" for k, v in results.errors.items()]
        lines.append("")
    lines += ["## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in mach.items()]
    for k, v in results.raw.get("versions", {}).items():
        lines.append(f"- {k} (peer): {v}")
    measured = [sinks.how(counts, args), calibration.how(counts, args), throughput.how(counts, args),
                fanout.how(counts, args), flash.how(counts, args), memory.how(counts, args), peers.how(counts, args),
                audit.how(counts, args), http_enqueue.how(counts, args), perf_profile.how(counts, args)]
    lines += ["", "## How each figure is measured", "", "\n".join(measured) + "\n",
              scaleout.how(counts, args), keyboard.how(args), ""]
    lines += ["## Details from this run", ""]
    for bench, notes in results.details.items():
        lines.append(f"**{bench}**")
        lines.append("")
        if bench == "profile":
            lines += notes  # already Markdown
        else:
            lines += [f"- {n}" for n in notes]
        lines.append("")
    if setup_notes:
        lines += ["Setup: " + "; ".join(setup_notes), ""]
    notes_file = BENCH / "NOTES.md"
    if notes_file.exists():
        lines += [notes_file.read_text().rstrip(), ""]
    path.write_text("\n".join(lines))


def write_section(path: Path, begin: str, end: str, title: str, rows: list[Row], how: str, notes: list[str],
                  mach: dict, command: str, minutes: float, error: str | None, apart: str = "") -> None:
    """Adds (or replaces) one benchmark's own section of BENCHMARKS.md, between its `begin` and `end`
    markers, leaving the rest of the file (the other benchmarks' results) as it is: for a run of that
    benchmark alone. A new section goes before "## Machine". `apart` ends the sentence that says the
    section is not part of the full run (e.g. ", whose table it does not change")."""
    now = dt.datetime.now(dt.timezone.utc)
    lines = [begin, title, "",
             f"Written by `{command}` on {now:%Y-%m-%d %H:%M} UTC, in {minutes:.1f} minutes; commsd "
             f"{mach.get('commit', '?')}. Same machine as below (2 cores); not part of the full run above{apart}.",
             "", table(rows, markdown=True), ""]
    if error:
        lines += [f"Did not complete: {error}", ""]
    lines += [how, "", "Details from this run:", ""]
    lines += [f"- {note}" for note in notes]
    lines += ["", end]
    section = "\n".join(lines)
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1]
    elif "\n## Machine\n" in text:
        head, rest = text.split("\n## Machine\n", 1)
        text = head.rstrip("\n") + "\n\n" + section + "\n\n## Machine\n" + rest
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
