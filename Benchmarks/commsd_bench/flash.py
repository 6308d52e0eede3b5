"""Benchmark 4, flash under load: flash messages sent while at least 100,000 bulk deliveries are
queued, timed from the message's `accepted_at` to its arrival at nginx (`$msec` in its access log)."""

from __future__ import annotations

import bisect
import json
import subprocess
import textwrap
import time
from pathlib import Path

from .config import BODY, SUBJECT, Group, write_config
from .daemon import Daemon
from .harness import say
from .paths import COMMSD
from .results import fmt_ms, parse_time, percentile, verdict


def measure(ctx) -> None:
    """Flash messages while bulk is queued: p50 and p99 from accepted_at to arrival at nginx."""
    n, msgs, per = ctx.counts.flash_bulk, ctx.counts.flash_messages, ctx.counts.flash_recipients
    bulk_msgs = ctx.counts.flash_bulk_messages
    conc = ctx.args.webhook_concurrency
    say(f"4. flash under load: {bulk_msgs} × {n:,} bulk queued, then {msgs} flash messages × {per} recipients")
    d = ctx.work / "flash"
    d.mkdir(parents=True, exist_ok=True)
    # Arrivals are stamped by nginx (`$msec $http_webhook_id` in its access
    # log), the same fast sink as the bulk: a Python receiver on the two
    # busy cores added its own queueing to the tail.
    record = ctx.sinks.log_path("flash")
    record.write_text("")
    endpoints = {"sink": {"url": f"{ctx.sinks.http}/sink", "concurrency": conc},
                 "rx": {"url": f"{ctx.sinks.http}/flash", "concurrency": per}}
    flash_group = Group("flash", per, "rx:f{i}", "f")
    cfg = d / "commsd.toml"
    write_config(cfg, [Group("bulk", n, "sink:r{i}", "r"), flash_group], endpoints=endpoints,
                 max_in_flight=conc)
    # `commsd send` loads the whole configuration (all bulk recipients)
    # before intake; the flash sends use a file with the same data_dir
    # and audiences but only the flash recipients, so that the sends fit
    # in the bulk backlog. Latency starts at accepted_at either way.
    sender_cfg = d / "sender.toml"
    write_config(sender_cfg, [flash_group], endpoints=endpoints, max_in_flight=conc, extra_audiences=["bulk"])
    daemon = Daemon(cfg, d / "daemon.log")
    daemon.start()
    try:
        # Several bulk messages, so that at least n bulk deliveries stay
        # queued while the flash messages are sent (each `commsd send`
        # takes longer under load than the daemon needs for n).
        bulk_ids = [daemon.send("bulk", "bulk")[0] for _ in range(bulk_msgs)]
        for bulk_id in bulk_ids:
            daemon.wait_planned(bulk_id, timeout=120)
        bulk_total = n * bulk_msgs
        marks = ",".join("?" * len(bulk_ids))

        def bulk_done() -> int:
            return daemon.store.one(f"SELECT count(*) FROM deliveries WHERE message_id IN ({marks}) "
                                    "AND state IN ('delivered', 'dead')", bulk_ids) or 0

        deadline = time.monotonic() + 30
        while bulk_done() < min(1000, n // 10) and time.monotonic() < deadline:
            time.sleep(0.02)  # bulk dispatch is under way
        pending_before = bulk_total - bulk_done()
        sends_started = time.monotonic()
        flash_ids, send_walls, exited, failures = _send_flash(ctx, sender_cfg, msgs)
        sends_took = time.monotonic() - sends_started
        pending_after_sends = bulk_total - bulk_done()
        expected = len(flash_ids) * per  # failed sends have no deliveries
        deadline = time.monotonic() + ctx.args.timeout
        got = 0
        while time.monotonic() < deadline:
            with open(record) as f:
                got = sum(1 for _ in f)
            if got >= expected:
                break
            daemon.check_alive()
            time.sleep(0.1)
        bulk_times = sorted(parse_time(t) for (t,) in daemon.store.query(
            f"SELECT delivered_at FROM deliveries WHERE message_id IN ({marks}) AND state = 'delivered'",
            bulk_ids))
        bulk_states: dict[str, int] = {}
        for bulk_id in bulk_ids:
            for k, v in daemon.store.states(bulk_id).items():
                bulk_states[k] = bulk_states.get(k, 0) + v
        flash_states: dict[str, int] = {}
        flash_msgs = {}
        for fid in flash_ids:
            for k, v in daemon.store.states(fid).items():
                flash_states[k] = flash_states.get(k, 0) + v
            flash_msgs[fid] = daemon.store.message(fid)
        marks_f = ",".join("?" * len(flash_ids))
        message_of = dict(daemon.store.query(
            f"SELECT id, message_id FROM deliveries WHERE message_id IN ({marks_f})", flash_ids))
        flash_bytes = len(json.dumps({"message_id": flash_ids[0]})) if flash_ids else 0
    finally:
        daemon.stop()
        daemon.cleanup(ctx.args.keep)
    latencies, loaded, plan_delays, after_plan, seen = [], [], [], [], set()
    after_durable: list[float] = []
    # Per message: accepted_at (stamped at intake, before the commit) → the `commsd send`
    # process exits (durable) → planned_at.
    to_durable = [exited[m] - v["accepted_at"] for m, v in flash_msgs.items() if m in exited]
    durable_to_planned = [v["planned_at"] - exited[m] for m, v in flash_msgs.items()
                          if m in exited and v.get("planned_at")]
    last_arrival = 0.0
    with open(record) as f:
        for line in f:
            stamp, _, delivery_id = line.strip().partition(" ")
            mid = message_of.get(delivery_id)
            if mid not in flash_msgs:
                continue
            seen.add(delivery_id)
            received_at = float(stamp)
            accepted = flash_msgs[mid]["accepted_at"]
            latency = received_at - accepted
            latencies.append(latency)
            # bulk deliveries still queued when this flash message was accepted
            queued = bulk_total - bisect.bisect_right(bulk_times, accepted)
            if queued >= n:
                loaded.append(latency)
            if mid in exited:
                after_durable.append(received_at - exited[mid])
            planned = flash_msgs[mid].get("planned_at")
            if planned:
                plan_delays.append(planned - accepted)
                after_plan.append(received_at - planned)
            last_arrival = max(last_arrival, received_at)
    p50, p99 = percentile(loaded, 50), percentile(loaded, 99)
    complete = len(seen) == msgs * per and not failures
    enough = len(loaded) >= 0.9 * msgs * per
    ctx.results.raw["flash"] = dict(latencies=latencies, loaded=loaded, plan_delays=plan_delays, after_plan=after_plan,
                                    bulk_states=bulk_states, flash_states=flash_states, pending_before=pending_before,
                                    pending_after_sends=pending_after_sends, sends_took=sends_took,
                                    to_durable=to_durable, durable_to_planned=durable_to_planned,
                                    after_durable=after_durable,
                                    send_walls=send_walls)
    ctx.results.add("4 flash", f"p50 accepted → arrival ({len(loaded)} flash deliveries)", fmt_ms(p50))
    ctx.results.add("4 flash", f"p99 while ≥ {n:,} bulk deliveries are queued", fmt_ms(p99), "< 50 ms",
                    verdict(p99 is not None and p99 < 0.05 and complete and enough))
    ctx.results.note("flash", f"received {len(latencies)} flash webhooks ({len(seen)} distinct of {msgs * per}), "
                               f"{len(loaded)} of them from messages accepted while ≥ {n:,} bulk deliveries were "
                               f"queued; over all: "
                               f"p50 {fmt_ms(percentile(latencies, 50))}, p99 {fmt_ms(percentile(latencies, 99))}, max "
                               f"{fmt_ms(max(latencies) if latencies else None)}; flash states {flash_states}")
    ctx.results.note("flash", f"split per delivery: accepted → planned p50 {fmt_ms(percentile(plan_delays, 50))}, p99 "
                               f"{fmt_ms(percentile(plan_delays, 99))}; planned → arrival p50 "
                               f"{fmt_ms(percentile(after_plan, 50))}, p99 {fmt_ms(percentile(after_plan, 99))}")
    ctx.results.note("flash", f"split per message: accepted_at → its `commsd send` exited (intake commit, "
                               f"including any wait for the store's write lock) p50 {fmt_ms(percentile(to_durable, 50))}, "
                               f"p99 {fmt_ms(percentile(to_durable, 99))}; exited → planned_at p50 "
                               f"{fmt_ms(percentile(durable_to_planned, 50))}, p99 "
                               f"{fmt_ms(percentile(durable_to_planned, 99))} (the process exit is seen within a few ms); "
                               f"per delivery, `commsd send` exited → arrival p50 {fmt_ms(percentile(after_durable, 50))}, "
                               f"p99 {fmt_ms(percentile(after_durable, 99))}")
    ctx.results.note("flash", f"the {msgs} sends ({ctx.args.flash_parallel} at a time) took {sends_took:.2f} s, each `commsd send` p50 "
                               f"{fmt_ms(percentile(send_walls, 50))}, max {fmt_ms(max(send_walls))}; bulk "
                               f"({bulk_msgs} messages × {n:,}) still queued: {pending_before:,} at the first send, "
                               f"{pending_after_sends:,} after the last; bulk states when the last flash arrived "
                               f"{bulk_states}")
    if failures:
        ctx.results.note("flash", f"{len(failures)} of {msgs} `commsd send` failed under load, e.g. "
                                   f"{failures[0]}")
    if not enough:
        ctx.results.note("flash", f"WARNING: fewer than 90 % of the flash deliveries were accepted while ≥ {n:,} "
                                   "bulk deliveries were queued; the p99 above covers only those that were")
    say(f"   p50 {fmt_ms(p50)}, p99 {fmt_ms(p99)} ({len(loaded)} under load); sends took {sends_took:.1f} s")


def _send_flash(ctx, sender_cfg: Path, msgs: int) -> tuple[list[str], list[float], dict[str, float], list[str]]:
    """Sends `msgs` flash messages, a few CLI processes at a time. Returns the message ids, each
    command's wall time, when each command exited (Unix time: the message was durable), and the
    sends that failed (counted and reported, not fatal)."""
    ids: list[str] = []
    walls: list[float] = []
    exited: dict[str, float] = {}
    failures: list[str] = []
    parallel = ctx.args.flash_parallel
    argv = [str(COMMSD), "send", "--config", str(sender_cfg), "--audience", "flash", "--priority", "flash",
            "--subject", SUBJECT, "--body", BODY]
    running: list[tuple[subprocess.Popen, float]] = []
    started = 0
    deadline = time.monotonic() + 300
    try:
        while (started < msgs or running) and time.monotonic() < deadline:
            while started < msgs and len(running) < parallel:
                running.append((subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                                 text=True), time.monotonic()))
                started += 1
            finished = [(p, t) for p, t in running if p.poll() is not None]
            if not finished:
                time.sleep(0.002)
                continue
            now, wall_now = time.monotonic(), time.time()
            for p, t in finished:
                running.remove((p, t))
                out, err = p.communicate(timeout=10)
                if p.returncode != 0:
                    # Counted and reported, not fatal: a send refused under load is a finding.
                    failures.append(f"exit {p.returncode} after {now - t:.1f} s: "
                                              f"{err.strip().splitlines()[-1] if err.strip() else ''}")
                    continue
                message_id = out.strip().splitlines()[0]
                ids.append(message_id)
                walls.append(now - t)
                exited[message_id] = wall_now
    finally:
        for p, _ in running:
            p.kill()
            p.wait()
    return ids, walls, exited, failures


def how(counts, args) -> str:
    """The bullet(s) of "How each figure is measured" in BENCHMARKS.md."""
    return textwrap.dedent(f"""\
        - **4 Flash**: {counts.flash_bulk_messages} bulk messages to {counts.flash_bulk:,} recipients on nginx are
          queued and dispatching; then {counts.flash_messages} flash messages to {counts.flash_recipients} recipients
          each, on a separate endpoint (`/flash` on the same nginx, which logs `$msec` and the `webhook-id`
          header of each request; the delivery id leads to its message). Latency = that arrival time − the
          message's `accepted_at`, which commsd stamps at intake: the CLI's process start and configuration
          load are not included. (Until 2026-11-25 the flash endpoint was `Tests/Receivers/http_receiver.py`;
          on two busy cores that Python receiver added its own queueing to the tail.) p50 and p99 count the flash deliveries of messages
          accepted while at least {counts.flash_bulk:,} bulk deliveries were still queued (from the bulk
          `delivered_at` times); several bulk messages make sure that holds while the sends run, because each
          `commsd send` is slower under load than the daemon needs for {counts.flash_bulk:,} deliveries. The
          flash sends use a sender configuration with the same `data_dir` and audiences but only the flash
          recipients ({args.flash_parallel} sends at a time), so that they do not each parse {counts.flash_bulk:,} recipients.
        """).rstrip("\n")
