"""Benchmark 7, audit verify: `commsd audit verify` over 1,000,000 chained events, cold and warm.

The store is filled by commsd itself, as in service: `commsd serve` takes messages to an audience of
200 webhook recipients through its HTTP API (`POST /v1/messages`, a token from `commsd token
create`) and delivers them to nginx's `/audit`, which answers 503 to 1 % of the requests (chosen by
`split_clients` on `$request_id`), so that some deliveries are retried and their error text is
sealed beside the chain. Every event, its hash, its ULIDs and its row are commsd's own; the package
writes none of them.

Until issue 17 the script wrote the events itself with Python's sqlite3, re-implementing the
canonical form of `AuditChain.Link`, ULIDs and the audit table's columns (about 15–20 s for a
million). Through the daemon it takes as long as delivering the messages (15–17 s per 100,000, 161 s
per 1,000,000 on this shared machine): slower, but the store can no longer drift from what commsd
writes (Benchmarks/NOTES.md, "The trade-off", says where the synthetic store had drifted).

The daemon stops once the chain holds at least N events; the newest events past N (those of the
last lease and record batches) are then deleted with sqlite3, so that every run verifies exactly N.
A prefix of the chain is itself a whole chain (the head is the last row), so this changes nothing
that verify checks; `--head` would notice, and is not used. The tamper check at the end alters one
stored detail on purpose.
"""

from __future__ import annotations

import http.client
import json
import re
import sqlite3
import textwrap
import threading
import time

from .config import BODY, SUBJECT, Group, write_config
from .daemon import Daemon
from .harness import evict_from_page_cache, free_port, run_with_usage, say, wait_port
from .paths import COMMSD
from .results import verdict

VERIFY_INTACT = re.compile(r"^intact: (\d+) events; head (\d+):([0-9a-f]{64})$", re.M)
RECIPIENTS = 200  # per message: the audience of a municipal care-home warning
POSTERS = 4  # connections posting the messages


def measure(ctx) -> None:
    """`commsd audit verify` over a store of counts.audit_events chained events: the first run
    with the file out of the page cache, a second with it in; then a tampered event must be named."""
    n = ctx.counts.audit_events
    d = ctx.work / "audit"
    db = d / "var" / "commsd.sqlite"
    cfg = d / "commsd.toml"
    port = free_port()
    tokens = write_config(cfg, [Group("care", RECIPIENTS, "care:r{i}", "r")],
                          endpoints={"care": {"url": f"{ctx.sinks.http}/audit", "concurrency": 64}},
                          max_in_flight=64,
                          api={"port": port, "tokens": [{"name": "audit-bench", "audiences": ["care"],
                                                         "max_priority": "normal"}]})
    say(f"7. audit verify: commsd writes {n:,} chained audit events (messages to {RECIPIENTS} webhook "
        f"recipients over its HTTP API, 1 % of the deliveries retried)")
    t0 = time.monotonic()
    filled = _fill(ctx, cfg, d, port, tokens["audit-bench"], n)
    filled["fill_s"] = time.monotonic() - t0
    files = sorted(db.parent.glob("commsd.sqlite*"))
    db_bytes = sum(p.stat().st_size for p in files)
    say(f"   {n:,} events ({filled['trimmed']:,} newer ones trimmed), {db_bytes / 1e6:.0f} MB, written in "
        f"{filled['fill_s']:.1f} s")
    evict_from_page_cache(files)

    verify = [str(COMMSD), "audit", "verify", "--config", str(cfg)]
    runs = {}
    for label in ("cold", "warm"):
        started = time.monotonic()
        code, out, err, usage = run_with_usage(verify, timeout=ctx.args.timeout)
        wall = time.monotonic() - started
        found = VERIFY_INTACT.search(out)
        if code != 0 or not found:
            raise RuntimeError(f"audit verify ({label}) exited {code}: {out.strip()[-500:]} {err.strip()[-500:]}")
        events, head_seq, head_hash = int(found[1]), int(found[2]), found[3]
        if (events, head_seq, head_hash) != (n, n, filled["head_hash"]):
            raise RuntimeError(f"audit verify ({label}) reported {events:,} events, head {head_seq}:{head_hash}; "
                               f"expected {n:,}, head {n}:{filled['head_hash']} (the store's last row)")
        runs[label] = dict(wall=wall, cpu=usage.ru_utime + usage.ru_stime, user=usage.ru_utime,
                           sys=usage.ru_stime, disk_mb=usage.ru_inblock * 512 / 1e6,
                           maxrss_mb=usage.ru_maxrss / 1024)
        say(f"   verify ({label}): {wall:.2f} s wall, {runs[label]['cpu']:.2f} s CPU, "
            f"{runs[label]['disk_mb']:.0f} MB read from disk: {out.strip()[:60]}…")

    seq, kind, tampered = _tamper_check(db, verify, n // 2, ctx.args.timeout)
    say(f"   tampered event {seq} ({kind}): {tampered}")

    cold, warm = runs["cold"], runs["warm"]
    ctx.results.raw["audit"] = dict(events=n, db_bytes=db_bytes, cold=cold, warm=warm, tampered_seq=seq,
                                    tampered_output=tampered, **filled)
    full = 1_000_000
    for label, m, what in (("cold", cold, "first run, store file evicted from the page cache"),
                           ("warm", warm, "second run, file in the page cache")):
        value = f"{m['wall']:.2f} s (CPU {m['cpu']:.2f} s)"
        seconds = m["wall"]
        if n != full:  # --quick: say what was measured, judge by the linear extrapolation
            seconds = m["wall"] * full / n
            value += f"; ≈ {seconds:.1f} s per {full:,} (linear extrapolation)"
        ctx.results.add("7 audit verify", f"`commsd audit verify` over {n:,} events, {what}", value, "< 10 s",
                        verdict(seconds < 10))
    mix = ", ".join(f"{k} {v:,}" for k, v in sorted(filled["kinds"].items(), key=lambda kv: -kv[1]))
    ctx.results.note("audit", f"{n:,} events ({mix}) written by `commsd serve` in {filled['fill_s']:.1f} s: "
                              f"{filled['posted']:,} messages to {RECIPIENTS} recipients posted to its API in "
                              f"{filled['post_s']:.1f} s, delivered to nginx; {filled['trimmed']:,} newer events "
                              f"deleted after the daemon stopped; the store is {db_bytes / 1e6:.0f} MB; "
                              f"{filled['sealed']:,} events carry personal data beside the chain (the "
                              f"retried deliveries' error texts, checked against their commitments)")
    for label, m in (("first run (cold)", cold), ("second run (warm)", warm)):
        ctx.results.note("audit", f"{label}: {m['wall']:.2f} s wall, {m['user']:.2f} s user + {m['sys']:.2f} s "
                                  f"system CPU = {m['cpu'] / n * 1e6:.2f} µs per event; {m['disk_mb']:.0f} MB read "
                                  f"from disk; peak RSS {m['maxrss_mb']:.0f} MB")
    ctx.results.note("audit", f"tamper check (not timed): with the detail of event {seq} ({kind}) altered in "
                              f"sqlite3, verify exited 1 and said: {tampered}")


def _fill(ctx, cfg, d, port: int, token: str, n: int) -> dict:
    """Runs the daemon until its audit chain holds at least `n` events, stops it, and trims the chain
    to exactly `n`. Each message yields at least RECIPIENTS + 2 events once delivered, so n /
    RECIPIENTS messages are enough."""
    messages = -(-n // RECIPIENTS)
    daemon = Daemon(cfg, d / "daemon.log")
    daemon.start()
    try:
        wait_port(port, 30, daemon.proc)
        post_s = _post_messages(port, token, messages)
        head = 0
        deadline = time.monotonic() + max(ctx.args.timeout, n / 2000)
        progress = time.monotonic()
        while head < n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the audit chain holds {head:,} of {n:,} events after the wait")
            daemon.check_alive()
            time.sleep(0.5)
            head = daemon.store.one("SELECT max(seq) FROM audit_events") or 0
            if time.monotonic() - progress > 15:
                progress = time.monotonic()
                say(f"   {head:,} of {n:,} events")
    finally:
        daemon.stop()
    con = sqlite3.connect(str(daemon.store.path), isolation_level=None)
    try:
        trimmed = con.execute("DELETE FROM audit_events WHERE seq > ?", (n,)).rowcount
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        head_hash = con.execute("SELECT hash FROM audit_events WHERE seq = ?", (n,)).fetchone()[0]
        kinds = dict(con.execute("SELECT kind, count(*) FROM audit_events GROUP BY kind").fetchall())
        sealed = con.execute("SELECT count(*) FROM audit_events WHERE personal IS NOT NULL").fetchone()[0]
    finally:
        con.close()
    return dict(posted=messages, post_s=post_s, trimmed=trimmed, head_hash=head_hash, kinds=kinds, sealed=sealed)


def _post_messages(port: int, token: str, count: int) -> float:
    """POSTs `count` messages to the care audience over POSTERS keep-alive connections; returns the
    seconds it took. Every answer must be a 2xx with a message id."""
    body = json.dumps({"audiences": ["care"], "priority": "normal", "kind": "update", "subject": SUBJECT,
                       "body": BODY}, ensure_ascii=False).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    errors: list[str] = []

    def post(share: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            for _ in range(share):
                conn.request("POST", "/v1/messages", body=body, headers=headers)
                answer = conn.getresponse()
                text = answer.read()
                if answer.status not in (200, 201, 202) or b'"id"' not in text:
                    errors.append(f"{answer.status} {text[:300]!r}")
                    return
        except (OSError, http.client.HTTPException) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            conn.close()

    started = time.monotonic()
    shares = [count // POSTERS + (1 if i < count % POSTERS else 0) for i in range(POSTERS)]
    threads = [threading.Thread(target=post, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"POST /v1/messages failed: {errors[0]}")
    return time.monotonic() - started


def _tamper_check(db, verify: list[str], seq: int, timeout: float) -> tuple[int, str, str]:
    """Not timed: alters the detail of event `seq` with sqlite3; verify must exit 1 naming it. The
    detail is put back afterwards, so a store kept with --keep is whole."""
    con = sqlite3.connect(str(db), isolation_level=None)
    try:
        kind, detail = con.execute("SELECT kind, detail FROM audit_events WHERE seq = ?", (seq,)).fetchone()
        members = json.loads(detail)
        if "status" in members:
            members["status"] = "500"
        else:
            key = sorted(members)[0]
            members[key] = str(members[key]) + " (edited)"
        altered = json.dumps(members, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        con.execute("UPDATE audit_events SET detail = ? WHERE seq = ?", (altered, seq))
    finally:
        con.close()
    code, out, _, _ = run_with_usage(verify, timeout=timeout)
    con = sqlite3.connect(str(db), isolation_level=None)
    try:
        con.execute("UPDATE audit_events SET detail = ? WHERE seq = ?", (detail, seq))
    finally:
        con.close()
    expected = f"BROKEN at event {seq} ({kind}): its content was altered"
    tampered = out.strip()
    if code != 1 or not tampered.startswith(expected):
        raise RuntimeError(f"audit verify after altering event {seq} exited {code} and said {tampered!r}; "
                           f"expected exit 1 and {expected!r}")
    return seq, kind, tampered


def how(counts, args) -> str:
    """The bullet(s) of "How each figure is measured" in BENCHMARKS.md."""
    return textwrap.dedent(f"""\
        - **7 Audit verify**: the store is filled by commsd itself. `commsd serve`, with an `[api]` token from
          `commsd token create` and an audience of {RECIPIENTS} webhook recipients on nginx's `/audit` (which
          answers 503 to 1 % of the requests, by `split_clients` on `$request_id`), takes
          {-(-counts.audit_events // RECIPIENTS):,} messages through `POST /v1/messages` ({POSTERS} keep-alive
          connections) and delivers them. Its events are what it writes in service: `message.accepted`,
          `message.planned`, a `delivery.leased` per lease transaction (listing its deliveries) and a
          `delivery.delivered` per delivery; for the 1 % a `delivery.retrying` first (the error text beside the
          chain under a commitment) and a second attempt. Once the chain holds {counts.audit_events:,} events the
          daemon is stopped and the newer events are deleted with sqlite3 (a prefix of the chain is a whole
          chain). The store is synced and its file dropped from the page cache (`posix_fadvise(DONTNEED)`, that
          file only); `commsd audit verify` then runs twice, the first reading the file from disk, the second
          from the page cache. The result is the wall time of the process, and its CPU from `wait4`; the run
          counts only if it prints `intact: N events; head SEQ:HASH` with N = {counts.audit_events:,} and the
          hash of the store's last row. Then one event in the middle is altered with sqlite3, and verify must
          exit 1 naming that event (not timed). With `--quick` the figure is measured on fewer events and the
          verdict is from its linear extrapolation.
        """).rstrip("\n")
