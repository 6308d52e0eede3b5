"""Benchmark 3, fan-out: one `commsd send` to 50,000 recipients; how soon the send returns (durable),
the plan is committed and the last delivery is at the sink."""

from __future__ import annotations

import textwrap
import time

from .config import Group, write_config
from .daemon import Daemon
from .harness import run, say
from .paths import COMMSD
from .results import fmt_s, verdict


def measure(ctx) -> None:
    """One `commsd send` to counts.fanout recipients: durable, planned, last delivered."""
    n, conc = ctx.counts.fanout, ctx.args.webhook_concurrency
    say(f"3. fan-out: one message to {n:,} recipients")
    cfg = ctx.work / "fanout" / "commsd.toml"
    write_config(cfg, [Group("everyone", n, "sink:r{i}", "r")],
                 endpoints={"sink": {"url": f"{ctx.sinks.http}/sink", "concurrency": conc}}, max_in_flight=conc)
    started = time.monotonic()
    run([str(COMMSD), "config", "check", "--config", str(cfg)], timeout=120)
    config_load = time.monotonic() - started
    daemon = Daemon(cfg, ctx.work / "fanout" / "daemon.log")
    daemon.start()
    try:
        t0 = time.time()
        message_id, send_wall = daemon.send("everyone", "urgent")
        daemon.wait_planned(message_id, timeout=ctx.args.timeout, poll=0.01)
        plan_visible = time.time() - t0  # the plan's transaction has committed
        daemon.wait_finished(message_id, n, timeout=ctx.args.timeout, poll=0.1)
        m = daemon.store.message(message_id)
        first, last = daemon.store.delivered_span(message_id)
        states = daemon.store.states(message_id)
    finally:
        daemon.stop()
        daemon.cleanup(ctx.args.keep)
    durable = send_wall
    planned = plan_visible
    delivered = last - t0
    ctx.results.raw["fanout"] = dict(count=n, send_wall=send_wall, config_check=config_load, t0=t0, **m,
                                     plan_visible=plan_visible,
                                     first_delivered=first, last_delivered=last, states=states)
    ctx.results.add("3 fan-out", f"`commsd send` returns (durable), {n:,} recipients", fmt_s(durable), "< 1 s",
                    verdict(durable < 1))
    ctx.results.add("3 fan-out", "all deliveries planned and committed (from send start)", fmt_s(planned))
    ctx.results.add("3 fan-out", "last delivery at the sink (from send start)", fmt_s(delivered), "< 5 s",
                    verdict(delivered < 5))
    ctx.results.note("fanout", f"`commsd config check` on the same file takes {config_load:.2f} s, so about that much "
                                f"of the send is loading the {n:,}-recipient configuration; accepted_at is "
                                f"{m['accepted_at'] - t0:.2f} s after the send started")
    ctx.results.note("fanout", f"planned_at (stamped before the plan is written) is {m['planned_at'] - t0:.2f} s after "
                                f"the send started, the committed plan was visible at {plan_visible:.2f} s (polled every "
                                f"10 ms); first delivery {first - t0:.2f} s after send start; "
                                f"{n / (last - first):,.0f}/s from first to last delivery; states: {states}")
    say(f"   durable {durable:.2f} s, planned {planned:.2f} s, delivered {delivered:.2f} s")


def how(counts, args) -> str:
    """The bullet(s) of "How each figure is measured" in BENCHMARKS.md."""
    return textwrap.dedent(f"""\
        - **3 Fan-out**: one `commsd send` to {counts.fanout:,} recipients; "durable" is the wall time of the
          `commsd send` process (start, configuration load, intake, fsync) as the sender sees it; planned and
          delivered are `planned_at` and the last `delivered_at` relative to the moment the send was started.
        """).rstrip("\n")
