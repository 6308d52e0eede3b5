#!/usr/bin/env python3
"""commsd benchmarks (issue 3): dispatch speed against the libcurl limit and peers.

    make bench                         # = python3 Benchmarks/bench.py
    python3 Benchmarks/bench.py --quick --no-write   # smaller counts, no BENCHMARKS.md
    python3 Benchmarks/bench.py --only webhook,email --skip-deps

In one run it installs what is missing (nginx, postfix's smtp-sink, sqlite3,
prometheus-alertmanager, wrk, Apprise; postgresql for `scaleout`), builds
commsd in release mode into .build-bench and the C references into
Benchmarks/.out, starts its own sinks on loopback (nginx answering 204,
smtp-sink), runs each benchmark of issue 3 with a bounded timeout, prints a
table and writes BENCHMARKS.md. Every server it starts is stopped by PID;
nothing is sent anywhere but 127.0.0.1.

Python 3.11 standard library only (Apprise runs in a child process). Benchmark 9
(`scaleout`: SQLite, PostgreSQL, two nodes on one database) is in Benchmarks/scaleout.py.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import hashlib
import http.client
import json
import os
import platform
import pwd
import random
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import scaleout as scaleout_bench  # Benchmarks/scaleout.py, beside this file
import keyboard as keyboard_bench  # Benchmarks/keyboard.py, beside this file

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "Benchmarks"
OUT = BENCH / ".out"  # git-ignored: built references, logs, scratch data
SCRATCH = ".build-bench"
COMMSD = ROOT / SCRATCH / "release" / "commsd"
RECEIVER = ROOT / "Tests" / "Receivers" / "http_receiver.py"
SMTP_RECEIVER = ROOT / "Tests" / "Receivers" / "smtp_receiver.py"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SUBJECT = "Benchmark webhook throughput"
BODY = "Benchmark delivery: the quick brown fox jumps over the lazy dog, and the crisis staff are told at once."
CLK_TCK = os.sysconf("SC_CLK_TCK")
PYTHON = sys.executable or "python3"


# --------------------------------------------------------------------------
# Counts


@dataclass
class Counts:
    webhook: int = 100_000
    webhook_defaults: int = 20_000
    email: int = 20_000
    fanout: int = 50_000
    flash_bulk: int = 100_000
    flash_bulk_messages: int = 3
    flash_messages: int = 200
    flash_recipients: int = 10
    memory_messages: int = 10
    memory_recipients: int = 100_000
    apprise_webhooks: int = 2_000
    apprise_emails: int = 500
    alertmanager: int = 20_000
    profile: int = 50_000
    audit_events: int = 1_000_000
    http_seconds: int = 20
    scaleout: int = 30_000

    @staticmethod
    def quick() -> "Counts":
        return Counts(webhook=10_000, webhook_defaults=5_000, email=2_000, fanout=5_000, flash_bulk=10_000, flash_messages=20,
                      memory_messages=2, memory_recipients=10_000, apprise_webhooks=200,
                      apprise_emails=50, alertmanager=2_000, profile=5_000, audit_events=100_000,
                      http_seconds=5, scaleout=5_000)


# --------------------------------------------------------------------------
# Output helpers


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


def fmt_rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}/s"


def fmt_s(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f} s"


def fmt_ms(value: float | None) -> str:
    return "—" if value is None else f"{value * 1000:.1f} ms"


def parse_time(text: str | None) -> float | None:
    """RFC 3339 UTC text from the store → Unix seconds."""
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# --------------------------------------------------------------------------
# Processes: every one we start is registered and stopped by PID.


class Proc:
    running: list["Proc"] = []

    def __init__(self, name: str, argv: list[str], log: Path, cwd: Path | None = None, env=None):
        self.name = name
        self.argv = argv
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log_file = open(log, "ab")
        self.popen = subprocess.Popen(argv, stdout=self.log_file, stderr=subprocess.STDOUT, cwd=cwd,
                                      env=env, stdin=subprocess.DEVNULL, start_new_session=True)
        self.pid = self.popen.pid
        Proc.running.append(self)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, grace: float = 30.0) -> int | None:
        if self.alive():
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                say(f"{self.name} (pid {self.pid}) did not stop in {grace:.0f} s: SIGKILL")
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait(timeout=10)
        if self in Proc.running:
            Proc.running.remove(self)
        self.log_file.close()
        return self.popen.returncode

    @classmethod
    def stop_all(cls) -> None:
        for proc in list(reversed(cls.running)):
            try:
                proc.stop(grace=10)
            except Exception as exc:  # keep stopping the others
                say(f"could not stop {proc.name} (pid {proc.pid}): {exc}")


def run(argv: list[str], timeout: float, check: bool = True, cwd: Path | None = None,
        capture: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, cwd=cwd, timeout=timeout, text=True, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE if capture else None,
                            stderr=subprocess.PIPE if capture else None)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv[:3]))} … exited {result.returncode}: "
                           f"{(result.stderr or '')[-2000:]}{(result.stdout or '')[-500:]}")
    return result


def run_with_rusage(argv: list[str], timeout: float) -> tuple[int, str, str, float]:
    """Runs argv; returns (exit status, stdout, stderr, CPU seconds user+system)."""
    code, out, err, usage = run_with_usage(argv, timeout)
    return code, out, err, usage.ru_utime + usage.ru_stime


def run_with_usage(argv: list[str], timeout: float) -> tuple[int, str, str, resource.struct_rusage]:
    """Runs argv; returns (exit status, stdout, stderr, its whole rusage from wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        popen = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                 start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(popen.pid, os.WNOHANG)
            if pid == popen.pid:
                break
            if time.monotonic() > deadline:
                os.kill(popen.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(popen.pid, 0)
                popen.returncode = -9
                raise TimeoutError(f"{argv[0]} did not finish in {timeout:.0f} s")
            time.sleep(0.02)
        popen.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return popen.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"), usage


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float, proc: Proc | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{proc.name} exited early; see {proc.log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


# --------------------------------------------------------------------------
# /proc sampling


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def thread_cpu(pid: int) -> dict[int, tuple[str, float]]:
    """Per thread: (name, CPU seconds)."""
    result = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return result
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                text = f.read()
        except (FileNotFoundError, ProcessLookupError):
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        result[int(tid)] = (name, (int(fields[11]) + int(fields[12])) / CLK_TCK)
    return result


def thread_delta(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds per thread name between two thread_cpu samples."""
    per_name: dict[str, float] = {}
    for tid, (name, cpu) in after.items():
        start = before.get(tid, (name, 0.0))[1]
        # Swift's cooperative pool threads are all "NIO…"/"…-pool" style names:
        # strip trailing numbers so they are grouped.
        key = thread_label(name)
        per_name[key] = per_name.get(key, 0.0) + (cpu - start)
    return dict(sorted(per_name.items(), key=lambda kv: -kv[1]))


def thread_label(name: str) -> str:
    """A thread's name, with Swift's pool threads grouped (libdispatch root queue threads,
    whose names the kernel cuts to their last 15 characters)."""
    key = re.sub(r"[-_ ]?\d+$", "", name.strip()) or name.strip()
    if key.endswith("default-qos") or key.endswith("qos.overcommit"):
        return "Swift concurrency pool"
    return key


def proc_status(pid: int, key: str) -> int | None:
    """A kB figure from /proc/PID/status (VmHWM, VmRSS)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except FileNotFoundError:
        return None
    return None


def busy_cpu() -> float:
    """CPU seconds the whole machine has spent not idle (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(x) for x in f.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    steal_guest = sum(values[7:]) if len(values) > 7 else 0  # steal, guest, guest_nice
    return (sum(values) - idle - steal_guest) / CLK_TCK


def wait_quiet(limit: float, window: float = 5.0, threshold: float = 0.25) -> bool:
    """Waits (at most `limit` seconds) until the machine has been nearly idle, less than
    `threshold` cores busy, for a `window` of seconds. Returns whether it was."""
    deadline = time.monotonic() + limit
    while True:
        busy0, t0 = busy_cpu(), time.monotonic()
        time.sleep(window)
        cores = (busy_cpu() - busy0) / (time.monotonic() - t0)
        if cores < threshold:
            say(f"the machine is quiet ({cores:.2f} cores busy)")
            return True
        if time.monotonic() > deadline:
            say(f"the machine is still busy ({cores:.2f} cores); measuring anyway")
            return False
        say(f"waiting for the machine to be quiet ({cores:.2f} cores busy by other processes)")


def own_cpu() -> float:
    """CPU seconds this script has used (its polling of the store, mostly)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class LoadMeter:
    """How much CPU the machine spent on processes that are not this benchmark's own
    (other people's builds and tests on the same two cores), over a stretch of time."""

    def __init__(self, sink_pids):
        self.sink_pids = sink_pids  # callable: PIDs of long-running sinks we started

    def sample(self) -> tuple[float, float, float]:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        sinks = 0.0
        for pid in self.sink_pids():
            try:
                sinks += proc_cpu(pid)
            except (FileNotFoundError, ProcessLookupError):
                pass
        return time.monotonic(), busy_cpu(), own_cpu() + usage.ru_utime + usage.ru_stime + sinks

    @staticmethod
    def describe(before, after) -> str:
        wall, busy, ours = (a - b for a, b in zip(after, before))
        other = max(0.0, busy - ours)
        return (f"machine load over this benchmark's {wall:.0f} s: {busy:.1f} core-seconds busy of "
                f"{wall * (os.cpu_count() or 1):.0f}, of which {other:.1f} by processes outside the benchmark")


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def pids_named(names: set[str]) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as f:
                comm = f.read().strip()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if comm in names:
            found.add(int(entry))
    return found


# --------------------------------------------------------------------------
# Setup: dependencies and builds


SERVICE_NAMES = {"nginx", "prometheus-ale", "alertmanager", "master", "qmgr", "pickup", "smtp-sink"}


def install_deps(log: Path, selected: list[str] | None = None) -> list[str]:
    """Installs what is missing (the PostgreSQL server if `scaleout` is selected); stops any
    service a package's install started."""
    notes = []
    before = pids_named(SERVICE_NAMES)
    postgres_before = postgres_postmasters()
    wanted = ["nginx", "postfix", "sqlite3", "prometheus-alertmanager", "libssl-dev", "linux-perf", "wrk"]
    if selected is None or "scaleout" in selected:
        wanted.append("postgresql")  # the server of scripts/pg-cluster.sh, and psql
    result = run([str(ROOT / "scripts" / "install-deps.sh"), *[p for p in wanted if not deb_installed(p)]],
                 timeout=1200, check=False)
    log.write_text((result.stdout or "") + (result.stderr or ""))
    if result.returncode != 0:
        # install-deps.sh's own check (`dpkg -s | grep -q` under pipefail) can fail
        # spuriously when grep exits before dpkg has written everything (SIGPIPE):
        # trust dpkg-query's answer for the packages it was asked for.
        missing = [p for p in wanted if not deb_installed(p)]
        if missing or "is still not installed" not in (result.stderr or ""):
            raise RuntimeError(f"scripts/install-deps.sh failed: {(result.stderr or '')[-1500:]}")
        notes.append("install-deps.sh reported a package missing that dpkg-query shows installed (ignored)")
    for line in (result.stdout or "").splitlines():
        if line.strip():
            notes.append(line.strip())
    # Debian's postinst scripts may start the packaged services system-wide:
    # stop exactly those that appeared during the install, by PID.
    started = pids_named(SERVICE_NAMES) - before
    for pid in sorted(started):
        try:
            os.kill(pid, signal.SIGTERM)
            notes.append(f"stopped pid {pid}, started by a package install")
        except ProcessLookupError:
            pass
    # Debian's postgresql postinst starts its own cluster (as user postgres): stop that one,
    # by its postmaster's PID, and no other (the tests' and benchmarks' clusters run as nobody).
    for pid in sorted(postgres_postmasters() - postgres_before):
        try:
            os.kill(pid, signal.SIGINT)  # fast shutdown
            notes.append(f"stopped PostgreSQL postmaster pid {pid}, started by a package install")
        except ProcessLookupError:
            pass
    if not has_apprise():
        attempts = [[PYTHON, "-m", "pip", "install", "--quiet", "apprise"],
                    [PYTHON, "-m", "pip", "install", "--quiet", "--break-system-packages", "apprise"]]
        how = None
        for argv in attempts:
            r = run(argv, timeout=600, check=False)
            if r.returncode == 0 and has_apprise():
                how = " ".join(argv[3:])
                break
        if how is None and shutil.which("apt-get"):
            r = run(["apt-get", "install", "-y", "--no-install-recommends", "apprise"], timeout=600,
                    check=False)
            if r.returncode == 0 and has_apprise():
                how = "apt apprise"
        notes.append(f"installed apprise ({how})" if how else "could not install Apprise: its rows are skipped")
    return notes


def postgres_postmasters() -> set[int]:
    """PIDs of PostgreSQL postmasters run by the user postgres (Debian's packaged clusters)."""
    found = set()
    for pid in pids_named({"postgres"}):
        try:
            st = os.stat(f"/proc/{pid}")
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{ppid}/comm") as f:
                parent = f.read().strip()
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
        try:
            owner = pwd.getpwuid(st.st_uid).pw_name
        except KeyError:
            continue
        if owner == "postgres" and parent != "postgres":
            found.add(pid)
    return found


def deb_installed(package: str) -> bool:
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Status}", package], capture_output=True, text=True)
    return r.returncode == 0 and r.stdout.strip() == "install ok installed"


def has_apprise() -> bool:
    return subprocess.run([PYTHON, "-c", "import apprise"], capture_output=True).returncode == 0


def resolve_commit(commit: str) -> str:
    return run(["git", "-C", str(ROOT), "rev-parse", "--short", "--verify", f"{commit}^{{commit}}"],
               timeout=60).stdout.strip()


def export_commit(commit: str) -> Path:
    """The tree of `commit` (e.g. HEAD), exported beside the work tree, for building a
    committed state while the work tree is being edited."""
    rev = run(["git", "-C", str(ROOT), "rev-parse", "--verify", f"{commit}^{{commit}}"], timeout=60).stdout.strip()
    target = OUT / "source"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    archive = subprocess.Popen(["git", "-C", str(ROOT), "archive", rev], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(target)], stdin=archive.stdout, check=True, timeout=300)
    archive.wait(timeout=60)
    resolved = ROOT / "Package.resolved"
    if resolved.exists() and not (target / "Package.resolved").exists():
        shutil.copy(resolved, target / "Package.resolved")  # the same dependency versions
    return target


def build_commsd(log: Path, source: Path = ROOT) -> float:
    started = time.monotonic()
    for attempt in range(3):
        with open(log, "w") as f:
            # scripts/build-release.sh holds the release flags (static Swift runtime); a tree from
            # before it (--commit) is built as it was then.
            script = source / "scripts" / "build-release.sh"
            argv = ([str(script)] if script.exists() else ["swift", "build", "-c", "release", "--product", "commsd"])
            r = subprocess.run(argv + ["--scratch-path", str(ROOT / SCRATCH)], cwd=source, stdout=f,
                               stderr=subprocess.STDOUT, timeout=2400)
        if r.returncode == 0:
            return time.monotonic() - started
        text = log.read_text(errors="replace")
        if "was modified during the build" not in text:
            break
        say("a source file changed during the build: building again")
    tail = log.read_text(errors="replace").splitlines()[-25:]
    raise RuntimeError("swift build -c release failed:\n" + "\n".join(tail))


def build_references() -> dict[str, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    built = {}
    for name, libs in (("webhook_ref", ["-lcurl", "-lcrypto"]), ("smtp_ref", ["-lcurl"])):
        target = OUT / name
        run(["cc", "-O2", "-Wall", "-o", str(target), str(BENCH / "reference" / f"{name}.c"), *libs], timeout=120)
        built[name] = target
    return built


# --------------------------------------------------------------------------
# Sinks


class Sinks:
    """nginx answering 204 and Postfix's smtp-sink, on loopback ports."""

    def __init__(self, work: Path):
        self.work = work
        self.http_port = free_port()
        self.smtp_port = free_port()
        self.nginx: Proc | None = None
        self.smtp: Proc | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def smtp_url(self) -> str:
        return f"smtp://127.0.0.1:{self.smtp_port}"

    def log_path(self, name: str) -> Path:
        return self.work / "nginx" / f"{name}.log"

    def start(self) -> None:
        ngx = self.work / "nginx"
        ngx.mkdir(parents=True, exist_ok=True)
        for name in ("apprise", "alertmanager", "flash", "scaleout", "keyboard"):
            self.log_path(name).write_text("")
        temp = "\n".join(f"  {k}_temp_path {ngx / k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        # One worker: the client under test and nginx share the two cores.
        (ngx / "nginx.conf").write_text(textwrap.dedent(f"""\
            worker_processes 1;
            pid {ngx / 'nginx.pid'};
            error_log {ngx / 'error.log'} warn;
            events {{ worker_connections 4096; }}
            http {{
              access_log off;
            {temp}
              keepalive_requests 1000000;
              keepalive_timeout 300s;
              client_body_buffer_size 64k;
              client_max_body_size 1m;
              log_format stamp '$msec';
              log_format arrival '$msec $http_webhook_id';
              server {{
                listen 127.0.0.1:{self.http_port} backlog=4096;
                location / {{ return 204; }}
                location /apprise {{ access_log {self.log_path('apprise')} stamp; return 204; }}
                location /alertmanager {{ access_log {self.log_path('alertmanager')} stamp; return 204; }}
                location /flash {{ access_log {self.log_path('flash')} arrival; return 204; }}
                location /scaleout {{ access_log {self.log_path('scaleout')} arrival buffer=256k flush=1s; return 204; }}
                location /keyboard {{ access_log {self.log_path('keyboard')} arrival; return 204; }}
              }}
            }}
            """))
        self.nginx = Proc("nginx", ["nginx", "-e", str(ngx / "error.log"), "-p", str(ngx), "-c", str(ngx / "nginx.conf"),
                                    "-g", "daemon off;"], ngx / "stdout.log")
        wait_port(self.http_port, 15, self.nginx)
        sink = shutil.which("smtp-sink") or next(
            (p for p in ("/usr/sbin/smtp-sink", "/usr/lib/postfix/sbin/smtp-sink") if os.path.exists(p)), None)
        if sink is None:
            raise RuntimeError("smtp-sink not found (Debian package postfix)")
        argv = [sink]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]
        argv += [f"127.0.0.1:{self.smtp_port}", "1000"]
        self.smtp = Proc("smtp-sink", argv, self.work / "smtp-sink.log")
        wait_port(self.smtp_port, 15, self.smtp)

    def pids(self) -> list[int]:
        """The sinks' processes (nginx master and workers, smtp-sink)."""
        found = []
        for proc in (self.nginx, self.smtp):
            if proc is not None and proc.alive():
                found.append(proc.pid)
                found += children(proc.pid)
        return found

    def nginx_worker(self) -> int | None:
        kids = children(self.nginx.pid) if self.nginx else []
        return kids[0] if kids else None

    def stop(self) -> None:
        for proc in (self.smtp, self.nginx):
            if proc is not None:
                proc.stop()


# --------------------------------------------------------------------------
# commsd: configuration, daemon, store queries


def toml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def token_hash(token: str) -> str:
    """The `hash` of an `[[api.tokens]]` entry: "sha256:" and the hex SHA-256 of the token."""
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Group:
    """A block of generated recipients: audience, count, contact pattern ({i})."""
    audience: str
    count: int
    contact: str
    prefix: str


def write_config(path: Path, groups: list[Group], endpoints: dict[str, dict] | None = None,
                 relay: dict | None = None, max_in_flight: int = 64, extra_audiences: list[str] = (),
                 inline: bool = False, api: dict | None = None, store: str | None = None) -> None:
    """A configuration; groups of 100 or more recipients go to CSV recipient lists
    beside it (as a municipality's registry export would), unless `inline`. `api`
    adds an [api] section: {"port": N, "tokens": [{"name", "token", "audiences",
    "max_priority"}]}, each token configured by its hash as `commsd token create` prints it.
    `store` is a PostgreSQL URL (the default is the SQLite file in data_dir)."""
    lines = [
        'data_dir = "var"',
        *([f"store = {toml_str(store)}"] if store else []),
        'message_id_domain = "commsd.bench.example"',
        'default_language = "da"',
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    lists = [g for g in groups if g.count >= 100 and not inline]
    if lists:
        names = []
        for g in lists:
            csv_path = path.with_name(f"{path.stem}-{g.audience}-{g.prefix}.csv")
            with csv_path.open("w") as f:
                f.write("id,name,audiences,contacts\n")
                for i in range(g.count):
                    f.write(f"{g.prefix}{i},Recipient {i},{g.audience},{g.contact.format(i=i)}\n")
            names.append(csv_path.name)
        lines.append("recipient_lists = [" + ", ".join(toml_str(n) for n in names) + "]")
    lines += [
        "", "[log]", 'level = "warning"',
        "", "[dispatch]", f"max_in_flight = {max_in_flight}", 'poll_interval = "200ms"',
    ]
    if relay:
        lines += ["", "[relays.sink]", f"url = {toml_str(relay['url'])}",
                  'from = "Krisestaben, Benchmark Kommune <krisestab@kommune.example>"',
                  'tls = "none"', f"concurrency = {relay['concurrency']}", 'timeout = "30s"']
    for name, spec in (endpoints or {}).items():
        lines += ["", f"[endpoints.{name}]", f"url = {toml_str(spec['url'])}", f"secret = {toml_str(SECRET)}",
                  f"concurrency = {spec['concurrency']}", f"timeout = {toml_str(spec.get('timeout', '10s'))}"]
    if api:
        listen = f"127.0.0.1:{api['port']}"  # loopback only
        lines += ["", "[api]", f"listen = {toml_str(listen)}"]
        for t in api.get("tokens", []):
            lines += ["", "[[api.tokens]]", f"name = {toml_str(t['name'])}",
                      f"hash = {toml_str(token_hash(t['token']))}",
                      "audiences = [" + ", ".join(toml_str(a) for a in t["audiences"]) + "]",
                      f"max_priority = {toml_str(t.get('max_priority', 'normal'))}"]
    audiences = list(dict.fromkeys([g.audience for g in groups] + list(extra_audiences)))
    for audience in audiences:
        lines += ["", f"[audiences.{audience}]", f"display_name = {toml_str(audience.capitalize())}"]
    for g in groups:
        if g in lists:
            continue
        for i in range(g.count):
            contact = g.contact.format(i=i)
            lines.append(f'\n[[recipients]]\nid = "{g.prefix}{i}"\nname = "Recipient {i}"\n'
                         f'audiences = ["{g.audience}"]\ncontacts = ["{contact}"]')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


class Store:
    """Read-only queries on the daemon's SQLite file (WAL: safe while it runs)."""

    def __init__(self, path: Path):
        self.path = path

    def query(self, sql: str, args=()) -> list[tuple]:
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def one(self, sql: str, args=()):
        rows = self.query(sql, args)
        return rows[0][0] if rows else None

    def message(self, message_id: str) -> dict:
        row = self.query("SELECT accepted_at, planned_at FROM messages WHERE id = ?", (message_id,))
        if not row:
            return {}
        return {"accepted_at": parse_time(row[0][0]), "planned_at": parse_time(row[0][1])}

    def states(self, message_id: str | None = None) -> dict[str, int]:
        if message_id:
            rows = self.query("SELECT state, count(*) FROM deliveries WHERE message_id = ? GROUP BY state", (message_id,))
        else:
            rows = self.query("SELECT state, count(*) FROM deliveries GROUP BY state")
        return dict(rows)

    def finished(self, message_id: str) -> int:
        return self.one("SELECT count(*) FROM deliveries WHERE message_id = ? AND state IN ('delivered', 'dead')",
                        (message_id,)) or 0

    def delivered_span(self, message_id: str) -> tuple[float | None, float | None]:
        row = self.query("SELECT min(delivered_at), max(delivered_at) FROM deliveries WHERE message_id = ? "
                         "AND state = 'delivered'", (message_id,))[0]
        return parse_time(row[0]), parse_time(row[1])

    def audit_count(self, kind: str) -> int:
        return self.one("SELECT count(*) FROM audit_events WHERE kind = ?", (kind,)) or 0


class Daemon:
    def __init__(self, config: Path, log: Path):
        self.config = config
        self.data = config.parent / "var"
        self.store = Store(self.data / "commsd.sqlite")
        self.log = log
        self.proc: Proc | None = None
        self.ready_seconds: float | None = None

    def start(self, timeout: float = 120) -> None:
        if self.data.exists():
            shutil.rmtree(self.data)
        started = time.monotonic()
        self.proc = Proc("commsd serve", [str(COMMSD), "serve", "--config", str(self.config)], self.log)
        wake = self.data / "commsd.sock"  # bound last: intake goes through the daemon
        deadline = started + timeout
        while time.monotonic() < deadline:
            if not self.proc.alive():
                raise RuntimeError(f"commsd serve exited {self.proc.popen.returncode}: "
                                   f"{self.log.read_text(errors='replace')[-1500:]}")
            if wake.exists():
                self.ready_seconds = time.monotonic() - started
                time.sleep(0.2)  # let start-up work (reclaim, audit) settle
                return
            time.sleep(0.05)
        raise TimeoutError(f"commsd serve not ready after {timeout:.0f} s (no {wake})")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, audience: str, priority: str, config: Path | None = None, timeout: float = 120) -> tuple[str, float]:
        """Runs `commsd send`; returns (message id, wall seconds of the command)."""
        message_id, elapsed, _ = self.send_measured(audience, priority, config, timeout)
        return message_id, elapsed

    def send_measured(self, audience: str, priority: str, config: Path | None = None,
                      timeout: float = 120) -> tuple[str, float, float]:
        """Runs `commsd send`; returns (message id, wall seconds, CPU seconds of the command)."""
        started = time.monotonic()
        code, out, err, cpu = run_with_rusage(
            [str(COMMSD), "send", "--config", str(config or self.config), "--audience", audience,
             "--priority", priority, "--subject", SUBJECT, "--body", BODY], timeout=timeout)
        elapsed = time.monotonic() - started
        if code != 0:
            raise RuntimeError(f"commsd send exited {code}: {err[-1500:]}")
        message_id = (out.strip().splitlines() or [""])[0]
        if not message_id.startswith("msg_"):
            raise RuntimeError(f"commsd send printed {out!r}")
        return message_id, elapsed, cpu

    def wait_planned(self, message_id: str, timeout: float, poll: float = 0.05) -> float:
        """Waits until the plan is committed (visible to a reader); returns planned_at."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.store.message(message_id)
            if m.get("planned_at"):
                return m["planned_at"]
            self.check_alive()
            time.sleep(poll)
        raise TimeoutError(f"{message_id} not planned after {timeout:.0f} s")

    def wait_finished(self, message_id: str, count: int, timeout: float, poll: float = 0.5) -> int:
        deadline = time.monotonic() + timeout
        done = 0
        while time.monotonic() < deadline:
            done = self.store.finished(message_id)
            if done >= count:
                return done
            self.check_alive()
            time.sleep(poll)
        raise TimeoutError(f"{done:,} of {count:,} deliveries finished after {timeout:.0f} s")

    def check_alive(self) -> None:
        if self.proc is not None and not self.proc.alive():
            raise RuntimeError(f"commsd serve died ({self.proc.popen.returncode}): "
                               f"{self.log.read_text(errors='replace')[-1500:]}")

    def stop(self) -> int | None:
        return self.proc.stop(grace=60) if self.proc else None

    def cleanup(self, keep: bool) -> None:
        if not keep and self.data.exists():
            shutil.rmtree(self.data, ignore_errors=True)


# --------------------------------------------------------------------------
# A synthetic audit log, chained as commsd chains it (benchmark 7)

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


def evict_from_page_cache(paths: list[Path]) -> None:
    """Writes the files back and drops their pages from the page cache (this file only, not the
    machine's whole cache), so the next reader reads them from disk."""
    for path in paths:
        if path.exists():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)



# --------------------------------------------------------------------------
# Results


@dataclass
class Row:
    bench: str
    figure: str
    value: str
    target: str = ""
    verdict: str = ""  # met / missed / ""


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    details: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, dict] = field(default_factory=dict)

    def add(self, *args, **kw) -> None:
        self.rows.append(Row(*args, **kw))

    def note(self, bench: str, text: str) -> None:
        self.details.setdefault(bench, []).append(text)


def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("met" if ok else "**missed**")


def cpu_lines(label: str, cpu: float, count: int, threads: dict[str, float] | None = None) -> str:
    text = f"{label}: {cpu:.2f} CPU s = {cpu / count * 1e6:,.0f} µs per delivery"
    if threads:
        top = [f"{name} {sec:.2f} s" for name, sec in list(threads.items())[:6] if sec >= 0.01]
        text += " (threads: " + ", ".join(top) + ")"
    return text


# --------------------------------------------------------------------------
# Benchmark 8's load generator

# The wrk script of benchmark 8 (@…@ filled in by Bench.http). Each request carries a unique
# Idempotency-Key (run, thread, counter); each 2xx answer's message id is written to a file
# per thread, so the store can be checked against what was acknowledged.
HTTP_LUA = r"""
local token = "@TOKEN@"
local run = "@RUN@"
local ids_dir = "@IDS@"
local body = [==[@BODY@]==]

local threads = {}
local next_tid = 0

function setup(thread)
   next_tid = next_tid + 1
   thread:set("tid", next_tid)
   table.insert(threads, thread)
end

-- globals, not locals: done() reads them from each thread with thread:get
counter, s2xx, s3xx, s4xx, s5xx, noid = 0, 0, 0, 0, 0, 0
local out, bad

function init(args)
   out = io.open(ids_dir .. "/ids-" .. tid .. ".txt", "w")
   bad = io.open(ids_dir .. "/refused-" .. tid .. ".txt", "w")
end

function request()
   counter = counter + 1
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
      if id then out:write(id, "\n") else noid = noid + 1 end
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


# --------------------------------------------------------------------------
# Benchmarks


class Bench:
    def __init__(self, args, counts: Counts, work: Path, sinks: Sinks, refs: dict[str, Path], results: Results):
        self.args = args
        self.counts = counts
        self.work = work
        self.sinks = sinks
        self.refs = refs
        self.r = results

    calibrated: dict | None = None

    def calibrate(self) -> dict:
        """One real commsd webhook and email, to the project's test receivers: their sizes set the
        C references' sizes, and the receivers check the signature and the message independently."""
        if self.calibrated is not None:
            return self.calibrated
        say("calibration: one commsd webhook and one email to the test receivers")
        d = self.work / "calibration"
        d.mkdir(parents=True, exist_ok=True)
        procs = []
        try:
            ports = {}
            for name, script, extra in (("http", RECEIVER, ["--secret", SECRET]), ("smtp", SMTP_RECEIVER, [])):
                port_file = d / f"{name}.port"
                record = d / f"{name}.jsonl"
                record.write_text("")
                procs.append(Proc(f"{name} receiver", [PYTHON, str(script), "--port", "0", "--port-file",
                                                       str(port_file), "--record", str(record), *extra],
                                  d / f"{name}.log"))
                deadline = time.monotonic() + 20
                while not port_file.exists():
                    if time.monotonic() > deadline or not procs[-1].alive():
                        raise RuntimeError(f"{script.name} did not start; see {procs[-1].log}")
                    time.sleep(0.05)
                ports[name] = int(port_file.read_text().strip())
            cfg = d / "commsd.toml"
            write_config(cfg, [Group("bench", 1, "sink:r5432{i}", "r5432"),
                               Group("bench", 1, "r5433{i}@bench.example", "r5433")],
                         endpoints={"sink": {"url": f"http://127.0.0.1:{ports['http']}/sink", "concurrency": 1}},
                         relay={"url": f"smtp://127.0.0.1:{ports['smtp']}", "concurrency": 1})
            daemon = Daemon(cfg, d / "daemon.log")
            daemon.start()
            try:
                message_id, _ = daemon.send("bench", "normal")
                daemon.wait_finished(message_id, 2, timeout=60, poll=0.1)
                states = daemon.store.states(message_id)
            finally:
                daemon.stop()
                daemon.cleanup(self.args.keep)
        finally:
            for proc in procs:
                proc.stop()
        hook = json.loads((d / "http.jsonl").read_text().splitlines()[0])
        mail = json.loads((d / "smtp.jsonl").read_text().splitlines()[0])
        self.calibrated = dict(webhook_bytes=len(hook["body"].encode()), signature_valid=hook["signature_valid"],
                               headers=sorted(hook["headers"]), email_bytes=len(mail["raw"].encode()),
                               states=states)
        self.r.note("calibration", f"a real commsd webhook body is {self.calibrated['webhook_bytes']} bytes "
                                   f"(signature valid: {hook['signature_valid']}; headers "
                                   f"{', '.join(self.calibrated['headers'])}); a real commsd email is "
                                   f"{self.calibrated['email_bytes']} bytes; the C references send the same sizes")
        if hook["signature_valid"] is not True or states.get("delivered") != 2:
            raise RuntimeError(f"calibration delivery not right: states {states}, signature {hook['signature_valid']}")
        return self.calibrated

    def loadavg(self) -> str:
        return open("/proc/loadavg").read().split()[0]

    # 1 and 2 -------------------------------------------------------------
    def webhook(self) -> None:
        n, conc = self.counts.webhook, self.args.webhook_concurrency
        url = f"{self.sinks.http}/sink"
        cfg = self.work / "webhook" / "commsd.toml"
        write_config(cfg, [Group("bench", n, "sink:r{i}", "r")],
                     endpoints={"sink": {"url": url, "concurrency": conc}}, max_in_flight=conc)
        size = self.calibrate()["webhook_bytes"]
        ref_argv = [str(self.refs["webhook_ref"]), url, str(n), str(conc), SECRET, str(size)]
        self._throughput("webhook", "1 webhooks", n, conc, ref_argv, cfg, 0.7,
                         ref_label=f"C reference (libcurl multi, {conc} conc.)")
        self._defaults_run(url)

    def _defaults_run(self, url: str) -> None:
        """Not a target: the daemon with its default concurrency (an endpoint's 8 under
        max_in_flight 64), where a saturated endpoint is excluded from leasing."""
        n = self.counts.webhook_defaults
        say(f"1 webhooks: commsd with the default concurrency (endpoint 8, max_in_flight 64), {n:,} deliveries")
        cfg = self.work / "webhook-defaults" / "commsd.toml"
        write_config(cfg, [Group("bench", n, "sink:r{i}", "r")], endpoints={"sink": {"url": url, "concurrency": 8}},
                     max_in_flight=64)
        daemon = Daemon(cfg, cfg.parent / "daemon.log")
        daemon.start()
        try:
            cpu0 = proc_cpu(daemon.pid)
            message_id, _ = daemon.send("bench", "normal")
            daemon.wait_finished(message_id, n, timeout=self.args.timeout)
            cpu = proc_cpu(daemon.pid) - cpu0
            m = daemon.store.message(message_id)
            _, last = daemon.store.delivered_span(message_id)
            delivered = daemon.store.states(message_id).get("delivered", 0)
        finally:
            daemon.stop()
            daemon.cleanup(self.args.keep)
        rate = delivered / (last - m["accepted_at"])
        self.r.raw["webhook_defaults"] = dict(count=n, rate=rate, cpu=cpu)
        self.r.add("1 webhooks", f"commsd with default concurrency (endpoint 8, max_in_flight 64), {n:,}",
                   fmt_rate(rate))
        self.r.note("webhook", cpu_lines(f"default concurrency ({n:,} deliveries): commsd CPU", cpu, n))
        say(f"   commsd with default concurrency: {rate:,.0f}/s")

    def email(self) -> None:
        n, conc = self.counts.email, self.args.email_concurrency
        cfg = self.work / "email" / "commsd.toml"
        write_config(cfg, [Group("bench", n, "r{i}@bench.example", "r")],
                     relay={"url": self.sinks.smtp_url, "concurrency": conc}, max_in_flight=max(64, conc))
        size = self.calibrate()["email_bytes"]
        ref_argv = [str(self.refs["smtp_ref"]), self.sinks.smtp_url, str(n), str(conc), str(size)]
        self._throughput("email", "2 email", n, conc, ref_argv, cfg, 0.8,
                         ref_label=f"C reference (libcurl SMTP, {conc} conc.)")

    def _throughput(self, name: str, label: str, n: int, conc: int, ref_argv: list[str], cfg: Path,
                    target: float, ref_label: str) -> None:
        """Alternates the C reference and the daemon for --rounds rounds; the best of each counts."""
        # The sink's CPU is accounted apart from "other processes".
        worker = self.sinks.nginx_worker() if name == "webhook" else (self.sinks.smtp.pid if self.sinks.smtp else None)
        sink_name = "nginx worker" if name == "webhook" else "smtp-sink"
        refs, runs = [], []
        for round_no in range(1, self.args.rounds + 1):
            say(f"{label}: round {round_no}/{self.args.rounds}: C reference, {n:,} at concurrency {conc}")
            machine0, ngx0, self0 = busy_cpu(), (proc_cpu(worker) if worker else 0.0), own_cpu()
            code, out, err, ref_cpu = run_with_rusage(ref_argv, timeout=self.args.timeout)
            harness_cpu = own_cpu() - self0
            if code != 0:
                raise RuntimeError(f"{ref_argv[0]} failed: {err[-500:]}")
            ref = json.loads(out.strip().splitlines()[-1])
            ref.update(cpu=ref_cpu, nginx_cpu=(proc_cpu(worker) - ngx0) if worker else None,
                       machine_cpu=busy_cpu() - machine0)
            ref["other_cpu"] = max(0.0, ref["machine_cpu"] - ref_cpu - (ref["nginx_cpu"] or 0) - harness_cpu)
            refs.append(ref)
            say(f"   reference: {ref['rate']:,.0f}/s ({ref['seconds']:.2f} s)")

            say(f"{label}: round {round_no}/{self.args.rounds}: commsd, {n:,} deliveries")
            daemon = Daemon(cfg, cfg.parent / f"daemon-{round_no}.log")
            daemon.start()
            try:
                cpu0, thr0 = proc_cpu(daemon.pid), thread_cpu(daemon.pid)
                machine0, ngx0, self0 = busy_cpu(), (proc_cpu(worker) if worker else 0.0), own_cpu()
                wall0 = time.monotonic()
                message_id, send_wall, send_cpu = daemon.send_measured("bench", "normal")
                daemon.wait_finished(message_id, n, timeout=self.args.timeout)
                harness_cpu = own_cpu() - self0 + send_cpu
                wall = time.monotonic() - wall0
                cpu, thr = proc_cpu(daemon.pid) - cpu0, thread_delta(thr0, thread_cpu(daemon.pid))
                ngx = (proc_cpu(worker) - ngx0) if worker else None
                machine_cpu = busy_cpu() - machine0
                hwm = proc_status(daemon.pid, "VmHWM")
                m = daemon.store.message(message_id)
                first, last = daemon.store.delivered_span(message_id)
                states = daemon.store.states(message_id)
                leases = daemon.store.audit_count("delivery.leased")
            finally:
                daemon.stop()
                daemon.cleanup(self.args.keep)
            delivered = states.get("delivered", 0)
            run_ = dict(round=round_no, states=states, send_wall=send_wall, accepted_at=m["accepted_at"],
                        planned_at=m["planned_at"], first_delivered=first, last_delivered=last,
                        seconds=last - m["accepted_at"], rate=delivered / (last - m["accepted_at"]),
                        dispatch_rate=delivered / (last - m["planned_at"]), cpu=cpu, threads=thr, nginx_cpu=ngx,
                        machine_cpu=machine_cpu, wall=wall, hwm_kb=hwm, leases=leases)
            # Everything the machine did in that window that was not commsd, nginx
            # or this script's polling: other people's builds and tests.
            run_["other_cpu"] = max(0.0, machine_cpu - cpu - (ngx or 0) - harness_cpu)
            run_["send_cpu"] = send_cpu
            runs.append(run_)
            say(f"   commsd: {run_['rate']:,.0f}/s (CPU {cpu:.1f} s; other processes {run_['other_cpu']:.1f} s)")

        ref = max(refs, key=lambda r: r["rate"])
        best = max(runs, key=lambda r: r["rate"])
        ratio = best["rate"] / ref["rate"]
        self.r.raw[name] = dict(count=n, concurrency=conc, references=refs, runs=runs)
        rounds = f"best of {len(runs)}" if len(runs) > 1 else "one round"
        self.r.add(label, f"{ref_label}, {rounds}", fmt_rate(ref["rate"]))
        self.r.add(label, f"commsd, {n:,} deliveries, accepted → last delivered, {rounds}", fmt_rate(best["rate"]))
        self.r.add(label, "ratio commsd / C reference", f"{ratio:.2f}", f"≥ {target:.2f}", verdict(ratio >= target))
        self.r.note(name, "rounds, reference: " + ", ".join(
            f"{r['rate']:,.0f}/s (CPU {r['cpu']:.2f} s, other processes {r['other_cpu']:.1f} s)" for r in refs))
        self.r.note(name, "rounds, commsd: " + ", ".join(
            f"{r['rate']:,.0f}/s (CPU {r['cpu']:.2f} s, other processes {r['other_cpu']:.1f} s)" for r in runs))
        self.r.note(name, f"best commsd round: states {best['states']}; `commsd send` {best['send_wall']:.2f} s; "
                          f"planning {best['planned_at'] - best['accepted_at']:.2f} s; first delivery "
                          f"{best['first_delivered'] - best['accepted_at']:.2f} s after acceptance; dispatch alone "
                          f"(planned → last delivered) {best['dispatch_rate']:,.0f}/s")
        self.r.note(name, cpu_lines("commsd CPU", best["cpu"], n, best["threads"]) +
                    f"; {best['cpu'] / best['seconds']:.2f} cores busy on average")
        self.r.note(name, cpu_lines("C reference CPU", ref["cpu"], n) + f" (one thread), {ref['seconds']:.2f} s, "
                          f"{ref.get('body_bytes') or ref.get('message_bytes')} byte "
                          f"{'bodies' if name == 'webhook' else 'messages'}, {ref['connections']} connections")
        if worker:
            self.r.note(name, f"{sink_name} CPU: {ref['nginx_cpu']:.2f} s for the reference, "
                              f"{best['nginx_cpu']:.2f} s for commsd")
        self.r.note(name, f"lease transactions (delivery.leased events): {best['leases']:,} (≈ "
                          f"{n / max(best['leases'], 1):.0f} deliveries each); daemon VmHWM "
                          f"{(best['hwm_kb'] or 0) / 1024:.0f} MB")

    # 3 --------------------------------------------------------------------
    def fanout(self) -> None:
        n, conc = self.counts.fanout, self.args.webhook_concurrency
        say(f"3. fan-out: one message to {n:,} recipients")
        cfg = self.work / "fanout" / "commsd.toml"
        write_config(cfg, [Group("everyone", n, "sink:r{i}", "r")],
                     endpoints={"sink": {"url": f"{self.sinks.http}/sink", "concurrency": conc}}, max_in_flight=conc)
        started = time.monotonic()
        run([str(COMMSD), "config", "check", "--config", str(cfg)], timeout=120)
        config_load = time.monotonic() - started
        daemon = Daemon(cfg, self.work / "fanout" / "daemon.log")
        daemon.start()
        try:
            t0 = time.time()
            message_id, send_wall = daemon.send("everyone", "urgent")
            daemon.wait_planned(message_id, timeout=self.args.timeout, poll=0.01)
            plan_visible = time.time() - t0  # the plan's transaction has committed
            daemon.wait_finished(message_id, n, timeout=self.args.timeout, poll=0.1)
            m = daemon.store.message(message_id)
            first, last = daemon.store.delivered_span(message_id)
            states = daemon.store.states(message_id)
        finally:
            daemon.stop()
            daemon.cleanup(self.args.keep)
        durable = send_wall
        planned = plan_visible
        delivered = last - t0
        self.r.raw["fanout"] = dict(count=n, send_wall=send_wall, config_check=config_load, t0=t0, **m,
                                    plan_visible=plan_visible,
                                    first_delivered=first, last_delivered=last, states=states)
        self.r.add("3 fan-out", f"`commsd send` returns (durable), {n:,} recipients", fmt_s(durable), "< 1 s",
                   verdict(durable < 1))
        self.r.add("3 fan-out", "all deliveries planned and committed (from send start)", fmt_s(planned))
        self.r.add("3 fan-out", "last delivery at the sink (from send start)", fmt_s(delivered), "< 5 s",
                   verdict(delivered < 5))
        self.r.note("fanout", f"`commsd config check` on the same file takes {config_load:.2f} s, so about that much "
                               f"of the send is loading the {n:,}-recipient configuration; accepted_at is "
                               f"{m['accepted_at'] - t0:.2f} s after the send started")
        self.r.note("fanout", f"planned_at (stamped before the plan is written) is {m['planned_at'] - t0:.2f} s after "
                               f"the send started, the committed plan was visible at {plan_visible:.2f} s (polled every "
                               f"10 ms); first delivery {first - t0:.2f} s after send start; "
                               f"{n / (last - first):,.0f}/s from first to last delivery; states: {states}")
        say(f"   durable {durable:.2f} s, planned {planned:.2f} s, delivered {delivered:.2f} s")

    # 4 --------------------------------------------------------------------
    def flash(self) -> None:
        n, msgs, per = self.counts.flash_bulk, self.counts.flash_messages, self.counts.flash_recipients
        bulk_msgs = self.counts.flash_bulk_messages
        conc = self.args.webhook_concurrency
        say(f"4. flash under load: {bulk_msgs} × {n:,} bulk queued, then {msgs} flash messages × {per} recipients")
        d = self.work / "flash"
        d.mkdir(parents=True, exist_ok=True)
        # Arrivals are stamped by nginx (`$msec $http_webhook_id` in its access
        # log), the same fast sink as the bulk: a Python receiver on the two
        # busy cores added its own queueing to the tail.
        record = self.sinks.log_path("flash")
        record.write_text("")
        endpoints = {"sink": {"url": f"{self.sinks.http}/sink", "concurrency": conc},
                     "rx": {"url": f"{self.sinks.http}/flash", "concurrency": per}}
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
            flash_ids, send_walls, exited = self._send_flash(sender_cfg, msgs)
            sends_took = time.monotonic() - sends_started
            pending_after_sends = bulk_total - bulk_done()
            expected = len(flash_ids) * per  # failed sends have no deliveries
            deadline = time.monotonic() + self.args.timeout
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
            daemon.cleanup(self.args.keep)
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
        complete = len(seen) == msgs * per and not self.flash_failures
        enough = len(loaded) >= 0.9 * msgs * per
        self.r.raw["flash"] = dict(latencies=latencies, loaded=loaded, plan_delays=plan_delays, after_plan=after_plan,
                                   bulk_states=bulk_states, flash_states=flash_states, pending_before=pending_before,
                                   pending_after_sends=pending_after_sends, sends_took=sends_took,
                                   to_durable=to_durable, durable_to_planned=durable_to_planned,
                                   after_durable=after_durable,
                                   send_walls=send_walls)
        self.r.add("4 flash", f"p50 accepted → arrival ({len(loaded)} flash deliveries)", fmt_ms(p50))
        self.r.add("4 flash", f"p99 while ≥ {n:,} bulk deliveries are queued", fmt_ms(p99), "< 50 ms",
                   verdict(p99 is not None and p99 < 0.05 and complete and enough))
        self.r.note("flash", f"received {len(latencies)} flash webhooks ({len(seen)} distinct of {msgs * per}), "
                              f"{len(loaded)} of them from messages accepted while ≥ {n:,} bulk deliveries were "
                              f"queued; over all: "
                              f"p50 {fmt_ms(percentile(latencies, 50))}, p99 {fmt_ms(percentile(latencies, 99))}, max "
                              f"{fmt_ms(max(latencies) if latencies else None)}; flash states {flash_states}")
        self.r.note("flash", f"split per delivery: accepted → planned p50 {fmt_ms(percentile(plan_delays, 50))}, p99 "
                              f"{fmt_ms(percentile(plan_delays, 99))}; planned → arrival p50 "
                              f"{fmt_ms(percentile(after_plan, 50))}, p99 {fmt_ms(percentile(after_plan, 99))}")
        self.r.note("flash", f"split per message: accepted_at → its `commsd send` exited (intake commit, "
                              f"including any wait for the store's write lock) p50 {fmt_ms(percentile(to_durable, 50))}, "
                              f"p99 {fmt_ms(percentile(to_durable, 99))}; exited → planned_at p50 "
                              f"{fmt_ms(percentile(durable_to_planned, 50))}, p99 "
                              f"{fmt_ms(percentile(durable_to_planned, 99))} (the process exit is seen within a few ms); "
                              f"per delivery, `commsd send` exited → arrival p50 {fmt_ms(percentile(after_durable, 50))}, "
                              f"p99 {fmt_ms(percentile(after_durable, 99))}")
        self.r.note("flash", f"the {msgs} sends ({self.args.flash_parallel} at a time) took {sends_took:.2f} s, each `commsd send` p50 "
                              f"{fmt_ms(percentile(send_walls, 50))}, max {fmt_ms(max(send_walls))}; bulk "
                              f"({bulk_msgs} messages × {n:,}) still queued: {pending_before:,} at the first send, "
                              f"{pending_after_sends:,} after the last; bulk states when the last flash arrived "
                              f"{bulk_states}")
        if self.flash_failures:
            self.r.note("flash", f"{len(self.flash_failures)} of {msgs} `commsd send` failed under load, e.g. "
                                  f"{self.flash_failures[0]}")
        if not enough:
            self.r.note("flash", f"WARNING: fewer than 90 % of the flash deliveries were accepted while ≥ {n:,} "
                                  "bulk deliveries were queued; the p99 above covers only those that were")
        say(f"   p50 {fmt_ms(p50)}, p99 {fmt_ms(p99)} ({len(loaded)} under load); sends took {sends_took:.1f} s")

    def _send_flash(self, sender_cfg: Path, msgs: int) -> tuple[list[str], list[float], dict[str, float]]:
        """Sends `msgs` flash messages, a few CLI processes at a time. Returns the message ids, each
        command's wall time, and when each command exited (Unix time: the message was durable)."""
        ids: list[str] = []
        walls: list[float] = []
        exited: dict[str, float] = {}
        self.flash_failures: list[str] = []
        parallel = self.args.flash_parallel
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
                        self.flash_failures.append(f"exit {p.returncode} after {now - t:.1f} s: "
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
        return ids, walls, exited

    # 5 --------------------------------------------------------------------
    def memory(self) -> None:
        msgs, per = self.counts.memory_messages, self.counts.memory_recipients
        say(f"5. memory: {msgs} bulk messages × {per:,} recipients = {msgs * per:,} pending")
        d = self.work / "memory"
        # The process with a tiny configuration, for comparison.
        tiny_cfg = d / "tiny" / "commsd.toml"
        write_config(tiny_cfg, [Group("bulk", 10, "slow:r{i}", "r")],
                     endpoints={"slow": {"url": "http://127.0.0.1:9/slow", "concurrency": 1}})
        tiny = Daemon(tiny_cfg, d / "tiny" / "daemon.log")
        tiny.start()
        base_rss = proc_status(tiny.pid, "VmRSS")
        tiny.stop()
        tiny.cleanup(self.args.keep)
        # The same directory written inline as [[recipients]] tables in the
        # TOML file instead of a CSV list: what parsing that costs at start.
        inline_cfg = d / "inline" / "commsd.toml"
        write_config(inline_cfg, [Group("bulk", per, "slow:r{i}", "r")],
                     endpoints={"slow": {"url": "http://127.0.0.1:9/slow", "concurrency": 1}}, inline=True)
        inline = Daemon(inline_cfg, d / "inline" / "daemon.log")
        inline.start()
        inline_rss, inline_hwm = proc_status(inline.pid, "VmRSS"), proc_status(inline.pid, "VmHWM")
        inline.stop()
        inline.cleanup(self.args.keep)
        main = self._memory_run(d / "main", msgs, per)
        # The same number pending from a directory a tenth the size: what the
        # pending deliveries cost apart from the configured recipients.
        say(f"5. memory: {msgs * 10} bulk messages × {per // 10:,} recipients")
        alt = self._memory_run(d / "small-directory", msgs * 10, per // 10)
        self.r.raw["memory"] = dict(base_rss_kb=base_rss, main=main, small_directory=alt,
                                     inline_rss_kb=inline_rss, inline_hwm_kb=inline_hwm)
        mb = main["hwm_kb"] / 1024
        self.r.add("5 memory", f"daemon peak RSS (VmHWM), {main['pending']:,} pending ({msgs} × {per:,})",
                   f"{mb:.0f} MB", "< 150 MB", verdict(mb < 150))
        self.r.add("5 memory", f"the same, {alt['pending']:,} pending ({msgs * 10} × {per // 10:,}: a 10× smaller "
                               f"directory)", f"{alt['hwm_kb'] / 1024:.0f} MB")
        for run_, m, p_ in ((main, msgs, per), (alt, msgs * 10, per // 10)):
            self.r.note("memory", f"{m} messages × {p_:,} recipients: RSS idle after start {run_['idle_rss_kb'] / 1024:.0f} MB "
                                   f"(with 10 recipients configured: {base_rss / 1024:.0f} MB); RSS with all "
                                   f"{run_['pending']:,} pending {run_['peak_rss_kb'] / 1024:.0f} MB; VmHWM (includes "
                                   f"planning) {run_['hwm_kb'] / 1024:.0f} MB; sends and planning took "
                                   f"{run_['planned_after']:.1f} s; store {run_['db_bytes'] / 1e6:.0f} MB on disk")
        self.r.note("memory", f"the {per:,} recipients are read from a CSV recipient list, as a registry export "
                              f"would be given; written inline as [[recipients]] tables in the TOML file instead, "
                              f"the idle daemon has RSS {inline_rss / 1024:.0f} MB and VmHWM "
                              f"{inline_hwm / 1024:.0f} MB from parsing them at start")
        say(f"   VmHWM {mb:.0f} MB (idle {main['idle_rss_kb'] / 1024:.0f} MB), pending {main['pending']:,}; with a "
            f"smaller directory {alt['hwm_kb'] / 1024:.0f} MB")

    def _memory_run(self, d: Path, msgs: int, per: int) -> dict:
        d.mkdir(parents=True, exist_ok=True)
        port_file = d / "receiver.port"
        port_file.unlink(missing_ok=True)
        # A slow sink: 2 s per answer, one connection, so almost nothing leaves.
        receiver = Proc("slow receiver", [PYTHON, str(RECEIVER), "--port", "0", "--port-file", str(port_file),
                                          "--delay-ms", "2000"], d / "receiver.log")
        try:
            deadline = time.monotonic() + 20
            while not port_file.exists():
                if time.monotonic() > deadline or not receiver.alive():
                    raise RuntimeError("slow receiver did not start")
                time.sleep(0.05)
            port = int(port_file.read_text().strip())
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
                    daemon.wait_planned(mid, timeout=self.args.timeout)
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
                daemon.cleanup(self.args.keep)
        finally:
            receiver.stop()
        return dict(idle_rss_kb=idle_rss, hwm_kb=hwm, peak_rss_kb=peak_rss, pending=pending,
                    planned_after=planned_after, db_bytes=db_bytes)

    # 6 --------------------------------------------------------------------
    def peers(self) -> None:
        self.apprise()
        self.alertmanager()

    def apprise(self) -> None:
        if not has_apprise():
            raise RuntimeError("Apprise is not installed")
        script = BENCH / "peers" / "apprise_bench.py"
        version = run([PYTHON, "-c", "import apprise; print(apprise.__version__)"], timeout=60).stdout.strip()
        self.r.raw.setdefault("versions", {})["apprise"] = version
        for kind, n, url in (("webhooks", self.counts.apprise_webhooks, f"{self.sinks.http}/apprise"),
                             ("emails", self.counts.apprise_emails, self.sinks.smtp_url)):
            say(f"6. Apprise {version}: {n:,} {kind}")
            log = self.sinks.log_path("apprise")
            lines_before = sum(1 for _ in open(log))
            r = run([PYTHON, str(script), kind, url, str(n)], timeout=max(120, n / 5))
            result = json.loads(r.stdout.strip().splitlines()[-1])
            if kind == "webhooks":
                result["at_nginx"] = sum(1 for _ in open(log)) - lines_before
            self.r.raw[f"apprise_{kind}"] = result
            self.r.add("6 peers", f"Apprise {version} {kind} ({n:,}, one notify to {n:,} URLs)",
                       fmt_rate(result["rate"]))
            self.r.note("peers", f"Apprise {kind}: {result}")
            say(f"   {result['rate']:,.0f}/s")

    def alertmanager(self) -> None:
        n = self.counts.alertmanager
        binary = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
        if not os.path.exists(binary):
            raise RuntimeError("prometheus-alertmanager is not installed")
        version = run([binary, "--version"], timeout=30, check=False)
        version = re.search(r"version (\S+)", (version.stdout or "") + (version.stderr or ""))
        version = version.group(1) if version else "?"
        self.r.raw.setdefault("versions", {})["alertmanager"] = version
        say(f"6. Alertmanager {version}: {n:,} alerts, each its own group → one webhook each")
        d = self.work / "alertmanager"
        d.mkdir(parents=True, exist_ok=True)
        port = free_port()
        (d / "alertmanager.yml").write_text(textwrap.dedent(f"""\
            route:
              receiver: nginx
              group_by: ['id']
              group_wait: 0s
              group_interval: 1h
              repeat_interval: 24h
            receivers:
              - name: nginx
                webhook_configs:
                  - url: {self.sinks.http}/alertmanager
                    send_resolved: false
            """))
        am = Proc("alertmanager", [binary, f"--config.file={d / 'alertmanager.yml'}", f"--storage.path={d / 'data'}",
                                   f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
                                   "--log.level=warn"], d / "alertmanager.log")
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    if urllib.request.urlopen(f"{base}/-/ready", timeout=2).status == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline or not am.alive():
                    raise RuntimeError(f"Alertmanager not ready; see {am.log}")
                time.sleep(0.1)
            log = self.sinks.log_path("alertmanager")
            before = sum(1 for _ in open(log))
            batch = 1000
            bodies = [json.dumps([{"labels": {"alertname": "CommsdBench", "id": f"a{i}", "severity": "critical"},
                                   "annotations": {"summary": SUBJECT, "description": BODY},
                                   "generatorURL": "http://127.0.0.1/bench"}
                                  for i in range(start, min(n, start + batch))]).encode()
                      for start in range(0, n, batch)]
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            t0 = time.time()
            for body in bodies:  # one keep-alive connection, bodies encoded beforehand
                conn.request("POST", "/api/v2/alerts", body=body, headers={"Content-Type": "application/json"})
                answer = conn.getresponse()
                answer.read()
                if answer.status != 200:
                    raise RuntimeError(f"Alertmanager answered {answer.status} to POST /api/v2/alerts")
            posted = time.time() - t0
            conn.close()
            deadline = time.monotonic() + self.args.timeout
            stamps: list[float] = []
            while time.monotonic() < deadline:
                with open(log) as f:
                    stamps = [float(x) for x in f.read().split()[before:]]
                if len(stamps) >= n:
                    break
                time.sleep(0.25)
            hwm = proc_status(am.pid, "VmHWM")
        finally:
            am.stop()
        if not stamps:
            raise RuntimeError("no Alertmanager webhook reached nginx")
        rate = len(stamps) / (max(stamps) - t0)
        self.r.raw["alertmanager"] = dict(count=n, received=len(stamps), posted_s=posted, rate=rate, hwm_kb=hwm)
        self.r.add("6 peers", f"Alertmanager {version} webhooks ({n:,} alerts, counted at nginx)", fmt_rate(rate))
        self.r.note("peers", f"Alertmanager: {len(stamps):,} of {n:,} webhooks at nginx, {max(stamps) - t0:.2f} s "
                              f"from the first POST of alerts to the last webhook (alerts posted in {posted:.2f} s, "
                              f"batches of 1000 on one connection); its VmHWM {hwm / 1024 if hwm else 0:.0f} MB")
        if max(stamps) - t0 < posted * 1.1:
            self.r.note("peers", "Alertmanager's webhooks kept pace with its alert intake (each POST returns once "
                                 "Alertmanager has taken the batch): the rate is its intake-to-webhook throughput")
        say(f"   {rate:,.0f}/s")


    # 7 --------------------------------------------------------------------
    VERIFY_INTACT = re.compile(r"^intact: (\d+) events; head (\d+):([0-9a-f]{64})$", re.M)

    def audit(self) -> None:
        """`commsd audit verify` over a store of counts.audit_events chained events: the first run
        with the file out of the page cache, a second with it in; then a tampered event must be named."""
        n = self.counts.audit_events
        d = self.work / "audit"
        cfg = d / "commsd.toml"
        write_config(cfg, [Group("care", 10, "care:r{i}", "r")],
                     endpoints={"care": {"url": "http://127.0.0.1:9/care", "concurrency": 8}})
        db = d / "var" / "commsd.sqlite"
        if db.parent.exists():
            shutil.rmtree(db.parent)
        verify = [str(COMMSD), "audit", "verify", "--config", str(cfg)]
        # commsd creates the store and runs its migrations (the schema is commsd's, not a copy).
        code, out, err, _ = run_with_usage(verify, timeout=self.args.timeout)
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
            code, out, err, usage = run_with_usage(verify, timeout=self.args.timeout)
            wall = time.monotonic() - started
            found = self.VERIFY_INTACT.search(out)
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
        code, out, err, _ = run_with_usage(verify, timeout=self.args.timeout)
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
        self.r.raw["audit"] = dict(events=n, populate_s=populate_s, db_bytes=db_bytes, kinds=made["kinds"],
                                   cold=cold, warm=warm, tampered_seq=seq, tampered_output=tampered)
        full = 1_000_000
        for label, m, what in (("cold", cold, "first run, store file evicted from the page cache"),
                               ("warm", warm, "second run, file in the page cache")):
            value = f"{m['wall']:.2f} s (CPU {m['cpu']:.2f} s)"
            seconds = m["wall"]
            if n != full:  # --quick: say what was measured, judge by the linear extrapolation
                seconds = m["wall"] * full / n
                value += f"; ≈ {seconds:.1f} s per {full:,} (linear extrapolation)"
            self.r.add("7 audit verify", f"`commsd audit verify` over {n:,} events, {what}", value, "< 10 s",
                       verdict(seconds < 10))
        mix = ", ".join(f"{k} {v:,}" for k, v in sorted(made["kinds"].items(), key=lambda kv: -kv[1]))
        self.r.note("audit", f"{n:,} events ({mix}) written with Python's sqlite3 in {populate_s:.1f} s; "
                             f"the store is {db_bytes / 1e6:.0f} MB; the failures' error texts are "
                             + (f"personal data beside the chain ({made['sealed']:,} sealed, checked against "
                                f"their commitments)" if made["personal_beside"] else "in the chained detail"))
        for label, m in (("first run (cold)", cold), ("second run (warm)", warm)):
            self.r.note("audit", f"{label}: {m['wall']:.2f} s wall, {m['user']:.2f} s user + {m['sys']:.2f} s "
                                 f"system CPU = {m['cpu'] / n * 1e6:.2f} µs per event; {m['disk_mb']:.0f} MB read "
                                 f"from disk; peak RSS {m['maxrss_mb']:.0f} MB")
        self.r.note("audit", f"tamper check (not timed): with the detail of event {seq} ({kind}) altered in "
                             f"sqlite3, verify exited 1 and said: {tampered}")


    # 8 --------------------------------------------------------------------
    HTTP_TOKEN = "cmsd_bench_" + "Zq7Vb2xK9mLp4Rt8Wc3Nd6Hy1Js5Ge0A"  # a fixed token; its hash goes into [api]

    def http(self) -> None:
        """Enqueue rate over HTTP: wrk POSTs /v1/messages (JSON, bearer token, a unique
        Idempotency-Key each) for a fixed time while the daemon also plans and delivers what it
        takes to nginx; p50/p99 are wrk's. Afterwards every message wrk saw a 202 for must be in
        the store."""
        seconds, conns, threads = self.counts.http_seconds, self.args.http_connections, self.args.http_threads
        per, conc = self.args.http_recipients, self.args.webhook_concurrency
        wrk = shutil.which("wrk")
        if wrk is None:
            raise RuntimeError("wrk is not installed (Debian package wrk)")
        d = self.work / "http"
        d.mkdir(parents=True, exist_ok=True)
        port = free_port()
        cfg = d / "commsd.toml"
        write_config(cfg, [Group("bench", per, "sink:r{i}", "r")],
                     endpoints={"sink": {"url": f"{self.sinks.http}/sink", "concurrency": conc}},
                     max_in_flight=conc,
                     api={"port": port, "tokens": [{"name": "bench", "token": self.HTTP_TOKEN,
                                                    "audiences": ["bench"], "max_priority": "urgent"}]})
        run_id = f"{int(time.time()):x}"
        ids_dir = d / "acked"
        if ids_dir.exists():
            shutil.rmtree(ids_dir)
        ids_dir.mkdir()
        body = json.dumps({"audiences": ["bench"], "priority": "normal", "kind": "update",
                           "subject": SUBJECT, "body": BODY}, ensure_ascii=False)
        script = d / "enqueue.lua"
        script.write_text(HTTP_LUA.replace("@TOKEN@", self.HTTP_TOKEN).replace("@RUN@", run_id)
                          .replace("@IDS@", str(ids_dir)).replace("@BODY@", body))
        say(f"8. HTTP enqueue: wrk -t{threads} -c{conns} -d{seconds}s POST /v1/messages "
            f"(audience of {per} webhook recipients on nginx)")
        daemon = Daemon(cfg, d / "daemon.log")
        daemon.start()
        wrk_usage = None
        try:
            wait_port(port, 30, daemon.proc)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                if answer.status != 200:
                    raise RuntimeError(f"GET /healthz answered {answer.status}")
            worker = self.sinks.nginx_worker()
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
            expected_deliveries = None
            drained = None
            deadline = drain0 + self.args.timeout
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
            stored = {row[0] for row in daemon.store.query(
                "SELECT id FROM messages WHERE sender_kind = 'api' AND idempotency_key LIKE ?",
                (f"api:bench:{run_id}-%",))}
            all_messages = daemon.store.one("SELECT count(*) FROM messages") or 0
            expected_deliveries = len(stored) * per
            hwm = proc_status(daemon.pid, "VmHWM")
        finally:
            daemon.stop()
            daemon.cleanup(self.args.keep)
        acked: list[str] = []
        for path in sorted(ids_dir.glob("ids-*.txt")):
            acked += [line for line in path.read_text().split() if line]
        acked_set = set(acked)
        lost = acked_set - stored
        unanswered = stored - acked_set  # taken, but wrk stopped before the answer arrived
        ok2xx, non2xx = w["s2xx"], w["requests"] - w["s2xx"]
        socket_errors = sum(w["errors"].values()) - w["errors"]["status"]
        rate = ok2xx / (w["duration_us"] / 1e6)
        p50, p99 = w["p50_us"] / 1e6, w["p99_us"] / 1e6
        other_cpu = max(0.0, machine_cpu - cpu - (ngx or 0) - harness_cpu
                        - (wrk_usage.ru_utime + wrk_usage.ru_stime))
        wrk_cpu = wrk_usage.ru_utime + wrk_usage.ru_stime
        sound = (non2xx == 0 and socket_errors == 0 and not lost and len(acked) == ok2xx
                 and len(acked_set) == len(acked) and len(unanswered) <= conns)
        met = rate >= 2000 and p99 < 0.05 and sound
        raw = dict(seconds=seconds, connections=conns, threads=threads, recipients=per, rate=rate,
                   requests=w["requests"], s2xx=ok2xx, non2xx=non2xx, statuses=w["statuses"], errors=w["errors"],
                   p50=p50, p75=w["p75_us"] / 1e6, p90=w["p90_us"] / 1e6, p99=p99, p999=w["p999_us"] / 1e6,
                   max=w["max_us"] / 1e6, mean=w["mean_us"] / 1e6, acked=len(acked), acked_distinct=len(acked_set),
                   stored=len(stored), all_messages=all_messages, lost=len(lost), unanswered=len(unanswered),
                   delivered_in_window=delivered_in_window, planned_in_window=planned_in_window,
                   states=states, drained=drained,
                   expected_deliveries=expected_deliveries, cpu=cpu, threads_cpu=thr, nginx_cpu=ngx,
                   wrk_cpu=wrk_cpu, machine_cpu=machine_cpu, other_cpu=other_cpu, wall=wall, hwm_kb=hwm)
        self.r.raw["http"] = raw
        self.r.add("8 HTTP enqueue", f"wrk -t{threads} -c{conns}, {seconds} s, POST /v1/messages "
                                     f"(audience of {per} webhook recipients)",
                   f"{rate:,.0f}/s, p50 {fmt_ms(p50)}, p99 {fmt_ms(p99)}", "≥ 2,000/s, p99 < 50 ms", verdict(met))
        self.r.add("8 HTTP enqueue", f"commsd CPU per accepted request (other processes took {other_cpu:.1f} "
                                     f"core-s of the {wall:.0f} s)", f"{cpu / max(ok2xx, 1) * 1e6:,.0f} µs")
        self.r.note("http", f"wrk: {w['requests']:,} responses in {w['duration_us'] / 1e6:.2f} s, {ok2xx:,} 2xx "
                            f"(statuses {w['statuses']}), non-2xx {non2xx}, socket errors {w['errors']}; latency "
                            f"p50 {fmt_ms(p50)}, p75 {fmt_ms(raw['p75'])}, p90 {fmt_ms(raw['p90'])}, p99 "
                            f"{fmt_ms(p99)}, p99.9 {fmt_ms(raw['p999'])}, max {fmt_ms(raw['max'])}")
        self.r.note("http", f"store check: {len(stored):,} messages of this run in the store, {len(acked):,} "
                            f"acknowledged with a message id ({len(acked_set):,} distinct); acknowledged but not "
                            f"stored: {len(lost)}; stored but unanswered when wrk stopped (in flight at the cut, "
                            f"at most one per connection): {len(unanswered)}")
        rest = expected_deliveries - delivered_in_window
        self.r.note("http", f"the daemon's own work meanwhile: {planned_in_window:,} of the {len(stored):,} messages "
                            f"planned and {delivered_in_window:,} of their {expected_deliveries:,} deliveries "
                            f"delivered while wrk ran ({delivered_in_window / wall:,.0f}/s); "
                            + (f"the rest ({rest:,} deliveries) finished {drained:.1f} s after wrk stopped "
                               f"({rest / max(drained, 1e-3):,.0f}/s)" if drained is not None
                               else f"not all finished within {self.args.timeout:.0f} s")
                            + f"; states at the end {states}")
        self.r.note("http", f"CPU over the {wall:.1f} s: commsd {cpu:.2f} s ({cpu / wall:.2f} cores, "
                            f"{cpu / max(ok2xx, 1) * 1e6:,.0f} µs per accepted request, with whatever planning and delivery "
                            "it did meanwhile; "
                            "threads: " + ", ".join(f"{k} {v:.2f} s" for k, v in list(thr.items())[:6] if v >= 0.01)
                            + f"), wrk {wrk_cpu:.2f} s, nginx {ngx or 0:.2f} s, this script {harness_cpu:.2f} s, "
                            f"other processes {other_cpu:.1f} s; daemon VmHWM {(hwm or 0) / 1024:.0f} MB")
        if not sound:
            self.r.note("http", "WARNING: the run is not sound (non-2xx, socket errors, acknowledged messages "
                                "missing from the store, or the id files do not match wrk's 2xx count)")
        say(f"   {rate:,.0f}/s, p50 {fmt_ms(p50)}, p99 {fmt_ms(p99)}; non-2xx {non2xx}, socket errors "
            f"{socket_errors}; stored {len(stored):,}, acknowledged {len(acked):,}, lost {len(lost)}, "
            f"unanswered {len(unanswered)}; delivered during the run {delivered_in_window:,}")

    # 9 --------------------------------------------------------------------
    def keyboard(self) -> None:
        """Flash from the keyboard: CLI and API, idle and under a 100,000 bulk (Benchmarks/keyboard.py)."""
        keyboard_bench.run(self, sys.modules[__name__])

    def scaleout(self) -> None:
        """SQLite, PostgreSQL with one node, two nodes on one database (Benchmarks/scaleout.py)."""
        scaleout_bench.run(self, sys.modules[__name__])

    # Diagnostics ------------------------------------------------------------
    PERF_EVENTS = ["task-clock", "context-switches", "cpu-migrations", "syscalls:sys_enter_futex",
                   "syscalls:sys_enter_fdatasync", "syscalls:sys_enter_fsync", "syscalls:sys_enter_pwrite64",
                   "syscalls:sys_enter_pread64", "syscalls:sys_enter_sendto", "syscalls:sys_enter_recvfrom",
                   "syscalls:sys_enter_poll"]

    def profile(self) -> None:
        """Where commsd's CPU goes on the webhook path: perf stat (context switches, syscalls per
        delivery, against the C reference) and a perf record profile of one daemon run."""
        if not shutil.which("perf") or run(["perf", "stat", "-e", "task-clock", "true"], timeout=30,
                                           check=False).returncode != 0:
            raise RuntimeError("perf is not available here (Debian package linux-perf)")
        n, conc = self.counts.profile, self.args.webhook_concurrency
        d = self.work / "profile"
        d.mkdir(parents=True, exist_ok=True)
        url = f"{self.sinks.http}/sink"
        events = []
        listed = run(["perf", "list"], timeout=60, check=False).stdout or ""
        for event in self.PERF_EVENTS:
            if ":" not in event or event in listed:
                events.append(event)
        say(f"profile: perf stat of the C reference and of commsd, perf record of commsd ({n:,} webhooks)")
        size = self.calibrate()["webhook_bytes"]
        ref_stat = d / "reference.perfstat"
        run(["perf", "stat", "-x", ",", "-e", ",".join(events), "-o", str(ref_stat),
             str(self.refs["webhook_ref"]), url, str(n), str(conc), SECRET, str(size)], timeout=self.args.timeout)
        cfg = d / "commsd.toml"
        write_config(cfg, [Group("bench", n, "sink:r{i}", "r")],
                     endpoints={"sink": {"url": url, "concurrency": conc}}, max_in_flight=conc)
        daemon = Daemon(cfg, d / "daemon.log")
        daemon.start()
        daemon_stat = d / "commsd.perfstat"
        try:
            stat = Proc("perf stat", ["perf", "stat", "-x", ",", "-e", ",".join(events), "-o", str(daemon_stat),
                                      "-p", str(daemon.pid)], d / "perf-stat.log")
            record = Proc("perf record", ["perf", "record", "-F", "999", "-g", "-o", str(d / "perf.data"),
                                          "-p", str(daemon.pid)], d / "perf-record.log")
            time.sleep(0.5)
            message_id, _ = daemon.send("bench", "normal")
            daemon.wait_finished(message_id, n, timeout=self.args.timeout)
            m = daemon.store.message(message_id)
            _, last = daemon.store.delivered_span(message_id)
            for proc in (stat, record):
                os.kill(proc.pid, signal.SIGINT)
                proc.popen.wait(timeout=120)
                proc.stop()
        finally:
            daemon.stop()
            daemon.cleanup(self.args.keep)
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
            name = event.replace("syscalls:sys_enter_", "") + ("()" if "syscalls:" in event else "")
            a, b = ref_c.get(event), daemon_c.get(event)
            if event == "task-clock":
                name = "CPU (µs)"
                a, b = (a * 1000 if a is not None else None), (b * 1000 if b is not None else None)
            if a is None and b is None:
                continue
            rows.append(f"| {name} | {'—' if a is None else f'{a / n:.2f}'} | {'—' if b is None else f'{b / n:.2f}'} |")
        self.r.raw["profile"] = dict(count=n, rate=rate, reference=ref_c, commsd=daemon_c)

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

        lines = [f"commsd webhook run under perf: {n:,} deliveries at {rate:,.0f}/s (perf adds some overhead); "
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
        self.r.details["profile"] = lines
        say(f"   profiled: {cpu_us:.0f} µs CPU per delivery under perf")

# --------------------------------------------------------------------------
# Machine and report


def machine(commit: str | None = None, built_from: str | None = None) -> dict[str, str]:
    def out(argv: list[str]) -> str:
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
            return (r.stdout + r.stderr).strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"

    def deb(pkg: str) -> str:
        return out(["dpkg-query", "-W", "-f", "${Version}", pkg]) or "?"

    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    os_name = "?"
    if os.path.exists("/etc/os-release"):
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip().strip('"')
    head = commit or built_from or out(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = "" if commit else out(["git", "-C", str(ROOT), "status", "--porcelain", "--", "Sources", "Package.swift"])
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{mem / 1024 / 1024:.1f} GiB",
        "os": os_name,
        "kernel": platform.release(),
        "swift": out(["swift", "--version"]).splitlines()[0] if shutil.which("swift") else "?",
        "libcurl": out(["curl-config", "--version"]),
        "sqlite": out(["sqlite3", "--version"]).split(" ")[0] if shutil.which("sqlite3") else deb("libsqlite3-0"),
        "nginx": out(["nginx", "-v"]).replace("nginx version: ", ""),
        "postfix": deb("postfix"),
        "alertmanager": deb("prometheus-alertmanager"),
        "wrk": deb("wrk"),
        "python": platform.python_version(),
        "commit": head + (" + uncommitted changes in Sources/" if dirty else
                          f" (the committed tree of {commit}, built apart from the work tree)" if commit else "")
        + f"; Sources/ last changed in {out(['git', '-C', str(ROOT), 'log', '-1', '--format=%h %s', head, '--', 'Sources', 'Package.swift'])[:100]}",
    }


def table(rows: list[Row], markdown: bool) -> str:
    header = ["benchmark", "figure", "result", "target", "verdict"]
    body = [[r.bench, r.figure, r.value, r.target, r.verdict] for r in rows]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    fmt = "  ".join(f"{{:{w}}}" for w in widths)
    lines = [fmt.format(*header), fmt.format(*["-" * w for w in widths])]
    lines += [fmt.format(*[c.replace("**", "") for c in row]) for row in body]
    return "\n".join(lines)


def write_report(path: Path, results: Results, mach: dict, args, counts: Counts, started: float,
                 command: str, setup_notes: list[str]) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{command}` on {now:%Y-%m-%d %H:%M} UTC (Benchmarks/bench.py; issue 3). "
        f"The whole run took {(time.monotonic() - started) / 60:.1f} minutes. "
        "Every figure below is from that one run, on this machine, with client and sinks on loopback "
        "sharing its cores. Regenerate with `make bench`; `make bench BENCH_ARGS=--quick` runs smaller counts.",
        "",
        table(results.rows, markdown=True),
        "",
    ]
    if results.errors:
        lines += ["## Benchmarks that did not complete", ""]
        lines += [f"- **{k}**: {v}" for k, v in results.errors.items()]
        lines.append("")
    lines += ["## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in mach.items()]
    for k, v in results.raw.get("versions", {}).items():
        lines.append(f"- {k} (peer): {v}")
    lines += ["", "## How each figure is measured", "", textwrap.dedent(f"""\
        - Sinks: nginx (one worker, `return 204`, keep-alive, `keepalive_requests 1000000`) and Postfix's
          `smtp-sink`, both started by the script on 127.0.0.1 and stopped by PID. commsd is built with
          `scripts/build-release.sh --scratch-path {SCRATCH}` (`swift build -c release --static-swift-stdlib`); its store is on the same disk as the
          work tree (WAL, `synchronous = FULL`).
        - Calibration: first, one real commsd webhook goes to `Tests/Receivers/http_receiver.py --secret` (which
          checks the signature) and one email to `Tests/Receivers/smtp_receiver.py`; their sizes are given to
          the C references, so both sides send the same bytes.
        - **1 Webhooks**: `Benchmarks/reference/webhook_ref.c` (libcurl multi, one thread, keep-alive, a fresh easy
          handle per POST, at most the concurrency handed to the multi handle, a JSON body of commsd's size signed
          with HMAC-SHA256 and the Standard Webhooks headers) POSTs {counts.webhook:,} bodies at concurrency
          {args.webhook_concurrency}. Then `commsd serve` with {counts.webhook:,} recipients on one endpoint
          (`concurrency = {args.webhook_concurrency}`, `max_in_flight = {args.webhook_concurrency}`) gets one
          `commsd send`; the rate is deliveries ÷ (last `delivered_at` − the message's `accepted_at`), so it
          includes planning, leasing, signing, the transfers and the recorded outcomes. Reference and daemon
          alternate for {args.rounds} rounds; the best round of each counts (other people's builds and tests may
          share the machine: "other processes" in the details is the CPU the machine spent on anything but the
          process under test, nginx, the `commsd send` and this script, from /proc/stat). One more run, not
          a target, uses commsd's default concurrency (an endpoint's 8 under `max_in_flight = 64`), with
          {counts.webhook_defaults:,} deliveries.
        - **2 Email**: `Benchmarks/reference/smtp_ref.c` sends {counts.email:,} emails, one SMTP transaction each,
          at concurrency {args.email_concurrency}; commsd sends {counts.email:,} through a relay with
          `concurrency = {args.email_concurrency}`, measured as above.
        - **3 Fan-out**: one `commsd send` to {counts.fanout:,} recipients; "durable" is the wall time of the
          `commsd send` process (start, configuration load, intake, fsync) as the sender sees it; planned and
          delivered are `planned_at` and the last `delivered_at` relative to the moment the send was started.
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
        - **5 Memory**: {counts.memory_messages} bulk messages × {counts.memory_recipients:,} recipients to an
          endpoint that answers after 2 s with concurrency 1, so nearly all stay pending; peak RSS is the
          daemon's `VmHWM` from /proc/PID/status once all are planned (it includes planning). Then the same
          number pending as {counts.memory_messages * 10} messages to a directory of
          {counts.memory_recipients // 10:,}, which separates what the configured recipients cost from what the
          pending deliveries cost. The sends use a sender configuration with the same `data_dir` and one
          recipient.
        - **6 Peers**: Apprise (PyPI) with one `notify()` to {counts.apprise_webhooks:,} `json://` URLs on nginx
          and to {counts.apprise_emails:,} `mailto://` URLs on smtp-sink (one URL per recipient: reusing one
          email URL makes Apprise sleep 5.5 s between emails by design); Prometheus Alertmanager (Debian) with
          `group_by: ['id']`, `group_wait: 0s` and a webhook receiver on nginx, fed {counts.alertmanager:,} alerts
          with unique `id` labels through `/api/v2/alerts` in batches of 500; its rate counts the webhooks in
          nginx's access log, first alert POST to last webhook.
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
        - **8 HTTP enqueue**: `commsd serve` with an `[api]` section on a free loopback port and one token
          (configured by its hash, `sha256:` and the hex SHA-256 of a fixed token, as `commsd token create`
          prints it), and an audience of {args.http_recipients} webhook recipients on the nginx sink (endpoint
          `concurrency = {args.webhook_concurrency}`, `max_in_flight = {args.webhook_concurrency}`), so the daemon has the
          planning and delivery of what it takes to do while it is measured (the details say how much of
          it got done while wrk ran, and how long the rest took after). Debian's `wrk` runs for {counts.http_seconds} s with
          {args.http_threads} thread(s) and {args.http_connections} keep-alive connections (`wrk -t{args.http_threads} -c{args.http_connections}
          -d{counts.http_seconds}s --timeout 10s --latency`) and a Lua script that POSTs `/v1/messages` with a JSON body
          (one audience, `normal` priority, the webhook benchmarks' subject and body), `Authorization: Bearer …`
          and a unique `Idempotency-Key` on every request. One wrk thread does far more than this needs, and on
          two cores shared with the daemon and nginx a second would only take CPU from them; 16 connections
          keep the daemon's intake busy (each request waits for its own durable commit) without making up
          latency by queueing alone. The rate is wrk's 2xx count ÷ its run time; p50 and p99 are wrk's
          percentiles (the `--latency` distribution, read through its Lua `done` hook), measured from
          sending a request to its answer on each connection (wrk does not correct for coordinated
          omission). The run counts only if every answer is 2xx and no socket errors occurred. The Lua script
          writes the message id of every 2xx answer to a file; afterwards every acknowledged id must be in
          the store (sqlite3 on `messages`, by the run's idempotency keys), and the store may hold at most one
          more message per connection (taken, but wrk stopped before its answer came). Deliveries completed
          while wrk ran are counted from the store, and the time the daemon then needs to finish the rest.
        - **Profile** (not a target): one more commsd webhook run of {counts.profile:,} deliveries under
          `perf stat` (context switches and system calls per delivery, next to the C reference's) and
          `perf record -g`, summarised below by thread, library and function.
        """), scaleout_bench.how(counts, args), keyboard_bench.how(args), ""]
    lines += ["## Details from this run", ""]
    for bench, notes in results.details.items():
        lines.append(f"**{bench}**")
        lines.append("")
        if bench == "profile":
            lines += notes  # already Markdown
        else:
            lines += [f"- {n}" for n in notes]
        lines.append("")
    if setup_notes:
        lines += ["Setup: " + "; ".join(setup_notes), ""]
    notes_file = BENCH / "NOTES.md"
    if notes_file.exists():
        lines += [notes_file.read_text().rstrip(), ""]
    path.write_text("\n".join(lines))


# --------------------------------------------------------------------------
# Main


BENCHES = ["webhook", "email", "fanout", "flash", "memory", "peers", "audit", "http", "scaleout", "keyboard",
           "profile"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smaller counts, for trying things out")
    p.add_argument("--only", default=",".join(BENCHES), help=f"comma-separated subset of {','.join(BENCHES)}")
    p.add_argument("--skip-deps", action="store_true", help="do not run the installers")
    p.add_argument("--skip-build", action="store_true", help="use the existing .build-bench/release/commsd")
    p.add_argument("--commit", metavar="REV", help="build the committed tree of REV (e.g. HEAD) instead of the "
                                                     "work tree, which others may be editing")
    p.add_argument("--no-write", action="store_true", help="print the table only; leave BENCHMARKS.md alone")
    p.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"), help="report path (default BENCHMARKS.md)")
    p.add_argument("--keep", action="store_true", help="keep the stores and logs in Benchmarks/.out/run")
    p.add_argument("--webhook-concurrency", type=int, default=64)
    p.add_argument("--email-concurrency", type=int, default=16)
    p.add_argument("--flash-parallel", type=int, default=4, help="flash `commsd send`s at a time (default 4)")
    p.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                   help="before measuring, wait up to this long for the machine to be idle (shared machines)")
    p.add_argument("--rounds", type=int, default=3, help="rounds of benchmarks 1 and 2 (best counts)")
    p.add_argument("--http-connections", type=int, default=16, help="wrk connections for benchmark 8 (default 16)")
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
        bench = Bench(args, counts, work, sinks, refs, results)
        meter = LoadMeter(sinks.pids)
        for name in selected:
            t = time.monotonic()
            before = meter.sample()
            try:
                getattr(bench, name)()
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
    if not args.no_write and selected == ["scaleout"]:
        # A run of its own: only its section of the report, the other benchmarks' results stay.
        scaleout_bench.write_section(Path(args.out), results.rows, results.details.get("scaleout", []),
                                     sys.modules[__name__], mach, command, counts, args,
                                     (time.monotonic() - started) / 60, results.errors)
        say(f"wrote the scale-out section of {args.out}")
    elif not args.no_write and selected == ["keyboard"]:
        keyboard_bench.write_section(Path(args.out), results.rows, results.details.get("keyboard", []),
                                     sys.modules[__name__], mach, command, (time.monotonic() - started) / 60,
                                     results.errors)
        say(f"wrote the flash-from-the-keyboard section of {args.out}")
    elif not args.no_write:
        write_report(Path(args.out), results, mach, args, counts, started, command, setup_notes)
        say(f"wrote {args.out}")
    return 1 if results.errors else 0


if __name__ == "__main__":
    sys.exit(main())
