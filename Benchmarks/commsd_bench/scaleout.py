"""Benchmark 9, scale-out (issue 10): webhook throughput of the same workload on

  1. SQLite, one node (the default store, a file in data_dir);
  2. PostgreSQL, one node;
  3. PostgreSQL, two `commsd serve` nodes on the same database.

Its processes go through harness.Proc like every benchmark's, so an interrupted run stops them
too. The PostgreSQL cluster is the throw-away one of
scripts/pg-cluster.sh, started in a temporary folder under Benchmarks/.out and stopped by the
PID in its postmaster.pid at the end, also when a run fails. Each run gets a fresh database.
Loopback only: nginx, PostgreSQL and the nodes all listen on 127.0.0.1.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .config import Group, write_config
from .daemon import Daemon
from .harness import busy_cpu, children, free_port, own_cpu, proc_cpu, run_with_rusage, say
from .paths import OUT, ROOT
from .results import fmt_rate, parse_time

LABEL = "9 scale-out"
VERDICT = "no target; compare as ratios within one run"
# (key, what it is, nodes)
SETUPS = (("sqlite", "SQLite, one node", 1),
          ("pg1", "PostgreSQL, one node", 1),
          ("pg2", "PostgreSQL, two nodes on one database", 2))
SECTION_BEGIN = "<!-- scaleout: begin (a run of bench.py --only scaleout replaces this section) -->"
SECTION_END = "<!-- scaleout: end -->"
SECTION_TITLE = "## 9 Scale-out: SQLite, PostgreSQL, two nodes (a run of its own)"


class Cluster:
    """A throw-away PostgreSQL cluster (scripts/pg-cluster.sh) in a temporary folder."""

    def __init__(self, logs: Path, keep: bool):
        self.script = ROOT / "scripts" / "pg-cluster.sh"
        OUT.mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix="pg-scaleout-", dir=OUT))
        self.port = free_port()
        self.logs = logs
        self.keep = keep
        self.url: str | None = None
        self.postmaster: int | None = None
        self.version = "?"

    def start(self) -> None:
        # Output to files, not pipes (run_with_rusage): the server must not inherit them.
        code, out, err, _ = run_with_rusage(
            ["bash", str(self.script), "start", str(self.dir), str(self.port)], timeout=180)
        if code != 0:
            raise RuntimeError(f"scripts/pg-cluster.sh start exited {code}: {err[-1500:]}")
        self.url = out.strip().splitlines()[-1]
        self.postmaster = int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
        self.version = self.psql(self.url, "SHOW server_version")

    def stop(self) -> None:
        """Fast shutdown by the PID in postmaster.pid (the script waits for the exit)."""
        try:
            if (self.dir / "data" / "postmaster.pid").exists():
                code, _, err, _ = run_with_rusage(["bash", str(self.script), "stop", str(self.dir)],
                                                  timeout=60)
                if code != 0:
                    say(f"scripts/pg-cluster.sh stop exited {code}: {err[-500:]}")
            if self.postmaster and Path(f"/proc/{self.postmaster}").exists():
                raise RuntimeError(f"PostgreSQL (pid {self.postmaster}) is still running in {self.dir}")
        finally:
            log = self.dir / "postgres.log"
            if log.exists():
                self.logs.mkdir(parents=True, exist_ok=True)
                shutil.copy(log, self.logs / "postgres.log")
            if not self.keep and not (self.postmaster and Path(f"/proc/{self.postmaster}").exists()):
                shutil.rmtree(self.dir, ignore_errors=True)

    def psql(self, url: str, sql: str, timeout: float = 60) -> str:
        r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", url,
                            "-c", sql], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise RuntimeError(f"psql {sql[:80]!r}: {r.stderr.strip()[-500:]}")
        return r.stdout.strip()

    def create_database(self, name: str) -> str:
        self.psql(self.url, f"CREATE DATABASE {name}")
        return self.url.rsplit("/", 1)[0] + "/" + name

    def drop_database(self, name: str) -> None:
        self.psql(self.url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stats(self, database: str) -> dict[str, int]:
        """Commits in `database` and the cluster's WAL writes and syncs so far (pg_stat_database,
        pg_stat_wal; a backend reports its counts by the time it exits)."""
        row = self.psql(self.url, "SELECT d.xact_commit, d.xact_rollback, w.wal_write, w.wal_sync, w.wal_bytes "
                                  f"FROM pg_stat_database d, pg_stat_wal w WHERE d.datname = '{database}'")
        values = [int(float(v)) for v in row.split("\t")] if row else [0] * 5
        return dict(zip(("commits", "rollbacks", "wal_writes", "wal_syncs", "wal_bytes"), values))

    def cpu(self) -> dict[int, float]:
        """CPU seconds so far of the postmaster and each of its children (backends, walwriter, …)."""
        sample = {}
        for pid in [self.postmaster, *children(self.postmaster)]:
            try:
                sample[pid] = proc_cpu(pid)
            except (FileNotFoundError, ProcessLookupError):
                pass
        return sample


class PgStore:
    """The queries daemon.Store answers, on a PostgreSQL database with psql."""

    def __init__(self, cluster: Cluster, url: str):
        self.cluster = cluster
        self.url = url

    def query(self, sql: str) -> list[list[str]]:
        text = self.cluster.psql(self.url, sql)
        return [line.split("\t") for line in text.splitlines()] if text else []

    def one(self, sql: str):
        rows = self.query(sql)
        return rows[0][0] if rows else None

    @staticmethod
    def _id(message_id: str) -> str:
        if not re.fullmatch(r"msg_[0-9A-Za-z]+", message_id):
            raise ValueError(f"not a message id: {message_id!r}")
        return message_id

    def message(self, message_id: str) -> dict:
        rows = self.query(f"SELECT accepted_at, planned_at FROM messages WHERE id = '{self._id(message_id)}'")
        if not rows:
            return {}
        return {"accepted_at": parse_time(rows[0][0]), "planned_at": parse_time(rows[0][1])}

    def states(self, message_id: str) -> dict[str, int]:
        rows = self.query(f"SELECT state, count(*) FROM deliveries WHERE message_id = '{self._id(message_id)}' "
                          "GROUP BY state")
        return {state: int(count) for state, count in rows}

    def finished(self, message_id: str) -> int:
        return int(self.one(f"SELECT count(*) FROM deliveries WHERE message_id = '{self._id(message_id)}' "
                            "AND state IN ('delivered', 'dead')") or 0)

    def delivered_span(self, message_id: str) -> tuple[float | None, float | None]:
        row = self.query(f"SELECT min(delivered_at), max(delivered_at) FROM deliveries WHERE message_id = "
                         f"'{self._id(message_id)}' AND state = 'delivered'")[0]
        return parse_time(row[0]), parse_time(row[1])

    def audit_count(self, kind: str) -> int:
        return int(self.one(f"SELECT count(*) FROM audit_events WHERE kind = '{kind}'") or 0)


def _rows(store, sql: str) -> list[list[str]]:
    """A query on either store (ctx.Store for SQLite, PgStore), as lists of strings."""
    if isinstance(store, PgStore):
        return store.query(sql)
    return [[("" if v is None else str(v)) for v in row] for row in store.query(sql)]


def _log_lines(path: Path, pattern: str, limit: int = 3) -> tuple[int, list[str]]:
    """How many lines of a log match, and the first few distinct ones (timestamps cut)."""
    if not path.exists():
        return 0, []
    count, seen = 0, []
    for line in path.read_text(errors="replace").splitlines():
        if re.search(pattern, line):
            count += 1
            text = re.sub(r"^\S+ \S+ \S+ \[\d+\] ", "", line.strip())[:200]
            if text not in seen and len(seen) < limit:
                seen.append(text)
    return count, seen


def _arrivals(path: Path, expected: int, timeout: float = 15) -> list[str]:
    """The webhook ids nginx logged (its buffer is flushed each second)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [line.split(" ", 1)[1] for line in path.read_text().splitlines() if " " in line]
        if len(lines) >= expected or time.monotonic() > deadline:
            return lines
        time.sleep(0.25)


def one_run(ctx, cluster: Cluster | None, key: str, nodes: int, round_no: int) -> dict:
    """One configuration, one round: start the node(s), one `commsd send` to n recipients,
    wait until all are delivered, then check each delivery in the store and at nginx."""
    args, n, conc = ctx.args, ctx.counts.scaleout, ctx.args.webhook_concurrency
    run_dir = ctx.work / "scaleout" / f"{key}-{round_no}"
    arrivals_log = ctx.sinks.log_path("scaleout")
    database = f"scaleout_{key}_{round_no}" if cluster else None
    url = cluster.create_database(database) if cluster else None
    stats0 = cluster.stats(database) if cluster else {}
    stats: dict[str, int] = {}
    daemons = []
    try:
        for node in range(1, nodes + 1):
            cfg = run_dir / f"node{node}" / "commsd.toml"
            write_config(cfg, [Group("bench", n, "sink:r{i}", "r")],
                         endpoints={"sink": {"url": f"{ctx.sinks.http}/scaleout", "concurrency": conc}},
                         max_in_flight=conc, store=url)
            daemon = Daemon(cfg, cfg.parent / "daemon.log")
            if cluster:
                daemon.store = PgStore(cluster, url)
            daemons.append(daemon)
        store = daemons[0].store
        arrivals_log.write_text("")  # nginx appends (O_APPEND): truncating is safe
        for daemon in daemons:
            daemon.start()  # one after the other: the first runs the migrations
        worker = ctx.sinks.nginx_worker()
        cpu0 = [proc_cpu(d.pid) for d in daemons]
        pg0 = cluster.cpu() if cluster else {}
        machine0, ngx0, self0 = busy_cpu(), proc_cpu(worker) if worker else 0.0, own_cpu()
        wall0 = time.monotonic()
        message_id, send_wall, send_cpu = daemons[0].send_measured("bench", "normal")
        deadline, done = time.monotonic() + args.timeout, 0
        while done < n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{key}: {done:,} of {n:,} deliveries finished after {args.timeout:.0f} s")
            for daemon in daemons:
                daemon.check_alive()
            time.sleep(0.5)
            done = store.finished(message_id)
        wall = time.monotonic() - wall0
        cpu = [proc_cpu(d.pid) - c for d, c in zip(daemons, cpu0)]
        pg1 = cluster.cpu() if cluster else {}
        pg_cpu = sum(v - pg0.get(pid, 0.0) for pid, v in pg1.items())
        ngx = (proc_cpu(worker) - ngx0) if worker else 0.0
        machine_cpu = busy_cpu() - machine0
        harness_cpu = own_cpu() - self0 + send_cpu  # the psql polls are children: counted in "other"
        m = store.message(message_id)
        first, last = store.delivered_span(message_id)
        states = store.states(message_id)
        # Honesty: every delivery delivered (the whole store: it holds this one message) …
        delivered_rows = int(_rows(store, "SELECT count(*) FROM deliveries WHERE state = 'delivered'")[0][0])
        ids = {row[0] for row in _rows(store, "SELECT id FROM deliveries")}
        by_actor = dict(_rows(store, "SELECT actor, count(*) FROM audit_events "
                                     "WHERE kind = 'delivery.delivered' GROUP BY actor"))
        leases = store.audit_count("delivery.leased")
    finally:
        for daemon in daemons:
            daemon.stop()
            daemon.cleanup(args.keep)
        if cluster and database:
            try:  # the whole run's, start-up and migrations included (a few transactions)
                time.sleep(0.5)  # the nodes' backends report their counts as they exit
                stats = {k: v - stats0.get(k, 0) for k, v in cluster.stats(database).items()}
            finally:
                cluster.drop_database(database)
    # … and at nginx, each exactly once.
    seen = _arrivals(arrivals_log, n)
    missing, unknown = len(ids - set(seen)), len(set(seen) - ids)
    duplicates = len(seen) - len(set(seen))
    if delivered_rows != n or len(ids) != n or missing or unknown:
        raise RuntimeError(f"{key} round {round_no}: {delivered_rows:,} rows in state 'delivered' of {len(ids):,} "
                           f"(expected {n:,}); at nginx {missing:,} missing, {unknown:,} unknown ids")
    per_node = []
    for d in daemons:
        # The actor is the lease owner, host:pid:boot:pidns:run (LeaseOwner).
        per_node.append(sum(int(c) for actor, c in by_actor.items() if f":{d.pid}:" in actor))
    errors = [_log_lines(d.log, r"\S") for d in daemons]
    return dict(key=key, nodes=nodes, round=round_no, states=states, delivered_rows=delivered_rows,
                duplicates=duplicates, arrivals=len(seen), per_node=per_node, leases=leases,
                send_wall=send_wall, accepted_at=m["accepted_at"], planned_at=m["planned_at"],
                first=first, last=last, seconds=last - m["accepted_at"],
                rate=delivered_rows / (last - m["accepted_at"]),
                dispatch_rate=delivered_rows / (last - m["planned_at"]),
                cpu=cpu, pg_cpu=pg_cpu, nginx_cpu=ngx, machine_cpu=machine_cpu, wall=wall,
                other_cpu=max(0.0, machine_cpu - sum(cpu) - pg_cpu - ngx - harness_cpu),
                stats=stats, log_lines=[e[0] for e in errors], log_samples=[s for e in errors for s in e[1]][:3])


def measure(ctx) -> None:
    """Benchmark 9: the three setups alternate for --rounds rounds; the best round of each counts."""
    n, rounds = ctx.counts.scaleout, ctx.args.rounds
    d = ctx.work / "scaleout"
    d.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(d, ctx.args.keep)
    runs: dict[str, list[dict]] = {key: [] for key, _, _ in SETUPS}
    try:
        say(f"9 scale-out: PostgreSQL cluster in {cluster.dir} on 127.0.0.1:{cluster.port}")
        cluster.start()
        for round_no in range(1, rounds + 1):
            for key, what, nodes in SETUPS:
                say(f"9 scale-out: round {round_no}/{rounds}: {what}, {n:,} deliveries")
                r = one_run(ctx, cluster if key != "sqlite" else None, key, nodes, round_no)
                runs[key].append(r)
                share = f"; per node {', '.join(f'{c:,}' for c in r['per_node'])}" if nodes > 1 else ""
                say(f"   {r['rate']:,.0f}/s (commsd CPU {sum(r['cpu']):.1f} s, PostgreSQL {r['pg_cpu']:.1f} s, "
                    f"other processes {r['other_cpu']:.1f} s{share})")
    finally:
        cluster.stop()
    pg_errors = _log_lines(d / "postgres.log", r"\b(ERROR|FATAL|PANIC|WARNING):")
    checkpoints = _log_lines(d / "postgres.log", r"checkpoints are occurring too frequently")[0]
    report(ctx, runs, cluster.version, pg_errors, checkpoints)


def report(ctx, runs: dict[str, list[dict]], version: str, pg_errors, checkpoints: int) -> None:
    """The rows and notes of benchmark 9 from its rounds."""
    r, n = ctx.results, ctx.counts.scaleout
    best = {key: max(rs, key=lambda x: x["rate"]) for key, rs in runs.items()}
    rounds = f"best of {len(runs['sqlite'])}" if len(runs["sqlite"]) > 1 else "one round"
    r.raw["scaleout"] = dict(count=n, concurrency=ctx.args.webhook_concurrency, runs=runs, postgres=version)
    for key, what, _ in SETUPS:
        r.add(LABEL, f"{what}, {n:,} deliveries, accepted → last delivered, {rounds}", fmt_rate(best[key]["rate"]))
    pg1_sqlite = best["pg1"]["rate"] / best["sqlite"]["rate"]
    pg2_pg1 = best["pg2"]["rate"] / best["pg1"]["rate"]
    r.add(LABEL, "ratio PostgreSQL one node / SQLite one node", f"{pg1_sqlite:.2f}", "", VERDICT)
    r.add(LABEL, "ratio PostgreSQL two nodes / one node", f"{pg2_pg1:.2f}", "", VERDICT)
    two = best["pg2"]
    busy = two["machine_cpu"] / two["wall"]
    r.add(LABEL, "what limits scaling here: client, nodes, nginx and PostgreSQL share 2 cores "
                 "(two-node run, cores busy on average)",
          f"{busy:.2f} of 2: nodes {sum(two['cpu']) / two['wall']:.2f}, PostgreSQL {two['pg_cpu'] / two['wall']:.2f}, "
          f"nginx {two['nginx_cpu'] / two['wall']:.2f}, other processes {two['other_cpu'] / two['wall']:.2f}")
    name = "scaleout"
    r.note(name, f"PostgreSQL {version} (scripts/pg-cluster.sh, fsync on, default `synchronous_commit = on`), its data "
                 f"folder on the same disk as the SQLite stores; one fresh database per run")
    for key, what, nodes in SETUPS:
        rs, b = runs[key], best[key]
        r.note(name, f"{what}: rounds " + ", ".join(f"{x['rate']:,.0f}/s (other processes {x['other_cpu']:.1f} s)"
                                                    for x in rs))
        cpu = sum(b["cpu"])
        text = (f"{what}, best round: `commsd send` {b['send_wall']:.2f} s; planning "
                f"{b['planned_at'] - b['accepted_at']:.2f} s; first delivery {b['first'] - b['accepted_at']:.2f} s "
                f"after acceptance; dispatch alone (planned → last delivered) {b['dispatch_rate']:,.0f}/s; "
                f"commsd CPU {cpu:.2f} s = {cpu / n * 1e6:,.0f} µs per delivery")
        if key != "sqlite":
            st = b["stats"]
            text += (f", PostgreSQL CPU {b['pg_cpu']:.2f} s = {b['pg_cpu'] / n * 1e6:,.0f} µs per delivery; "
                     f"{st.get('commits', 0):,} commits ({st.get('commits', 0) / n:.2f} per delivery), "
                     f"{st.get('rollbacks', 0):,} rollbacks, {st.get('wal_syncs', 0):,} WAL syncs "
                     f"({st.get('wal_syncs', 0) / n:.3f} per delivery), {st.get('wal_bytes', 0) / n:,.0f} WAL "
                     f"bytes per delivery")
        text += (f", nginx {b['nginx_cpu'] / n * 1e6:,.0f} µs; the machine {b['machine_cpu'] / b['wall']:.2f} of 2 "
                 f"cores busy over the {b['wall']:.1f} s from send to all finished; {b['leases']:,} lease "
                 f"transactions (≈ {n / max(b['leases'], 1):.0f} deliveries each)")
        if nodes > 1:
            text += "; delivered per node (audit actors): " + ", ".join(f"{c:,}" for c in b["per_node"])
        r.note(name, text)
    dup = sum(x["duplicates"] for rs in runs.values() for x in rs)
    r.note(name, f"checked after every run: {n:,} rows in state 'delivered' (psql on PostgreSQL, sqlite3 on SQLite), "
                 f"and each delivery id arrived at nginx ({dup} duplicate arrival(s) over all runs)")
    logs = [(x["key"], x["round"], c, s) for rs in runs.values() for x in rs
            for c, s in [(sum(x["log_lines"]), x["log_samples"])] if c]
    if logs:
        r.note(name, "commsd logged (level warning): " + "; ".join(
            f"{k} round {rd}: {c} line(s), e.g. {' | '.join(s)}" for k, rd, c, s in logs))
    else:
        r.note(name, "commsd logged nothing at level warning in any run")
    count, samples = pg_errors
    r.note(name, f"postgres.log: {count} ERROR/FATAL/WARNING line(s)" + (f", e.g. {' | '.join(samples)}" if samples else "")
           + (f"; {checkpoints} 'checkpoints are occurring too frequently'" if checkpoints else ""))
    r.note(name, _limits(best, n))
    say(f"9 scale-out: SQLite {best['sqlite']['rate']:,.0f}/s, PostgreSQL one node {best['pg1']['rate']:,.0f}/s, "
        f"two nodes {best['pg2']['rate']:,.0f}/s; PG-1/SQLite {pg1_sqlite:.2f}, PG-2/PG-1 {pg2_pg1:.2f}")


def _limits(best: dict, n: int) -> str:
    """What limits scaling, in this run's figures."""
    one, two = best["pg1"], best["pg2"]

    def per(x):  # CPU per delivery in the nodes, PostgreSQL and nginx (µs)
        return (sum(x["cpu"]) + x["pg_cpu"] + x["nginx_cpu"]) / n * 1e6

    def busy(x):
        return x["machine_cpu"] / x["wall"], x["other_cpu"] / x["wall"]

    (b1, o1), (b2, o2) = busy(one), busy(two)
    text = (f"what limits scaling here: both nodes, PostgreSQL, nginx and the client share the 2 cores. With one "
            f"node {b1:.2f} of them were busy ({o1:.2f} by processes outside the benchmark), with two {b2:.2f} "
            f"({o2:.2f}); a delivery cost {per(one):,.0f} µs of CPU in commsd, PostgreSQL and nginx with one node "
            f"and {per(two):,.0f} µs with two, so 2 cores allow at most {2e6 / per(one):,.0f}/s and "
            f"{2e6 / per(two):,.0f}/s. ")
    if min(b1, b2) >= 1.8:
        text += ("The cores were full with one node already: a second node can only take CPU from the first and "
                 "from PostgreSQL (and adds its own lease and planning work), so the ratio shows the cost of "
                 "sharing, not scaling; more nodes add throughput only on cores of their own, with the database "
                 "apart")
    else:
        text += ("The cores were not full, so the nodes also wait on PostgreSQL (round trips and commits) rather "
                 "than on CPU alone")
    return text


def how(counts, args) -> str:
    """The bullet for "How each figure is measured"."""
    return (f"- **9 Scale-out** (no target): the webhook benchmark's workload and measure on three stores. One "
            f"`commsd send` to {counts.scaleout:,} webhook recipients on nginx (`/scaleout`, which logs each "
            f"`webhook-id`, buffered), endpoint `concurrency = {args.webhook_concurrency}`, `max_in_flight = "
            f"{args.webhook_concurrency}` on each node; the rate is deliveries ÷ (last `delivered_at` − the "
            f"message's `accepted_at`). Setups: SQLite, one node; PostgreSQL (`store = \"postgres://…\"`), one node; "
            f"PostgreSQL, two `commsd serve` nodes with data directories of their own on the same database (the "
            f"send goes to node 1's intake socket; both lease with `FOR UPDATE SKIP LOCKED`, so two nodes have "
            f"twice the connections to nginx). The cluster is scripts/pg-cluster.sh's (PostgreSQL 15, fsync on) in "
            f"a temporary folder under Benchmarks/.out, started by the benchmark and stopped by PID at its end; "
            f"each run has a fresh database. The three setups alternate for {args.rounds} round"
            f"{'s' if args.rounds != 1 else ''}, the best round of each counts. A run counts only if all {counts.scaleout:,} rows are in state 'delivered' (psql, "
            f"or sqlite3) and each delivery id arrived at nginx. Client, nodes, nginx and PostgreSQL share this "
            f"machine's two cores, so compare the figures as ratios within one run.")
