"""The command line: which benchmarks to run, with which counts; the run's order (dependencies,
build, references, sinks, each benchmark with the machine's load around it) and its report."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

from . import audit, fanout, flash, http_enqueue, keyboard, memory, peers, perf_profile, scaleout, throughput
from .context import Context, Counts
from .harness import LoadMeter, Proc, say, wait_quiet
from .paths import COMMSD, OUT, ROOT, SCRATCH
from .prepare import build_commsd, build_references, export_commit, install_deps, resolve_commit
from .report import machine, table, write_report, write_section
from .results import Results
from .sinks import Sinks

# In the order a full run takes them (and the report lists them).
BENCHES = {
    "webhook": throughput.webhook,
    "email": throughput.email,
    "fanout": fanout.measure,
    "flash": flash.measure,
    "memory": memory.measure,
    "peers": peers.measure,
    "audit": audit.measure,
    "http": http_enqueue.measure,
    "scaleout": scaleout.measure,
    "keyboard": keyboard.measure,
    "profile": perf_profile.measure,
}


def main(argv: list[str] | None = None, description: str | None = None) -> int:
    """The command line of Benchmarks/bench.py (`description` is its help text)."""
    p = argparse.ArgumentParser(description=description or __doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smaller counts, for trying things out")
    p.add_argument("--only", default=",".join(BENCHES), help=f"comma-separated subset of {','.join(BENCHES)}")
    p.add_argument("--skip-deps", action="store_true", help="do not run the installers")
    p.add_argument("--skip-build", action="store_true", help="use the existing .build-bench/release/commsd")
    p.add_argument("--commit", metavar="REV", help="build the committed tree of REV (e.g. HEAD) instead of the "
                                                     "work tree, which others may be editing")
    p.add_argument("--no-write", action="store_true", help="print the table only; leave BENCHMARKS.md alone")
    p.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"), help="report path (default BENCHMARKS.md)")
    p.add_argument("--keep", action="store_true", help="keep the stores and logs in Benchmarks/.out/run")
    p.add_argument("--profile-stages", action="store_true",
                   help="profile: record DWARF call graphs and add the per-stage table (slower)")
    p.add_argument("--profile-email", action="store_true",
                   help="profile: emails through a relay to smtp-sink (20,000, against smtp_ref) "
                        "instead of webhooks")
    p.add_argument("--profile-switches", action="store_true",
                   help="profile: record every context switch of the daemon with its stack (sched_switch) "
                        "instead of CPU samples, summarised by where each thread went to sleep")
    p.add_argument("--count-allocations", action="store_true",
                   help="profile: count malloc, calloc and realloc per delivery (uprobes on libc) "
                        "instead of recording a profile")
    p.add_argument("--webhook-concurrency", type=int, default=64)
    p.add_argument("--email-concurrency", type=int, default=16)
    p.add_argument("--flash-parallel", type=int, default=4, help="flash `commsd send`s at a time (default 4)")
    p.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                   help="before measuring, wait up to this long for the machine to be idle (shared machines)")
    p.add_argument("--rounds", type=int, default=3, help="rounds of benchmarks 1 and 2 (best counts)")
    p.add_argument("--http-connections", type=int, default=16, help="wrk connections for benchmark 8 (default 16)")
    p.add_argument("--http-rate", type=int, default=2000,
                   help="benchmark 8's offered rate, requests a second on a fixed schedule (default 2000; 0 skips "
                        "that run and keeps only the closed loop)")
    p.add_argument("--http-rate-connections", type=int, default=64,
                   help="wrk connections for benchmark 8's offered rate (default 64)")
    p.add_argument("--http-threads", type=int, default=1, help="wrk threads for benchmark 8 (default 1)")
    p.add_argument("--http-recipients", type=int, default=5,
                   help="webhook recipients of each message enqueued over HTTP (default 5)")
    p.add_argument("--timeout", type=float, default=300, help="bound for each wait inside a benchmark (s)")
    args = p.parse_args(argv)
    selected = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = set(selected) - set(BENCHES)
    if unknown:
        p.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    counts = Counts.quick() if args.quick else Counts()
    given = " ".join(argv if argv is not None else sys.argv[1:])
    if os.environ.get("MAKELEVEL"):
        command = "make bench" + (f' BENCH_ARGS="{given}"' if given else "")
    else:
        command = ("python3 Benchmarks/bench.py " + given).strip()

    started = time.monotonic()
    work = OUT / "run"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    results = Results()
    setup_notes: list[str] = []

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    sinks = Sinks(work)
    try:
        if not args.skip_deps:
            say("installing what is missing (scripts/install-deps.sh nginx postfix sqlite3 prometheus-alertmanager wrk"
                + (" postgresql)" if "scaleout" in selected else ")"))
            setup_notes += install_deps(work / "install.log", selected)
        # What is benchmarked, named when it is built (others may commit meanwhile).
        built_from = resolve_commit(args.commit or "HEAD")
        if args.commit:
            args.commit = built_from
        if not args.skip_build:
            source = ROOT
            if args.commit:
                source = export_commit(args.commit)
                say(f"building the committed tree of {args.commit} (exported to {source})")
            say(f"building commsd (release, {SCRATCH}); the first build takes several minutes")
            took = build_commsd(work / "build.log", source)
            setup_notes.append(f"release build {took:.0f} s")
        if not COMMSD.exists():
            raise RuntimeError(f"{COMMSD} is missing: run without --skip-build")
        refs = build_references()
        sinks.start()
        say(f"nginx on {sinks.http}, smtp-sink on {sinks.smtp_url}")
        if args.wait_quiet > 0:
            wait_quiet(args.wait_quiet)
        ctx = Context(args, counts, work, sinks, refs, results)
        meter = LoadMeter(sinks.pids)
        for name in selected:
            t = time.monotonic()
            before = meter.sample()
            try:
                BENCHES[name](ctx)
                results.note(name, LoadMeter.describe(before, meter.sample()))
            except KeyboardInterrupt:
                raise
            except Exception as exc:
                results.errors[name] = f"{type(exc).__name__}: {exc}"
                say(f"{name} failed: {exc}")
                traceback.print_exc(file=open(work / f"{name}.error.log", "w"))
            say(f"{name} took {time.monotonic() - t:.0f} s")
    except KeyboardInterrupt:
        say("interrupted: stopping everything started")
        Proc.stop_all()
        return 130
    except (RuntimeError, TimeoutError, OSError, subprocess.SubprocessError) as exc:
        say(f"setup failed: {exc}")
        return 1
    finally:
        sinks.stop()
        Proc.stop_all()
        if not args.keep:
            for data in work.glob("*/var"):
                shutil.rmtree(data, ignore_errors=True)

    mach = machine(args.commit, built_from if not args.skip_build else None)
    print()
    print(table(results.rows, markdown=False))
    for name, error in results.errors.items():
        print(f"FAILED {name}: {error}")
    print(f"\ntotal {(time.monotonic() - started) / 60:.1f} min; details in {work}")
    (work / "results.json").write_text(json.dumps({"rows": [r.__dict__ for r in results.rows],
                                                   "details": results.details,
                                                   "raw": results.raw, "errors": results.errors,
                                                   "machine": mach}, indent=1, default=str))
    minutes = (time.monotonic() - started) / 60
    if not args.no_write and selected == ["scaleout"]:
        # A run of its own: only its section of the report, the other benchmarks' results stay.
        write_section(Path(args.out), scaleout.SECTION_BEGIN, scaleout.SECTION_END, scaleout.SECTION_TITLE,
                      results.rows, scaleout.how(counts, args), results.details.get("scaleout", []), mach, command,
                      minutes, results.errors.get("scaleout"), apart=", whose table it does not change")
        say(f"wrote the scale-out section of {args.out}")
    elif not args.no_write and selected == ["keyboard"]:
        write_section(Path(args.out), keyboard.SECTION_BEGIN, keyboard.SECTION_END, keyboard.SECTION_TITLE,
                      results.rows, keyboard.how(args), results.details.get("keyboard", []), mach, command,
                      minutes, results.errors.get("keyboard"))
        say(f"wrote the flash-from-the-keyboard section of {args.out}")
    elif not args.no_write:
        write_report(Path(args.out), results, mach, args, counts, started, command, setup_notes)
        say(f"wrote {args.out}")
    return 1 if results.errors else 0

