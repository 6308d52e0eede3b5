"""The harness: processes started and stopped by PID, CPU and memory read from /proc, the machine's
load, waiting for quiet, and timing a child with its own rusage.

Every process a benchmark starts goes through `Proc`, so that an interrupted run stops exactly
those (by PID, never by name).
"""

from __future__ import annotations

import os
import re
import resource
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


# --------------------------------------------------------------------------
# Processes: every one we start is registered and stopped by PID.


class Proc:
    """A process this run started, with its output in a log file; stopped by its PID (SIGTERM,
    then SIGKILL after a grace period). `stop_all` stops every one still running."""
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
