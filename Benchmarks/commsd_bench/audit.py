"""Benchmark 7, audit verify: `commsd audit verify` over 1,000,000 chained events, cold and warm."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import re
import shutil
import sqlite3
import textwrap
import time
from pathlib import Path

from .config import Group, write_config
from .harness import evict_from_page_cache, run_with_usage, say
from .paths import COMMSD
from .results import verdict

# --------------------------------------------------------------------------
# A synthetic audit log, chained as commsd chains it

ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# What JSONWriter escapes: '"', '\\' and control characters below 0x20 (json.dumps escapes
# exactly those, the same way: \", \\, \n, \r, \t, \b, \f, else \u00xx in lower-case hex).
_JSON_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


def json_str(text: str) -> str:
    """A JSON string as JSONWriter writes it (slashes and non-ASCII left as they are)."""
    return f'"{text}"' if not _JSON_ESCAPE.search(text) else json.dumps(text, ensure_ascii=False)


def json_detail(members: dict[str, str]) -> str:
    """An audit detail as stored: `JSONWriter.object` (sorted keys, string values, compact)."""
    return "{" + ",".join(f"{json_str(k)}:{json_str(v)}" for k, v in sorted(members.items())) + "}"


def audit_hash(seq: int, at: str, kind: str, message_id: str | None, delivery_id: str | None, actor: str,
               detail: str, prev: str) -> str:
    """SHA-256 (lower hex) of `AuditChain.Link.canonical`: sorted keys, absent ids as "", the detail
    embedded as stored, seq as an integer."""
    canonical = (f'{{"actor":{json_str(actor)},"at":{json_str(at)},"delivery_id":{json_str(delivery_id or "")},'
                 f'"detail":{detail},"kind":{json_str(kind)},"message_id":{json_str(message_id or "")},'
                 f'"prev":{json_str(prev)},"seq":{seq}}}')
    return hashlib.sha256(canonical.encode()).hexdigest()


def ulid(millis: int, rng: random.Random) -> str:
    """`ULID.make`: 48-bit milliseconds then 80 random bits, Crockford base32, 26 characters."""
    return ("".join(ULID_ALPHABET[(millis >> shift) & 31] for shift in range(45, -1, -5))
            + "".join(rng.choices(ULID_ALPHABET, k=16)))


def audit_stamp(millis: int) -> str:
    """`Timestamp.format`: RFC 3339 UTC, milliseconds, fixed width (2026-11-25T12:03:04.512Z)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(millis // 1000)) + f".{millis % 1000:03d}Z"


def synthetic_audit(seed: int = 3, recipients: int = 200, lease_batch: int = 64, retry_share: float = 0.01):
    """Endless audit events (at, kind, message_id, delivery_id, actor, detail, personal) as a daemon writes them
    for messages to `recipients` webhook recipients: message.accepted, message.planned, a
    delivery.leased per batch of `lease_batch` (listing the delivery ids), delivery.delivered per
    delivery; `retry_share` of the attempts fail first (delivery.retrying, leased again, delivered
    at attempt 2). `personal` is the members that are personal data (a failure's error text), or None."""
    rng = random.Random(seed)
    owner = "bench-host:4242"
    senders = ["cli:beredskab@krisestab-01", "api:vagtcentral@10.20.4.17", "cap:alerts.example.dk@10.20.4.30"]
    t = int(dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.timezone.utc).timestamp() * 1000)
    bulletin = 0
    while True:
        bulletin += 1
        t += rng.randint(30_000, 300_000)
        message = "msg_" + ulid(t, rng)
        yield (audit_stamp(t), "message.accepted", message, None, senders[bulletin % len(senders)],
               {"audiences": "care", "bulletins": f"care #{bulletin}",
                "kind": "alert" if bulletin % 5 == 1 else "update", "languages": "da,en",
                "priority": "urgent" if bulletin % 7 == 0 else "normal"}, None)
        t += rng.randint(5, 40)
        yield (audit_stamp(t), "message.planned", message, None, "commsd",
               {"audience.care": str(recipients), "bulletin.care": str(bulletin), "deliveries": str(recipients),
                "state.ready": str(recipients)}, None)
        deliveries = ["dlv_" + ulid(t, rng) for _ in range(recipients)]
        retries = []
        for start in range(0, recipients, lease_batch):
            batch = deliveries[start:start + lease_batch]
            t += rng.randint(1, 5)
            yield (audit_stamp(t), "delivery.leased", None, None, owner,
                   {"count": str(len(batch)), "deliveries": ",".join(batch), "until": audit_stamp(t + 60_000)}, None)
            for delivery in batch:
                t += rng.randint(0, 2)
                if rng.random() < retry_share:
                    retries.append(delivery)
                    status, error = (("503", 'HTTP 503: "upstream unavailable"') if rng.random() < 0.5
                                     else (None, "timed out after 10 s"))
                    detail = {"attempt": "1", "duration_ms": str(rng.randint(3, 10_000)),
                              "retry_at": audit_stamp(t + 30_000), "target": "endpoint:care"}
                    if status:
                        detail["status"] = status
                    yield audit_stamp(t), "delivery.retrying", message, delivery, owner, detail, {"error": error}
                else:
                    yield (audit_stamp(t), "delivery.delivered", message, delivery, owner,
                           {"attempt": "1", "duration_ms": str(rng.randint(2, 9)), "status": "204",
                            "target": "endpoint:care"}, None)
        if retries:
            t += 30_000
            yield (audit_stamp(t), "delivery.leased", None, None, owner,
                   {"count": str(len(retries)), "deliveries": ",".join(retries), "until": audit_stamp(t + 60_000)},
                   None)
            for delivery in retries:
                t += rng.randint(2, 9)
                yield (audit_stamp(t), "delivery.delivered", message, delivery, owner,
                       {"attempt": "2", "duration_ms": str(rng.randint(2, 9)), "status": "204",
                        "target": "endpoint:care"}, None)


def populate_audit(db: Path, count: int, transaction: int = 50_000) -> dict:
    """Appends `count` chained events to the (migrated, empty) store's audit_events with Python's
    sqlite3, in transactions of `transaction` rows; returns the head and a tally of kinds.

    Personal data (an error text) goes where the store's schema puts it: with an `audit_events.personal`
    column (migration 0008), beside the chain as `AuditPersonal.seal` stores it (the values and a salt,
    with the detail committing to its SHA-256 under "personal"); without one, in the detail."""
    con = sqlite3.connect(str(db), isolation_level=None)
    try:
        con.execute("PRAGMA synchronous = OFF")  # the load only: the file is synced before measuring
        (existing,) = con.execute("SELECT count(*) FROM audit_events").fetchone()
        if existing:
            raise RuntimeError(f"{db} already holds {existing} audit events")
        beside = "personal" in [c[1] for c in con.execute("PRAGMA table_info(audit_events)")]
        salts = random.Random(7)
        prev, seq, kinds, rows, sealed = "0" * 64, 0, {}, [], 0
        insert = ("INSERT INTO audit_events (seq, at, kind, message_id, delivery_id, actor, detail, prev_hash, hash"
                  + (", personal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" if beside else
                     ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"))
        for at, kind, message_id, delivery_id, actor, members, personal in synthetic_audit():
            seq += 1
            stored = None
            if personal and beside:
                stored = json_detail({**personal, "salt": f"{salts.getrandbits(128):032x}"})
                members = {**members, "personal": hashlib.sha256(stored.encode()).hexdigest()}
                sealed += 1
            elif personal:
                members = {**members, **personal}
            detail = json_detail(members)
            digest = audit_hash(seq, at, kind, message_id, delivery_id, actor, detail, prev)
            row = (seq, at, kind, message_id, delivery_id, actor, detail, prev, digest)
            rows.append(row + (stored,) if beside else row)
            kinds[kind] = kinds.get(kind, 0) + 1
            prev = digest
            if len(rows) == transaction or seq == count:
                con.execute("BEGIN")
                con.executemany(insert, rows)
                con.execute("COMMIT")
                rows = []
            if seq == count:
                break
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    return dict(head_seq=seq, head_hash=prev, kinds=kinds, personal_beside=beside, sealed=sealed)



VERIFY_INTACT = re.compile(r"^intact: (\d+) events; head (\d+):([0-9a-f]{64})$", re.M)


def measure(ctx) -> None:
    """`commsd audit verify` over a store of counts.audit_events chained events: the first run
    with the file out of the page cache, a second with it in; then a tampered event must be named."""
    n = ctx.counts.audit_events
    d = ctx.work / "audit"
    cfg = d / "commsd.toml"
    write_config(cfg, [Group("care", 10, "care:r{i}", "r")],
                 endpoints={"care": {"url": "http://127.0.0.1:9/care", "concurrency": 8}})
    db = d / "var" / "commsd.sqlite"
    if db.parent.exists():
        shutil.rmtree(db.parent)
    verify = [str(COMMSD), "audit", "verify", "--config", str(cfg)]
    # commsd creates the store and runs its migrations (the schema is commsd's, not a copy).
    code, out, err, _ = run_with_usage(verify, timeout=ctx.args.timeout)
    if code != 0 or not out.startswith("intact: 0 events"):
        raise RuntimeError(f"audit verify on an empty store exited {code}: {out.strip()} {err.strip()[-500:]}")
    say(f"7. audit verify: writing {n:,} chained audit events with Python's sqlite3")
    t0 = time.monotonic()
    made = populate_audit(db, n)
    populate_s = time.monotonic() - t0
    files = sorted(db.parent.glob("commsd.sqlite*"))
    db_bytes = sum(p.stat().st_size for p in files)
    say(f"   {n:,} events, {db_bytes / 1e6:.0f} MB, written in {populate_s:.1f} s")
    evict_from_page_cache(files)

    runs = {}
    for label in ("cold", "warm"):
        started = time.monotonic()
        code, out, err, usage = run_with_usage(verify, timeout=ctx.args.timeout)
        wall = time.monotonic() - started
        found = VERIFY_INTACT.search(out)
        if code != 0 or not found:
            raise RuntimeError(f"audit verify ({label}) exited {code}: {out.strip()[-500:]} {err.strip()[-500:]}")
        events, head_seq, head_hash = int(found[1]), int(found[2]), found[3]
        if (events, head_seq, head_hash) != (n, made["head_seq"], made["head_hash"]):
            raise RuntimeError(f"audit verify ({label}) reported {events:,} events, head {head_seq}:{head_hash}; "
                               f"expected {n:,}, head {made['head_seq']}:{made['head_hash']}")
        runs[label] = dict(wall=wall, cpu=usage.ru_utime + usage.ru_stime, user=usage.ru_utime,
                           sys=usage.ru_stime, disk_mb=usage.ru_inblock * 512 / 1e6,
                           maxrss_mb=usage.ru_maxrss / 1024)
        say(f"   verify ({label}): {wall:.2f} s wall, {runs[label]['cpu']:.2f} s CPU, "
            f"{runs[label]['disk_mb']:.0f} MB read from disk: {out.strip()[:60]}…")

    # Not timed: alter one event in the middle; verify must name it.
    seq = n // 2
    con = sqlite3.connect(str(db), isolation_level=None)
    try:
        kind, detail = con.execute("SELECT kind, detail FROM audit_events WHERE seq = ?", (seq,)).fetchone()
        members = json.loads(detail)
        if "status" in members:
            members["status"] = "500"
        else:
            key = sorted(members)[0]
            members[key] += " (edited)"
        con.execute("UPDATE audit_events SET detail = ? WHERE seq = ?", (json_detail(members), seq))
    finally:
        con.close()
    code, out, err, _ = run_with_usage(verify, timeout=ctx.args.timeout)
    con = sqlite3.connect(str(db), isolation_level=None)
    try:  # put it back: a store kept with --keep is whole
        con.execute("UPDATE audit_events SET detail = ? WHERE seq = ?", (detail, seq))
    finally:
        con.close()
    expected = f"BROKEN at event {seq} ({kind}): its content was altered"
    tampered = out.strip()
    if code != 1 or not tampered.startswith(expected):
        raise RuntimeError(f"audit verify after altering event {seq} exited {code} and said {tampered!r}; "
                           f"expected exit 1 and {expected!r}")
    say(f"   tampered event {seq} ({kind}): {tampered}")

    cold, warm = runs["cold"], runs["warm"]
    ctx.results.raw["audit"] = dict(events=n, populate_s=populate_s, db_bytes=db_bytes, kinds=made["kinds"],
                                    cold=cold, warm=warm, tampered_seq=seq, tampered_output=tampered)
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
    mix = ", ".join(f"{k} {v:,}" for k, v in sorted(made["kinds"].items(), key=lambda kv: -kv[1]))
    ctx.results.note("audit", f"{n:,} events ({mix}) written with Python's sqlite3 in {populate_s:.1f} s; "
                              f"the store is {db_bytes / 1e6:.0f} MB; the failures' error texts are "
                              + (f"personal data beside the chain ({made['sealed']:,} sealed, checked against "
                                 f"their commitments)" if made["personal_beside"] else "in the chained detail"))
    for label, m in (("first run (cold)", cold), ("second run (warm)", warm)):
        ctx.results.note("audit", f"{label}: {m['wall']:.2f} s wall, {m['user']:.2f} s user + {m['sys']:.2f} s "
                                  f"system CPU = {m['cpu'] / n * 1e6:.2f} µs per event; {m['disk_mb']:.0f} MB read "
                                  f"from disk; peak RSS {m['maxrss_mb']:.0f} MB")
    ctx.results.note("audit", f"tamper check (not timed): with the detail of event {seq} ({kind}) altered in "
                              f"sqlite3, verify exited 1 and said: {tampered}")


def how(counts, args) -> str:
    """The bullet(s) of "How each figure is measured" in BENCHMARKS.md."""
    return textwrap.dedent(f"""\
        - **7 Audit verify**: `commsd audit verify` on an empty data directory creates the store and runs
          commsd's migrations; then the script appends {counts.audit_events:,} events to `audit_events` with
          Python's sqlite3 (transactions of 50,000 rows), chaining them as `AuditChain.Link.canonical` does
          (SHA-256 of the sorted-key JSON with the stored detail, seq and the previous hash). The events are
          what a daemon writes for messages to 200 webhook recipients: `message.accepted`, `message.planned`,
          a `delivery.leased` per 64 deliveries (listing their ids) and a `delivery.delivered` per delivery,
          1 % of them `delivery.retrying` first, leased again and delivered at attempt 2 (their error text goes
          beside the chain under a commitment if the schema has `audit_events.personal`). The store is synced
          and its file dropped from the page cache (`posix_fadvise(DONTNEED)`, that file only); `commsd audit
          verify` then runs twice, the first reading the file from disk, the second from the page cache. The
          result is the wall time of the process, and its CPU from `wait4`; the run counts only if it prints
          `intact: N events; head SEQ:HASH` with N = {counts.audit_events:,} and the head the script computed. Then one event in the
          middle is altered with sqlite3, and verify must exit 1 naming that event (not timed). With `--quick`
          the figure is measured on fewer events and the verdict is from its linear extrapolation.
        """).rstrip("\n")
