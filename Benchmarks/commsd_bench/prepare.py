"""Preparing a run: the Debian packages and Apprise it needs, the release build of commsd (through
scripts/build-release.sh, into .build-bench) and the C references (Benchmarks/reference)."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path

from .harness import pids_named, run, say
from .paths import BENCH, OUT, PYTHON, ROOT, SCRATCH

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
