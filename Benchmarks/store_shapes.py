"""What would another shape of the `deliveries` table buy? Runs the SQLite statements of commsd's hot
path (plan rows 32 to an INSERT in one transaction, leases of 512 by UPDATE … RETURNING, outcomes 64
to an UPDATE … FROM (VALUES …) with their audit events 64 to an INSERT, 512 to a transaction) over N
deliveries of one message, on the schema of a real commsd store and on variants of it, with
Python's sqlite3 (so the figures include Python's own work, the same in every variant):

    python3 Benchmarks/store_shapes.py STORE.sqlite [N] [ROUNDS]

STORE.sqlite is any store commsd has migrated (e.g. the benchmark's, kept with --keep); only its
schema is read. Variants:

- current: the schema as it is;
- fewer:   without the (audience, due_at) and (message_id, recipient_id) indexes;
- narrow:  the person's name, address and contacts in a table of their own;
- intkey:  an INTEGER PRIMARY KEY instead of the text id (no separate index on the id);
- minimal: intkey + narrow + fewer, and no index on the audit events' message id: about the least
           SQLite can do for a row per delivery, three writes to it and an audit row.

(Issue 25, Benchmarks/NOTES.md, "The hot path, stage by stage".)
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time

NOW = "2026-12-04T12:00:00.000000Z"
PLAN_COLUMNS = ["id", "message_id", "recipient_id", "recipient_name", "audience", "channel", "endpoint",
                "address", "contact_index", "contacts", "bulletin", "language", "priority", "lane", "state",
                "due_at", "created_at", "updated_at", "hold_reason", "updates_bulletin"]
PEOPLE = {"recipient_name", "address", "contacts"}
READ_BACK = ("id, message_id, recipient_id, recipient_name, audience, channel, endpoint, address, "
             "contact_index, language, priority, state, due_at, attempts, created_at, last_error, bulletin, "
             "updates_bulletin")
VARIANTS = ["current", "fewer", "narrow", "intkey", "minimal"]


def schema(store: str) -> str:
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
                          "AND name != 'grdb_migrations'").fetchall()
    return ";\n".join(r[0] for r in rows) + ";"


def open_variant(path: str, base: str, variant: str) -> sqlite3.Connection:
    intkey = variant in ("intkey", "minimal")
    if intkey:
        base = base.replace("CREATE TABLE deliveries (\n  id TEXT PRIMARY KEY",
                            "CREATE TABLE deliveries (\n  id INTEGER PRIMARY KEY")
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = FULL", "temp_store = MEMORY"):
        db.execute(f"PRAGMA {pragma}")
    db.executescript(base)
    if variant in ("fewer", "minimal"):
        db.executescript("DROP INDEX deliveries_audience_due; DROP INDEX deliveries_message_recipient;")
    if variant == "minimal":
        db.executescript("DROP INDEX audit_message;")
    if variant in ("narrow", "minimal"):
        db.executescript("CREATE TABLE delivery_people (id TEXT PRIMARY KEY, recipient_name TEXT, address TEXT, "
                         "contacts TEXT) WITHOUT ROWID;")
    db.execute("INSERT INTO messages (id, fingerprint, sender_kind, sender_name, sender_origin, audiences, "
               "priority, kind, contents, default_language, accepted_at) VALUES ('M1', 'f', 'operator', 'x', "
               "'cli', '[\"citizens\"]', 'bulk', 'info', '{}', 'da', ?)", (NOW,))
    return db


def row(i: int, intkey: bool) -> dict:
    address = f"http://127.0.0.1:8089/hook/{i}"
    contacts = json.dumps([{"webhook": {"endpoint": "sink", "address": address}}, {"email": f"p{i}@example.dk"}])
    return dict(id=i + 1 if intkey else f"01JE{i:022d}", message_id="M1", recipient_id=f"citizen-{i:07d}",
                recipient_name=f"Person Number {i}", audience="citizens", channel="webhook", endpoint="sink",
                address=address, contact_index=0, contacts=contacts, bulletin=1, language="da", priority="bulk",
                lane=2, state="ready", due_at=NOW, created_at=NOW, updated_at=NOW, hold_reason=None,
                updates_bulletin=None)


def run(base: str, variant: str, n: int) -> tuple[float, float, float]:
    """µs per delivery: plan, lease, outcome with its audit event."""
    intkey = variant in ("intkey", "minimal")
    narrow = variant in ("narrow", "minimal")
    with tempfile.TemporaryDirectory() as work:
        db = open_variant(os.path.join(work, "shape.sqlite"), base, variant)
        columns = [c for c in PLAN_COLUMNS if not (narrow and c in PEOPLE)]
        t0 = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        for start in range(0, n, 32):
            rows = [row(i, intkey) for i in range(start, min(n, start + 32))]
            extra = ", recipient_name, address" if narrow else ""
            marks = "(" + ", ".join("?" * len(columns)) + (", '', ''" if narrow else "") + ")"
            db.execute(f"INSERT INTO deliveries ({', '.join(columns)}{extra}) VALUES " + ", ".join([marks] * len(rows)),
                       [r[c] for r in rows for c in columns])
            if narrow:
                db.execute("INSERT INTO delivery_people VALUES " + ", ".join(["(?, ?, ?, ?)"] * len(rows)),
                           [v for r in rows for v in (str(r["id"]), r["recipient_name"], r["address"], r["contacts"])])
        db.execute("COMMIT")
        t1 = time.perf_counter()
        leased = []
        while True:
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("BEGIN IMMEDIATE")
            got = db.execute(
                "UPDATE deliveries SET state = 'sending', lease_owner = ?, lease_until = ?, updated_at = ? "
                "WHERE id IN (SELECT id FROM deliveries WHERE state IN ('ready', 'retrying') AND due_at <= ? "
                f"ORDER BY lane, due_at LIMIT 512) RETURNING {READ_BACK}", ("node", NOW, NOW, NOW)).fetchall()
            db.execute("COMMIT")
            db.execute("PRAGMA synchronous = FULL")
            if not got:
                break
            leased += [g[0] for g in got]
        t2 = time.perf_counter()
        sequence, chain = 0, "0" * 64
        for start in range(0, len(leased), 512):
            db.execute("BEGIN IMMEDIATE")
            for chunk in range(start, min(len(leased), start + 512), 64):
                ids = leased[chunk:chunk + 64]
                values = [v for i in ids for v in ("delivered", None, NOW, 200, None, i, None)]
                db.execute(f"""
                    UPDATE deliveries SET
                      state = CASE WHEN withdrawn IS NOT NULL AND o.column1 NOT IN ('delivered', 'sent')
                        THEN withdrawn ELSE o.column1 END,
                      due_at = CASE WHEN withdrawn IS NOT NULL AND o.column1 != 'sent' THEN due_at
                        ELSE COALESCE(o.column2, due_at) END,
                      attempts = attempts + 1, lease_owner = NULL, lease_until = NULL, updated_at = o.column3,
                      last_status = o.column4, last_error = o.column5,
                      delivered_at = CASE WHEN o.column1 = 'delivered' THEN o.column3 ELSE delivered_at END,
                      sent_at = CASE WHEN o.column1 = 'sent' THEN o.column3 ELSE sent_at END,
                      provider_ref = COALESCE(o.column7, provider_ref)
                    FROM (VALUES {", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(ids))}) AS o
                    WHERE deliveries.id = o.column6 AND deliveries.state = 'sending' AND deliveries.lease_owner = ?
                    RETURNING deliveries.id, COALESCE(deliveries.withdrawn, ''), deliveries.bulletin""",
                           values + ["node"]).fetchall()
                events = []
                for i in ids:
                    sequence += 1
                    events += [sequence, NOW, "delivery.delivered", "M1", str(i), "node",
                               '{"attempt":"1","channel":"webhook","status":"200"}', chain, chain, None]
                db.execute("INSERT INTO audit_events (seq, at, kind, message_id, delivery_id, actor, detail, "
                           "prev_hash, hash, personal) VALUES " + ", ".join(["(" + ", ".join("?" * 10) + ")"] * len(ids)),
                           events)
            db.execute("COMMIT")
        t3 = time.perf_counter()
        db.close()
    done = max(len(leased), 1)
    return 1e6 * (t1 - t0) / n, 1e6 * (t2 - t1) / done, 1e6 * (t3 - t2) / done


def main() -> None:
    store = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    base = schema(store)
    results: dict[str, list[tuple[float, float, float]]] = {v: [] for v in VARIANTS}
    for _ in range(rounds):  # interleaved, so a machine that drifts drifts for all
        for variant in VARIANTS:
            results[variant].append(run(base, variant, n))
    print(f"{n:,} deliveries, median of {rounds} interleaved rounds, µs per delivery (Python's sqlite3)")
    print("| shape | plan | lease | outcome + audit event | total |")
    print("|---|---|---|---|---|")
    for variant, runs in results.items():
        plan, lease, outcome = (statistics.median(r[k] for r in runs) for k in range(3))
        print(f"| {variant} | {plan:.1f} | {lease:.1f} | {outcome:.1f} | {plan + lease + outcome:.1f} |")


if __name__ == "__main__":
    main()
