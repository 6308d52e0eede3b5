"""Benchmark 8, HTTP enqueue: wrk POSTs /v1/messages while the daemon plans and delivers what it takes."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
import time
import urllib.request

from .config import BODY, SUBJECT, Group, write_config
from .daemon import Daemon
from .harness import (busy_cpu, free_port, own_cpu, proc_cpu, proc_status, run_with_usage, say, thread_cpu,
                      thread_delta, wait_port)
from .results import fmt_ms, percentile, verdict



# The wrk script of benchmark 8 (@…@ filled in by one run). Each request carries a unique
# Idempotency-Key (run, thread, counter); each 2xx answer's message id is written to a file per
# thread with the time it arrived, so the store can be checked against what was acknowledged.
# With a rate (@RATE@ > 0, requests a second for each wrk thread), `delay` holds each request to
# its slot on a fixed schedule, whatever the answers before it did, and the slot is written per
# counter: afterwards each answer's latency is counted from its slot (the store gives id → key →
# counter), so time a request spent waiting for a free connection counts too (no coordinated
# omission). Without a rate, each connection sends its next request when the answer comes.
HTTP_LUA = r"""
local token = "@TOKEN@"
local run = "@RUN@"
local ids_dir = "@IDS@"
local rate = @RATE@
local body = [==[@BODY@]==]

local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *ts);
]]
local now_ts = ffi.new("bench_timespec")
local function now_us()
   ffi.C.clock_gettime(1, now_ts) -- CLOCK_MONOTONIC
   return tonumber(now_ts.tv_sec) * 1000000 + math.floor(tonumber(now_ts.tv_nsec) / 1000)
end

local threads = {}
local next_tid = 0

function setup(thread)
   next_tid = next_tid + 1
   thread:set("tid", next_tid)
   table.insert(threads, thread)
end

-- globals, not locals: done() reads them from each thread with thread:get
counter, s2xx, s3xx, s4xx, s5xx, noid = 0, 0, 0, 0, 0, 0
local out, bad, slots

function init(args)
   out = io.open(ids_dir .. "/ids-" .. tid .. ".txt", "w")
   bad = io.open(ids_dir .. "/refused-" .. tid .. ".txt", "w")
   slots = io.open(ids_dir .. "/slots-" .. tid .. ".txt", "w")
end

-- The schedule: slot k is at first + k / rate. A connection that comes free takes the next slot
-- and waits for it (rounded up to wrk's millisecond timer), or goes at once if it is overdue.
-- `due` holds the slots handed out and not yet sent, from `head` to `tail` (slot k is due[k + 1]).
local first, head, tail, due = nil, 1, 0, {}
if rate > 0 then
   local interval = 1000000 / rate
   function delay()
      local now = now_us()
      if first == nil then first = now end
      local slot = first + tail * interval
      tail = tail + 1
      due[tail] = slot
      if slot <= now then return 0 end
      return math.ceil((slot - now) / 1000)
   end
end

function request()
   counter = counter + 1
   if rate > 0 then
      local slot = due[head] or now_us() -- none after a reconnect: wrk sends at once
      due[head] = nil
      head = head + 1
      if slots then slots:write(counter, " ", string.format("%d", slot), "\n") end -- none in wrk's check
   end
   return wrk.format("POST", "/v1/messages", {
      ["Host"] = wrk.host .. ":" .. wrk.port,
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. token,
      ["Idempotency-Key"] = run .. "-" .. tid .. "-" .. counter,
   }, body)
end

function response(status, headers, answer)
   if status >= 200 and status < 300 then
      s2xx = s2xx + 1
      local id = string.match(answer, '"id"%s*:%s*"(msg_[^"]+)"')
      if id then out:write(id, " ", string.format("%d", now_us()), "\n") else noid = noid + 1 end
   else
      if status < 400 then s3xx = s3xx + 1 elseif status < 500 then s4xx = s4xx + 1 else s5xx = s5xx + 1 end
      if s3xx + s4xx + s5xx <= 20 then bad:write(status, " ", answer, "\n") end
   end
end

function done(summary, latency, requests)
   local t = {s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0, noid = 0}
   for _, thread in ipairs(threads) do
      for k, _ in pairs(t) do t[k] = t[k] + (thread:get(k) or 0) end
   end
   local e = summary.errors
   io.write(string.format(
      'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "s2xx": %d, ' ..
      '"statuses": {"2xx": %d, "3xx": %d, "4xx": %d, "5xx": %d}, "noid": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"p50_us": %d, "p75_us": %d, "p90_us": %d, "p99_us": %d, "p999_us": %d, "max_us": %d, "mean_us": %.1f}\n',
      summary.requests, summary.duration, summary.bytes, t.s2xx, t.s2xx, t.s3xx, t.s4xx, t.s5xx, t.noid,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9), latency.max, latency.mean))
end
"""


def measure(ctx) -> None:
    """Enqueue over HTTP, twice, each on a fresh daemon: wrk POSTs /v1/messages (JSON, bearer token,
    a unique Idempotency-Key each) while the daemon also plans and delivers what it takes to nginx.
    First at an offered rate on a fixed schedule (the target: that rate taken, p99 from each
    request's slot); then closed, each connection sending when its answer comes (the most those
    connections get). Afterwards every message wrk saw a 202 for must be in the store."""
    rate = ctx.args.http_rate
    if rate > 0:
        offered = _run(ctx, "offered", rate, ctx.args.http_rate_connections)
        _report(ctx, offered)
    _report(ctx, _run(ctx, "closed", 0, ctx.args.http_connections))


def _run(ctx, name: str, rate: int, conns: int) -> dict:
    """One wrk run against a fresh daemon; `rate` requests a second in all (0: closed loop)."""
    seconds, threads = ctx.counts.http_seconds, ctx.args.http_threads
    per, conc = ctx.args.http_recipients, ctx.args.webhook_concurrency
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (Debian package wrk)")
    d = ctx.work / "http" / name
    d.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cfg = d / "commsd.toml"
    tokens = write_config(cfg, [Group("bench", per, "sink:r{i}", "r")],
                          endpoints={"sink": {"url": f"{ctx.sinks.http}/sink", "concurrency": conc}},
                          max_in_flight=conc,
                          api={"port": port, "tokens": [{"name": "bench", "audiences": ["bench"],
                                                         "max_priority": "urgent"}]})
    run_id = f"{int(time.time()):x}{name[0]}"
    ids_dir = d / "acked"
    if ids_dir.exists():
        shutil.rmtree(ids_dir)
    ids_dir.mkdir()
    body = json.dumps({"audiences": ["bench"], "priority": "normal", "kind": "update",
                       "subject": SUBJECT, "body": BODY}, ensure_ascii=False)
    script = d / "enqueue.lua"
    script.write_text(HTTP_LUA.replace("@TOKEN@", tokens["bench"]).replace("@RUN@", run_id)
                      .replace("@IDS@", str(ids_dir)).replace("@RATE@", repr(rate / threads))
                      .replace("@BODY@", body))
    say(f"8. HTTP enqueue: wrk -t{threads} -c{conns} -d{seconds}s POST /v1/messages "
        + (f"offered at {rate:,}/s on a fixed schedule " if rate else "as fast as the answers come ")
        + f"(audience of {per} webhook recipients on nginx)")
    daemon = Daemon(cfg, d / "daemon.log")
    daemon.start()
    wrk_usage = None
    try:
        wait_port(port, 30, daemon.proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            if answer.status != 200:
                raise RuntimeError(f"GET /healthz answered {answer.status}")
        worker = ctx.sinks.nginx_worker()
        cpu0, thr0 = proc_cpu(daemon.pid), thread_cpu(daemon.pid)
        machine0, ngx0, self0 = busy_cpu(), (proc_cpu(worker) if worker else 0.0), own_cpu()
        wall0 = time.monotonic()
        argv = [wrk, f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s", "--latency",
                "-s", str(script), f"http://127.0.0.1:{port}/v1/messages"]
        code, out, err, wrk_usage = run_with_usage(argv, timeout=seconds + 60)
        wall = time.monotonic() - wall0
        cpu, thr = proc_cpu(daemon.pid) - cpu0, thread_delta(thr0, thread_cpu(daemon.pid))
        ngx = (proc_cpu(worker) - ngx0) if worker else None
        machine_cpu = busy_cpu() - machine0
        harness_cpu = own_cpu() - self0
        (d / "wrk.out").write_text(out + err)
        if code != 0:
            raise RuntimeError(f"wrk exited {code}: {(err or out)[-1500:]}")
        found = re.search(r"^WRK_JSON (.*)$", out, re.M)
        if not found:
            raise RuntimeError(f"wrk printed no summary: {out[-1500:]}")
        w = json.loads(found.group(1))
        delivered_in_window = daemon.store.states().get("delivered", 0)
        planned_in_window = daemon.store.one("SELECT count(*) FROM messages WHERE planned_at IS NOT NULL") or 0
        # Then let the daemon finish what it took: the deliveries keep up or not.
        drain0 = time.monotonic()
        drained = None
        deadline = drain0 + ctx.args.timeout
        while time.monotonic() < deadline:
            unplanned = daemon.store.one("SELECT count(*) FROM messages WHERE planned_at IS NULL") or 0
            states = daemon.store.states()
            pending = sum(v for k, v in states.items() if k not in ("delivered", "dead"))
            if unplanned == 0 and pending == 0:
                drained = time.monotonic() - drain0
                break
            daemon.check_alive()
            time.sleep(0.5)
        states = daemon.store.states()
        keys = dict(daemon.store.query(
            "SELECT id, idempotency_key FROM messages WHERE sender_kind = 'api' AND idempotency_key LIKE ?",
            (f"api:bench:{run_id}-%",)))
        all_messages = daemon.store.one("SELECT count(*) FROM messages") or 0
        hwm = proc_status(daemon.pid, "VmHWM")
    finally:
        daemon.stop()
        daemon.cleanup(ctx.args.keep)
    stored = set(keys)
    answered: dict[str, int] = {}  # message id → when its 2xx arrived (µs, CLOCK_MONOTONIC)
    acked: list[str] = []
    for path in sorted(ids_dir.glob("ids-*.txt")):
        for line in path.read_text().splitlines():
            if line.strip():
                message, at = line.split()
                acked.append(message)
                answered[message] = int(at)
    acked_set = set(acked)
    lost = acked_set - stored
    unanswered = stored - acked_set  # taken, but wrk stopped before the answer arrived
    ok2xx, non2xx = w["s2xx"], w["requests"] - w["s2xx"]
    socket_errors = sum(w["errors"].values()) - w["errors"]["status"]
    duration = w["duration_us"] / 1e6
    wrk_cpu = wrk_usage.ru_utime + wrk_usage.ru_stime
    other_cpu = max(0.0, machine_cpu - cpu - (ngx or 0) - harness_cpu - wrk_cpu)
    raw = dict(name=name, offered=rate, seconds=seconds, connections=conns, threads=threads, recipients=per,
               rate=ok2xx / duration, duration=duration, requests=w["requests"], s2xx=ok2xx, non2xx=non2xx,
               statuses=w["statuses"], errors=w["errors"], socket_errors=socket_errors,
               p50=w["p50_us"] / 1e6, p75=w["p75_us"] / 1e6, p90=w["p90_us"] / 1e6, p99=w["p99_us"] / 1e6,
               p999=w["p999_us"] / 1e6, max=w["max_us"] / 1e6, mean=w["mean_us"] / 1e6,
               acked=len(acked), acked_distinct=len(acked_set), stored=len(stored), all_messages=all_messages,
               lost=len(lost), unanswered=len(unanswered), delivered_in_window=delivered_in_window,
               planned_in_window=planned_in_window, states=states, drained=drained,
               expected_deliveries=len(stored) * per, cpu=cpu, threads_cpu=thr, nginx_cpu=ngx,
               wrk_cpu=wrk_cpu, harness_cpu=harness_cpu, machine_cpu=machine_cpu, other_cpu=other_cpu,
               wall=wall, hwm_kb=hwm)
    if rate:
        raw.update(_from_slots(ids_dir, keys, answered, run_id))
    raw["sound"] = (non2xx == 0 and socket_errors == 0 and not lost and len(acked) == ok2xx
                    and len(acked_set) == len(acked) and len(unanswered) <= conns
                    and raw.get("unslotted", 0) == 0)
    ctx.results.raw[f"http {name}"] = raw
    say(f"   {raw['rate']:,.0f}/s, p50 {fmt_ms(raw['p50'])}, p99 {fmt_ms(raw['p99'])}"
        + (f"; from the schedule {raw['taken']:,.0f}/s, p99 {fmt_ms(raw['slot_p99'])}" if rate else "")
        + f"; non-2xx {non2xx}, socket errors {socket_errors}; stored {len(stored):,}, acknowledged "
        f"{len(acked):,}, lost {len(lost)}, unanswered {len(unanswered)}; delivered during the run "
        f"{delivered_in_window:,}")
    return raw


def _from_slots(ids_dir, keys: dict[str, str], answered: dict[str, int], run_id: str) -> dict:
    """Each acknowledged message's latency from its slot: message id → Idempotency-Key (the store)
    → thread and counter → the slot the script wrote for it."""
    slots: dict[tuple[int, int], int] = {}
    for path in sorted(ids_dir.glob("slots-*.txt")):
        tid = int(path.stem.split("-")[1])
        for line in path.read_text().splitlines():
            if line.strip():
                counter, at = line.split()
                slots[(tid, int(counter))] = int(at)
    prefix = f"api:bench:{run_id}-"
    timed, unslotted = [], 0  # (slot, latency), µs
    for message, at in answered.items():
        key = keys.get(message, "")
        tid, _, counter = key[len(prefix):].partition("-")
        slot = slots.get((int(tid), int(counter))) if tid.isdigit() and counter.isdigit() else None
        if slot is None:
            unslotted += 1
            continue
        timed.append((slot, at - slot))
    # Each answer's slot (CLOCK_MONOTONIC, as the daemon's own clock reads it) and latency, in slot
    # order: when the slow answers came, to set beside what the daemon did then (NOTES.md, twelfth
    # pass).
    timed.sort()
    (ids_dir.parent / "latencies.tsv").write_text(
        "slot_us\tlatency_us\n" + "".join(f"{slot}\t{latency}\n" for slot, latency in timed))
    latencies = [latency / 1e6 for _, latency in timed]
    # Taken a second: the answers over the time from the first slot to the last answer (wrk's own run
    # time also counts the requests still in flight at its cut, up to one a connection).
    span = (max(answered.values()) - min(slots.values())) / 1e6 if answered and slots else 0.0
    return dict(slot_p50=percentile(latencies, 50), slot_p90=percentile(latencies, 90),
                slot_p99=percentile(latencies, 99), slot_p999=percentile(latencies, 99.9),
                slot_max=max(latencies, default=None), sent=len(slots), unslotted=unslotted,
                taken=len(latencies) / span if span > 0 else 0.0, span=span)


def _report(ctx, raw: dict) -> None:
    """The run's rows and details in BENCHMARKS.md."""
    rate, conns, threads, seconds, per = raw["offered"], raw["connections"], raw["threads"], raw["seconds"], raw["recipients"]
    ok2xx, wall, cpu = raw["s2xx"], raw["wall"], raw["cpu"]
    bench = "8 HTTP enqueue"
    if rate:
        # The target: the offered rate taken (within 1 %: the schedule's millisecond timer), each
        # answer within 50 ms of its slot at p99.
        met = (rate >= 2000 and raw["taken"] >= 0.99 * rate and raw["slot_p99"] is not None
               and raw["slot_p99"] < 0.05 and raw["sound"])
        ctx.results.add(bench, f"offered {rate:,}/s on a fixed schedule for {seconds} s (wrk -t{threads} -c{conns}, "
                               f"POST /v1/messages, an audience of {per} webhook recipients); latency from each "
                               "request's slot",
                        f"{raw['taken']:,.0f}/s taken of {rate:,}/s offered, p50 {fmt_ms(raw['slot_p50'])}, "
                        f"p99 {fmt_ms(raw['slot_p99'])}",
                        "≥ 2,000/s, p99 < 50 ms", verdict(met))
    else:
        ctx.results.add(bench, f"closed loop: wrk -t{threads} -c{conns}, each connection sending when its answer "
                               f"comes, {seconds} s (the most these connections get)",
                        f"{raw['rate']:,.0f}/s, p50 {fmt_ms(raw['p50'])}, p99 {fmt_ms(raw['p99'])}", "", "")
    label = "offered" if rate else "closed loop"
    ctx.results.add(bench, f"{label}: commsd CPU per accepted request (other processes took "
                           f"{raw['other_cpu']:.1f} core-s of the {wall:.0f} s)", f"{cpu / max(ok2xx, 1) * 1e6:,.0f} µs")
    # Not a target: how much of what it took the daemon delivered meanwhile. Intake shares the two
    # cores with those deliveries, so the enqueue rate reads only beside this figure (NOTES.md, tenth
    # pass: the planner's sort had held delivery back to a fifth of this, and intake went faster).
    delivered, expected, drained = raw["delivered_in_window"], raw["expected_deliveries"], raw["drained"]
    ctx.results.add(bench, f"{label}: deliveries of the accepted messages made while wrk ran; the rest",
                    f"{delivered / wall:,.0f}/s, {delivered / max(expected, 1):.0%} of {expected:,}; "
                    + (f"the rest {drained:.1f} s after wrk stopped" if drained is not None else "the rest not done"),
                    "", "")
    note = lambda text: ctx.results.note("http", f"{label}: {text}")  # noqa: E731
    note(f"wrk: {raw['requests']:,} responses in {raw['duration']:.2f} s, {ok2xx:,} 2xx (statuses "
         f"{raw['statuses']}), non-2xx {raw['non2xx']}, socket errors {raw['errors']}; latency from sending on a "
         f"free connection p50 {fmt_ms(raw['p50'])}, p75 {fmt_ms(raw['p75'])}, p90 {fmt_ms(raw['p90'])}, p99 "
         f"{fmt_ms(raw['p99'])}, p99.9 {fmt_ms(raw['p999'])}, max {fmt_ms(raw['max'])}")
    if rate:
        note(f"the schedule: {raw['sent']:,} requests sent on {rate:,}/s slots; {raw['s2xx']:,} answers in "
             f"{raw['span']:.2f} s from the first slot to the last answer ({raw['taken']:,.0f}/s); latency from the slot p50 "
             f"{fmt_ms(raw['slot_p50'])}, p90 {fmt_ms(raw['slot_p90'])}, p99 {fmt_ms(raw['slot_p99'])}, p99.9 "
             f"{fmt_ms(raw['slot_p999'])}, max {fmt_ms(raw['slot_max'])}; answers without a slot: {raw['unslotted']}")
    note(f"store check: {raw['stored']:,} messages of this run in the store, {raw['acked']:,} acknowledged with a "
         f"message id ({raw['acked_distinct']:,} distinct); acknowledged but not stored: {raw['lost']}; stored but "
         f"unanswered when wrk stopped (in flight at the cut, at most one per connection): {raw['unanswered']}")
    rest = expected - delivered
    note(f"the daemon's own work meanwhile: {raw['planned_in_window']:,} of the {raw['stored']:,} messages planned "
         f"and {delivered:,} of their {expected:,} deliveries delivered while wrk ran ({delivered / wall:,.0f}/s); "
         + (f"the rest ({rest:,} deliveries) finished {drained:.1f} s after wrk stopped ({rest / max(drained, 1e-3):,.0f}/s)"
            if drained is not None else f"not all finished within {ctx.args.timeout:.0f} s")
         + f"; states at the end {raw['states']}")
    thr = raw["threads_cpu"]
    note(f"CPU over the {wall:.1f} s: commsd {cpu:.2f} s ({cpu / wall:.2f} cores, {cpu / max(ok2xx, 1) * 1e6:,.0f} µs "
         "per accepted request, with whatever planning and delivery it did meanwhile; threads: "
         + ", ".join(f"{k} {v:.2f} s" for k, v in list(thr.items())[:6] if v >= 0.01)
         + f"), wrk {raw['wrk_cpu']:.2f} s, nginx {raw['nginx_cpu'] or 0:.2f} s, this script {raw['harness_cpu']:.2f} s, "
         f"other processes {raw['other_cpu']:.1f} s; daemon VmHWM {(raw['hwm_kb'] or 0) / 1024:.0f} MB")
    if not raw["sound"]:
        note("WARNING: the run is not sound (non-2xx, socket errors, acknowledged messages missing from the "
             "store, answers without a slot, or the id files do not match wrk's 2xx count)")


def how(counts, args) -> str:
    """The bullet(s) of "How each figure is measured" in BENCHMARKS.md."""
    return textwrap.dedent(f"""\
        - **8 HTTP enqueue**: `commsd serve` with an `[api]` section on a free loopback port and one token
          (made by `commsd token create --json` on the configuration, which then holds the hash it printed),
          and an audience of {args.http_recipients} webhook recipients on the nginx sink (endpoint
          `concurrency = {args.webhook_concurrency}`, `max_in_flight = {args.webhook_concurrency}`), so the daemon has the
          planning and delivery of what it takes to do while it is measured (the details say how much of
          it got done while wrk ran, and how long the rest took after). Debian's `wrk` runs for {counts.http_seconds} s
          with {args.http_threads} thread(s) and a Lua script that POSTs `/v1/messages` with a JSON body (one
          audience, `normal` priority, the webhook benchmarks' subject and body), `Authorization: Bearer …`
          and a unique `Idempotency-Key` on every request; twice, each on a fresh daemon and store:
          - **offered rate** (the target): {args.http_rate:,} requests a second on a fixed schedule over
            {args.http_rate_connections} keep-alive connections (`wrk -t{args.http_threads} -c{args.http_rate_connections}
            -d{counts.http_seconds}s --timeout 10s --latency`). The script's `delay` gives each request the next slot
            (slot k at the first slot + k ÷ rate, by `clock_gettime(CLOCK_MONOTONIC)` through LuaJIT's ffi) and
            holds it until then, or sends it at once when it is overdue; it writes each request's slot by its
            counter and each 2xx answer's arrival by its message id. Afterwards the store maps each message id
            to its Idempotency-Key (thread and counter), so each answer's latency is counted from its slot:
            time spent waiting for a free connection counts (no coordinated omission). The rate taken is the
            answers ÷ the time from the first slot to the last answer; the target is met when it is within
            1 % of the offered rate (wrk's timer has millisecond steps), the offered rate is at least 2,000/s,
            and p99 from the slot is under 50 ms.
          - **closed loop** (not a target): {args.http_connections} connections, each sending its next request
            when its answer comes (`wrk -t{args.http_threads} -c{args.http_connections} -d{counts.http_seconds}s --timeout 10s
            --latency`): the most those connections get. Each request waits for its durable commit, so this
            rate is about the connections ÷ the mean latency, not what the daemon can take. The rate is wrk's
            2xx count ÷ its run time; p50 and p99 are wrk's, from sending a request to its answer.
          Each run counts only if every answer is 2xx and no socket errors occurred. Every acknowledged id
          must be in the store (sqlite3 on `messages`, by the run's idempotency keys), and the store may hold
          at most one more message per connection (taken, but wrk stopped before its answer came). Deliveries
          completed while wrk ran are counted from the store, and the time the daemon then needs to finish
          the rest.
        """).rstrip("\n")
