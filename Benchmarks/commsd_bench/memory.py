"""Benchmark 5, memory: the daemon's peak RSS (VmHWM) with about a million deliveries pending on a
slow endpoint, from a directory of 100,000 and from one of 10,000."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

from .config import Group, write_config
from .daemon import Daemon
from .harness import proc_status, say
from .paths import RECEIVER
from .results import verdict
from .sinks import start_receiver


def measure(ctx) -> None:
    """Peak RSS with about a million deliveries pending, from two directory sizes; the
    idle daemon with 10 recipients and with the directory written inline in TOML for comparison."""
    msgs, per = ctx.counts.memory_messages, ctx.counts.memory_recipients
    say(f"5. memory: {msgs} bulk messages × {per:,} recipients = {msgs * per:,} pending")
    d = ctx.work / "memory"
    # The process with a tiny configuration, for comparison.
    tiny_cfg = d / "tiny" / "commsd.toml"
    write_config(tiny_cfg, [Group("bulk", 10, "slow:r{i}", "r")],
                 endpoints={"slow": {"url": "http://127.0.0.1:9/slow", "concurrency": 1}})
    tiny = Daemon(tiny_cfg, d / "tiny" / "daemon.log")
    tiny.start()
    base_rss = proc_status(tiny.pid, "VmRSS")
    tiny.stop()
    tiny.cleanup(ctx.args.keep)
    # The same directory written inline as [[recipients]] tables in the
    # TOML file instead of a CSV list: what parsing that costs at start.
    inline_cfg = d / "inline" / "commsd.toml"
    write_config(inline_cfg, [Group("bulk", per, "slow:r{i}", "r")],
                 endpoints={"slow": {"url": "http://127.0.0.1:9/slow", "concurrency": 1}}, inline=True)
    inline = Daemon(inline_cfg, d / "inline" / "daemon.log")
    inline.start()
    inline_rss, inline_hwm = proc_status(inline.pid, "VmRSS"), proc_status(inline.pid, "VmHWM")
    inline.stop()
    inline.cleanup(ctx.args.keep)
    main = _memory_run(ctx, d / "main", msgs, per)
    # The same number pending from a directory a tenth the size: what the
    # pending deliveries cost apart from the configured recipients.
    say(f"5. memory: {msgs * 10} bulk messages × {per // 10:,} recipients")
    alt = _memory_run(ctx, d / "small-directory", msgs * 10, per // 10)
    ctx.results.raw["memory"] = dict(base_rss_kb=base_rss, main=main, small_directory=alt,
                                      inline_rss_kb=inline_rss, inline_hwm_kb=inline_hwm)
    mb = main["hwm_kb"] / 1024
    ctx.results.add("5 memory", f"daemon peak RSS (VmHWM), {main['pending']:,} pending ({msgs} × {per:,})",
                    f"{mb:.0f} MB", "< 150 MB", verdict(mb < 150))
    ctx.results.add("5 memory", f"the same, {alt['pending']:,} pending ({msgs * 10} × {per // 10:,}: a 10× smaller "
                                f"directory)", f"{alt['hwm_kb'] / 1024:.0f} MB")
    for run_, m, p_ in ((main, msgs, per), (alt, msgs * 10, per // 10)):
        ctx.results.note("memory", f"{m} messages × {p_:,} recipients: RSS idle after start {run_['idle_rss_kb'] / 1024:.0f} MB "
                                    f"(with 10 recipients configured: {base_rss / 1024:.0f} MB); RSS with all "
                                    f"{run_['pending']:,} pending {run_['peak_rss_kb'] / 1024:.0f} MB; VmHWM (includes "
                                    f"planning) {run_['hwm_kb'] / 1024:.0f} MB; sends and planning took "
                                    f"{run_['planned_after']:.1f} s; store {run_['db_bytes'] / 1e6:.0f} MB on disk")
    ctx.results.note("memory", f"the {per:,} recipients are read from a CSV recipient list, as a registry export "
                               f"would be given; written inline as [[recipients]] tables in the TOML file instead, "
                               f"the idle daemon has RSS {inline_rss / 1024:.0f} MB and VmHWM "
                               f"{inline_hwm / 1024:.0f} MB from parsing them at start")
    say(f"   VmHWM {mb:.0f} MB (idle {main['idle_rss_kb'] / 1024:.0f} MB), pending {main['pending']:,}; with a "
        f"smaller directory {alt['hwm_kb'] / 1024:.0f} MB")


def _memory_run(ctx, d: Path, msgs: int, per: int) -> dict:
    d.mkdir(parents=True, exist_ok=True)
    # A slow sink: 2 s per answer, one connection, so almost nothing leaves.
    receiver, port = start_receiver("slow receiver", RECEIVER, d / "receiver.port", d / "receiver.log",
                                    "--delay-ms", "2000")
    try:
        slow = {"slow": {"url": f"http://127.0.0.1:{port}/slow", "concurrency": 1, "timeout": "30s"}}
        cfg = d / "commsd.toml"
        write_config(cfg, [Group("bulk", per, "slow:r{i}", "r")], endpoints=slow, max_in_flight=64)
        # `commsd send` parses the whole configuration: the sends use a file
        # with the same data_dir and audience but one recipient.
        sender = d / "sender.toml"
        write_config(sender, [Group("bulk", 1, "slow:r{i}", "r")], endpoints=slow)
        daemon = Daemon(cfg, d / "daemon.log")
        daemon.start()
        try:
            idle_rss = proc_status(daemon.pid, "VmRSS")
            t0 = time.monotonic()
            ids = [daemon.send("bulk", "bulk", config=sender)[0] for _ in range(msgs)]
            for mid in ids:
                daemon.wait_planned(mid, timeout=ctx.args.timeout)
            planned_after = time.monotonic() - t0
            peak_rss = 0
            for _ in range(20):  # sample for 5 s with everything pending
                peak_rss = max(peak_rss, proc_status(daemon.pid, "VmRSS") or 0)
                time.sleep(0.25)
            hwm = proc_status(daemon.pid, "VmHWM")
            pending = daemon.store.one("SELECT count(*) FROM deliveries WHERE state NOT IN ('delivered', 'dead')")
            db_bytes = sum(p.stat().st_size for p in daemon.data.glob("commsd.sqlite*"))
        finally:
            # The slow receiver goes first: the daemon's graceful stop waits
            # for the transfers in flight, which then fail at once.
            receiver.stop()
            daemon.stop()
            daemon.cleanup(ctx.args.keep)
    finally:
        receiver.stop()
    return dict(idle_rss_kb=idle_rss, hwm_kb=hwm, peak_rss_kb=peak_rss, pending=pending,
                planned_after=planned_after, db_bytes=db_bytes)


def how(counts, args) -> str:
    """The bullet(s) of "How each figure is measured" in BENCHMARKS.md."""
    return textwrap.dedent(f"""\
        - **5 Memory**: {counts.memory_messages} bulk messages × {counts.memory_recipients:,} recipients to an
          endpoint that answers after 2 s with concurrency 1, so nearly all stay pending; peak RSS is the
          daemon's `VmHWM` from /proc/PID/status once all are planned (it includes planning). Then the same
          number pending as {counts.memory_messages * 10} messages to a directory of
          {counts.memory_recipients // 10:,}, which separates what the configured recipients cost from what the
          pending deliveries cost. The sends use a sender configuration with the same `data_dir` and one
          recipient.
        """).rstrip("\n")
