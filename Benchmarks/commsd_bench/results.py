"""What a run collects (the table's rows, notes per benchmark, raw figures) and how figures are
written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


def fmt_rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}/s"


def fmt_s(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f} s"


def fmt_ms(value: float | None) -> str:
    return "—" if value is None else f"{value * 1000:.1f} ms"


def parse_time(text: str | None) -> float | None:
    """RFC 3339 UTC text from the store → Unix seconds."""
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass
class Row:
    bench: str
    figure: str
    value: str
    target: str = ""
    verdict: str = ""  # met / missed / ""


@dataclass
class Results:
    """The table's rows, notes per benchmark (the report's details), errors and raw figures
    (results.json)."""
    rows: list[Row] = field(default_factory=list)
    details: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, dict] = field(default_factory=dict)

    def add(self, *args, **kw) -> None:
        self.rows.append(Row(*args, **kw))

    def note(self, bench: str, text: str) -> None:
        self.details.setdefault(bench, []).append(text)


def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("met" if ok else "**missed**")


def cpu_lines(label: str, cpu: float, count: int, threads: dict[str, float] | None = None) -> str:
    text = f"{label}: {cpu:.2f} CPU s = {cpu / count * 1e6:,.0f} µs per delivery"
    if threads:
        top = [f"{name} {sec:.2f} s" for name, sec in list(threads.items())[:6] if sec >= 0.01]
        text += " (threads: " + ", ".join(top) + ")"
    return text
