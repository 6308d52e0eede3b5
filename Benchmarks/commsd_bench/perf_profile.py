"""Where commsd's CPU goes on the webhook path, or with --profile-email on the email path (not a
target): perf stat against the C reference, and perf record of one daemon run, summarised by thread,
library and function."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import textwrap
import time
from pathlib import Path

from .config import SECRET, Group, write_config
from .daemon import Daemon
from .harness import Proc, run, say, thread_label
from .paths import COMMSD


PERF_EVENTS = ["task-clock", "context-switches", "cpu-migrations", "syscalls:sys_enter_futex",
               "syscalls:sys_enter_fdatasync", "syscalls:sys_enter_fsync", "syscalls:sys_enter_pwrite64",
               "syscalls:sys_enter_pread64", "syscalls:sys_enter_sendto", "syscalls:sys_enter_recvfrom",
               "syscalls:sys_enter_poll"]


ALLOCATORS = ("malloc", "calloc", "realloc")


def allocation_events(binary: Path) -> list[str]:
    """Uprobes (`perf probe`) counted by `perf stat`: libc's allocators, which every allocation of
    commsd's Swift code, SQLite and libcurl goes through, and who asked: SQLite (its internal
    `sqlite3Malloc`) and Swift (`swift_slowAlloc` in commsd's binary, found by address, as it is a
    local symbol of the static runtime). Exact counts, where CPU time on this shared machine moves by
    ±10 % between rounds; each call traps, so no profile is recorded then. (`perf record` on these
    events, tried for the call sites, lost 95 % of 7 million samples and wrote 6 GB.)"""
    libc = next((p for p in (Path("/lib/x86_64-linux-gnu/libc.so.6"), Path("/lib64/libc.so.6")) if p.exists()),
                None)
    sqlite = next(iter(sorted(Path("/usr/lib/x86_64-linux-gnu").glob("libsqlite3.so.0*"))), None)
    if libc is None:
        raise RuntimeError("--count-allocations: libc.so.6 not found")
    for name in ALLOCATORS:
        run(["perf", "probe", "-q", "-x", str(libc), "--add", name], timeout=60, check=False)
    if sqlite is not None:
        run(["perf", "probe", "-q", "-x", str(sqlite), "--add", "sqlite3Malloc"], timeout=60, check=False)
    # The binary's address of swift_slowAlloc changes with every build: probe it afresh.
    run(["perf", "probe", "-q", "-d", "probe_commsd:*"], timeout=60, check=False)
    symbols = run(["nm", str(binary)], timeout=120, check=False).stdout or ""
    address = next((line.split()[0] for line in symbols.splitlines() if line.endswith(" swift_slowAlloc")), None)
    if address:
        run(["perf", "probe", "-q", "-x", str(binary), "--add", f"swift_slowAlloc=0x{address}"], timeout=60,
            check=False)
    listed = run(["perf", "probe", "-l"], timeout=60, check=False).stdout or ""
    events = [f"probe_libc:{name}" for name in ALLOCATORS] + ["probe_libsqlite3:sqlite3Malloc",
                                                              "probe_commsd:swift_slowAlloc"]
    events = [event for event in events if f"{event} " in listed]
    if "probe_libc:malloc" not in events:
        raise RuntimeError("--count-allocations: perf probe could not add uprobes on libc")
    return events


def measure(ctx) -> None:
    """Where commsd's CPU goes on the webhook (or email) path: perf stat (context switches, syscalls per
    delivery, against the C reference) and a perf record profile of one daemon run."""
    if not shutil.which("perf") or run(["perf", "stat", "-e", "task-clock", "true"], timeout=30,
                                       check=False).returncode != 0:
        raise RuntimeError("perf is not available here (Debian package linux-perf)")
    email = ctx.args.profile_email
    n, conc = ctx.counts.profile, ctx.args.webhook_concurrency
    if email:
        n, conc = ctx.counts.email, ctx.args.email_concurrency
    kind = "emails" if email else "webhooks"
    d = ctx.work / "profile"
    d.mkdir(parents=True, exist_ok=True)
    url = f"{ctx.sinks.http}/sink"
    events = []
    listed = run(["perf", "list"], timeout=60, check=False).stdout or ""
    for event in PERF_EVENTS:
        if ":" not in event or event in listed:
            events.append(event)
    counting = ctx.args.count_allocations
    if counting:
        events += allocation_events(COMMSD.resolve())
    say(f"profile: perf stat of the C reference and of commsd, perf record of commsd ({n:,} {kind})")
    ref_stat = d / "reference.perfstat"
    cfg = d / "commsd.toml"
    if email:
        # The shape of benchmark 2: one SMTP transaction per email, through a relay.
        ref_argv = [str(ctx.refs["smtp_ref"]), ctx.sinks.smtp_url, str(n), str(conc),
                    str(ctx.calibrate()["email_bytes"])]
        write_config(cfg, [Group("bench", n, "r{i}@bench.example", "r")],
                     relay={"url": ctx.sinks.smtp_url, "concurrency": conc}, max_in_flight=max(64, conc))
    else:
        ref_argv = [str(ctx.refs["webhook_ref"]), url, str(n), str(conc), SECRET,
                    str(ctx.calibrate()["webhook_bytes"])]
        write_config(cfg, [Group("bench", n, "sink:r{i}", "r")],
                     endpoints={"sink": {"url": url, "concurrency": conc}}, max_in_flight=conc)
    run(["perf", "stat", "-x", ",", "-e", ",".join(events), "-o", str(ref_stat), *ref_argv],
        timeout=ctx.args.timeout)
    daemon = Daemon(cfg, d / "daemon.log")
    daemon.start()
    daemon_stat = d / "commsd.perfstat"
    try:
        stat = Proc("perf stat", ["perf", "stat", "-x", ",", "-e", ",".join(events), "-o", str(daemon_stat),
                                  "-p", str(daemon.pid)], d / "perf-stat.log")
        # --profile-stages: DWARF call graphs, so stacks through libsqlite3 and libcurl (no frame
        # pointers) are whole; fewer samples, as each copies 16 KB of stack.
        graph = ["-F", "397", "--call-graph", "dwarf,16384"] if ctx.args.profile_stages else ["-F", "999", "-g"]
        if ctx.args.profile_switches:
            graph = ["-e", "sched:sched_switch", "--call-graph", "dwarf,16384"]
        procs = [stat]
        if not counting:
            procs.append(Proc("perf record", ["perf", "record", *graph, "-o", str(d / "perf.data"),
                                              "-p", str(daemon.pid)], d / "perf-record.log"))
        time.sleep(0.5)
        message_id, _ = daemon.send("bench", "normal")
        if counting and "probe_commsd:swift_slowAlloc" in events:
            # Swift's allocations with their callers (frame pointers), for two seconds once planning
            # is done and dispatch runs steadily: every call is recorded, so only a window.
            time.sleep(8)
            run(["perf", "record", "-e", "probe_commsd:swift_slowAlloc", "-g", "-o", str(d / "swift-allocs.data"),
                 "-p", str(daemon.pid), "--", "sleep", "2"], timeout=120, check=False)
        daemon.wait_finished(message_id, n, timeout=ctx.args.timeout)
        m = daemon.store.message(message_id)
        _, last = daemon.store.delivered_span(message_id)
        for proc in procs:
            os.kill(proc.pid, signal.SIGINT)
            proc.popen.wait(timeout=120)
            proc.stop()
    finally:
        daemon.stop()
        daemon.cleanup(ctx.args.keep)
        if counting:
            # The uprobes go with the measurement; they are added afresh each time.
            run(["perf", "probe", "-q", "-d", "probe_libc:*", "-d", "probe_libsqlite3:*", "-d",
                 "probe_commsd:*"], timeout=60, check=False)
    rate = n / (last - m["accepted_at"])

    def counters(path: Path) -> dict[str, float]:
        values = {}
        for line in path.read_text().splitlines():
            parts = line.split(",")
            if len(parts) > 2 and parts[0] and not line.startswith("#"):
                try:
                    values[parts[2]] = float(parts[0])
                except ValueError:
                    pass
        return values

    ref_c, daemon_c = counters(ref_stat), counters(daemon_stat)
    rows = ["| per delivery | C reference | commsd |", "|---|---|---|"]
    for event in events:
        name = re.sub(r"^(syscalls:sys_enter_|probe_\w+:)", "", event) + (
            "()" if ":" in event else "")
        a, b = ref_c.get(event), daemon_c.get(event)
        if event == "task-clock":
            name = "CPU (µs)"
            a, b = (a * 1000 if a is not None else None), (b * 1000 if b is not None else None)
        if a is None and b is None:
            continue
        rows.append(f"| {name} | {'—' if a is None else f'{a / n:.2f}'} | {'—' if b is None else f'{b / n:.2f}'} |")
    ctx.results.raw["profile"] = dict(count=n, rate=rate, reference=ref_c, commsd=daemon_c)
    if counting:
        ctx.results.details["profile"] = [
            f"commsd {kind} run under `perf stat` with uprobes on libc's allocators: {n:,} deliveries "
            f"at {rate:,.0f}/s (each allocation traps, so CPU and rate are not comparable here); the C "
            "reference at the same concurrency (sqlite3Malloc: SQLite's own allocations; swift_slowAlloc: "
            "Swift's; both also counted under malloc):", "", *rows]
        say(f"   counted: {(daemon_c.get('probe_libc:malloc') or 0) / n:.1f} malloc() per delivery")
        return

    if ctx.args.profile_switches:
        ctx.results.details["profile"] = [
            f"commsd {kind} run with every context switch recorded: {n:,} deliveries at {rate:,.0f}/s; "
            "the C reference at the same concurrency under `perf stat`:", "", *rows, "",
            *switches(d, n)]
        say(f"   recorded: {(daemon_c.get('context-switches') or 0) / n:.2f} context switches per delivery")
        return

    def report(*options: str) -> list[tuple[float, str]]:
        out = run(["perf", "report", "-i", str(d / "perf.data"), "--stdio", "-g", "none", *options],
                  timeout=300, check=False).stdout or ""
        found = []
        for line in out.splitlines():
            match = re.match(r"\s*([\d.]+)%\s+(?:[\d.]+%\s+)?(.*)$", line)
            if match and not line.lstrip().startswith("#"):
                found.append((float(match.group(1)), match.group(2).strip()))
        return found

    def demangle(names: list[str]) -> list[str]:
        if not shutil.which("swift"):
            return names
        r = subprocess.run(["swift", "demangle", "--simplified", "--compact"], input="\n".join(names),
                           capture_output=True, text=True, timeout=120)
        out = r.stdout.splitlines()
        return out if r.returncode == 0 and len(out) == len(names) else names

    def short(text: str, limit: int = 110) -> str:
        text = text.replace("|", "/")
        return text if len(text) <= limit else text[:limit - 1] + "…"

    by_thread: dict[str, float] = {}
    for pct, name in report("--no-children", "--sort", "comm"):
        by_thread[thread_label(name)] = by_thread.get(thread_label(name), 0.0) + pct
    dsos = report("--no-children", "--sort", "dso")
    selfs = report("--no-children", "--sort", "sym")[:15]
    everything = report("--children", "--sort", "sym")
    inclusive = [(pct, sym) for pct, sym in everything if "CommsCore" in sym][:60]
    syscalls = {label: max((p for p, sym in everything if sym.endswith(name)), default=0.0)
                for label, name in (("futex (threads sleeping and waking)", "__x64_sys_futex"),
                                    ("fdatasync", "__x64_sys_fdatasync"),
                                    ("pwrite64", "__x64_sys_pwrite64"), ("sendto", "__x64_sys_sendto"),
                                    ("poll", "__x64_sys_poll"))}
    cpu_us = (daemon_c.get("task-clock") or 0) * 1000 / n

    def us(pct: float) -> str:
        return f"{pct:.1f} % ≈ {pct * cpu_us / 100:.1f} µs"

    lines = [f"commsd {kind} run under perf: {n:,} deliveries at {rate:,.0f}/s (perf adds some overhead); "
             f"the C reference at the same concurrency for comparison. From `perf stat`:", "", *rows, "",
             "From `perf record -F 999 -g` of the daemon, shares of its CPU (and µs per delivery):", "",
             "- by thread: " + ", ".join(f"{label} {us(p)}" for label, p in by_thread.items()),
             "- by library: " + ", ".join(f"{Path(n_.split()[-1]).name} {us(p)}" for p, n_ in dsos[:8])]
    names = demangle([sym.split("] ", 1)[-1] for _, sym in selfs])
    lines.append("- hottest functions (self): " + "; ".join(
        f"{short(name, 70)} {p:.1f} %" for (p, _), name in zip(selfs, names)))
    inc_names = demangle([sym.split("] ", 1)[-1] for _, sym in inclusive])
    seen, picked = set(), []
    for (p, _), name in zip(inclusive, inc_names):
        key = re.sub(r"\(.*", "", name)
        key = re.sub(r"^(closure #\d+ in |partial apply for |\(\d+\) suspend resume partial function for "
                     r"|specialized |static )+", "", key)
        if key in seen or p < 1.0 or key in ("CurlEngine.init", "CurlMultiLoop.run"):
            continue
        seen.add(key)
        picked.append(f"{short(key, 70)} {p:.1f} %")
    lines.append("- commsd functions including what they call: " + "; ".join(picked[:14]))
    lines.append("- system calls including the kernel work under them: " + "; ".join(
        f"{label} {us(p)}" for label, p in syscalls.items() if p > 0))
    if ctx.args.profile_stages:
        lines += ["", *stages(d, n, cpu_us)]
    ctx.results.details["profile"] = lines
    say(f"   profiled: {cpu_us:.0f} µs CPU per delivery under perf")


def summarised(d: Path, script_name: str, fields: list[str], tool: str, args: list[str],
               title: str) -> list[str]:
    """`perf script` of the recording, demangled into `script_name`, then `tool` (a script beside
    bench.py) over it; its output as a fenced block under `title`."""
    script = d / script_name
    with open(script, "w", encoding="utf-8") as out:
        perf = subprocess.Popen(["perf", "script", "-i", str(d / "perf.data"), *fields], stdout=subprocess.PIPE)
        subprocess.run(["swift", "demangle", "--simplified", "--compact"], stdin=perf.stdout, stdout=out,
                       timeout=1800, check=True)
        perf.wait(timeout=60)
    path = Path(__file__).resolve().parent.parent / tool
    out = run(["python3", str(path), str(script), *args], timeout=600, check=False).stdout
    return [title, "", "```", *(out or "").splitlines(), "```"]


def stages(d: Path, n: int, cpu_us: float) -> list[str]:
    """Benchmarks/perf_stages.py over the DWARF recording: each sample in the first stage its stack
    passes through (the table of NOTES.md's "The hot path, stage by stage")."""
    return summarised(d, "script.txt", [], "perf_stages.py", [str(n), f"{cpu_us:.1f}"],
                      "By stage (`perf record --call-graph dwarf`, `Benchmarks/perf_stages.py`):")


def switches(d: Path, n: int) -> list[str]:
    """Benchmarks/perf_switches.py over the sched_switch recording: each context switch by thread, by
    the system call it slept in (or preemption) and by its stack."""
    return summarised(d, "switches.txt", ["-F", "comm,tid,event,trace,ip,sym,dso"], "perf_switches.py",
                      [str(n)], "Context switches (`perf record -e sched:sched_switch --call-graph dwarf`, "
                      "`Benchmarks/perf_switches.py`):")


def how(counts, args) -> str:
    """The bullet(s) of "How each figure is measured" in BENCHMARKS.md."""
    return textwrap.dedent(f"""\
        - **Profile** (not a target): one more commsd webhook run of {counts.profile:,} deliveries under
          `perf stat` (context switches and system calls per delivery, next to the C reference's) and
          `perf record -g`, summarised below by thread, library and function.
        """).rstrip("\n")
