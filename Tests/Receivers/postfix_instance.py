#!/usr/bin/env python3
"""A private, throw-away Postfix instance for commsd end-to-end tests.

Runs the system's Postfix programs (Debian package postfix, 3.4 or later) with
a configuration, queue and log that live entirely under --dir; /etc/postfix
and the system instance are never read for settings nor touched. The instance
listens for SMTP on 127.0.0.1 only, on a free port, and hands every message
for --domain (any local part, recipient_delimiter "+") to --pipe-command via
Postfix's pipe(8) transport, run as --pipe-user, once per recipient. Nothing
is delivered locally, nothing is relayed anywhere else, and no DNS lookups are
made. Needs root (Postfix's master runs as root, pipe(8) switches users).

Start (stays in the foreground until SIGTERM/SIGINT):

    postfix_instance.py --dir DIR --port-file F \\
        --pipe-command '/abs/path/cmd --to ${original_recipient} --from ${sender}' \\
        [--pipe-user nobody:nogroup] [--domain kommune.example] [--print]

It writes DIR/etc/{main.cf,master.cf}, DIR/queue, DIR/data, starts Postfix's
master as a child, waits until the SMTP port answers its banner, writes the
port to --port-file (atomically) and prints "PORT <n>" as the first line of
stdout. SIGTERM/SIGINT stops the instance (no Postfix process of it is left)
and exits 0; the queue stays on disk, so a later start with the same --dir
carries on with it.

Exit codes of the pipe command follow Postfix (sysexits.h): 0 delivered
(removed from the queue); 75 EX_TEMPFAIL (and 71 EX_OSERR) deferred: the mail
stays queued and is retried after 1-2 s (minimal_backoff_time=1s,
maximal_backoff_time=2s, queue_run_delay=1s; --retry-delay N for N..2N s), as
it is when the command is killed by a signal; any other status (1, 67, 78,
...) or running past --pipe-time-limit bounces it for good. Output starting
with an enhanced status code (4.x.x/5.x.x) overrides the exit status. Bounces
go to the envelope sender: piped to the command (with an empty ${sender}) if
that is in --domain, otherwise discarded (default_transport = discard).

The queue, for tests (any of these, while the instance runs):

    postfix_instance.py --dir DIR --list-queue   # postqueue -c DIR/etc -j: one JSON object per queued message
    postfix_instance.py --dir DIR --flush        # postqueue -c DIR/etc -f: retry deferred mail now
    postfix_instance.py --dir DIR --wait-empty 10  # exit 0 once the queue is empty, 1 after 10 s
    postqueue -c DIR/etc -p                      # the same, directly (root only: -c is refused otherwise)

The log is DIR/maillog (Postfix's postlogd, no syslog); "postfix -c DIR/etc
reload" re-reads an edited DIR/etc/*.cf; "postfix -c DIR/etc stop" stops an
instance whose harness is gone.
"""

from __future__ import annotations

import argparse
import ctypes
import grp
import os
import pwd
import re
import shlex
import signal
import socket
import subprocess
import sys
import time

POSTFIX = "/usr/sbin/postfix"
POSTQUEUE = "/usr/sbin/postqueue"
MASTER = "/usr/lib/postfix/sbin/master"
TRANSPORT = "commsd"  # the master.cf name of the pipe transport
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


class Interrupted(Exception):
    """SIGTERM/SIGINT arrived while the instance was starting."""


def unblock_signals() -> None:
    # We block SIGTERM/SIGINT (and sigwait for them); our children must not.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


# Runs beside the master, in a session of its own, reading a pipe from this
# harness: end of file without "done" means the harness died (SIGKILL...),
# and then it stops the instance the way "postfix stop" does, so that no
# master is left holding DIR and its port. (PR_SET_PDEATHSIG on the master
# does not work: Postfix's master changes its effective uid for a moment at
# startup, which clears it.)
WATCHDOG = r"""
import subprocess, sys, time
postfix, etc, master = sys.argv[1:4]
if sys.stdin.buffer.read() == b"done":
    sys.exit(0)
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    if subprocess.run([master, "-c", etc, "-t"], capture_output=True).returncode != 0:
        subprocess.run([postfix, "-c", etc, "stop"], capture_output=True, timeout=30)
        break
    time.sleep(0.5)
"""


def die(message: str, code: int = 2) -> None:
    sys.stderr.write(f"postfix_instance.py: {message}\n")
    sys.exit(code)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="A private Postfix instance on 127.0.0.1 that pipes mail for a domain to a command.")
    p.add_argument("--dir", required=True, help="instance directory (created if missing)")
    p.add_argument("--port-file", help="write the SMTP port number to this file (atomically)")
    p.add_argument("--pipe-command", metavar="'ABSPATH ARGS...'",
                   help="command for mail to --domain, split like a shell would (no shell runs it); "
                        "may use pipe(8) macros such as ${original_recipient} ${sender} ${size} "
                        "(a literal $ must be written $$)")
    p.add_argument("--pipe-user", default="nobody:nogroup", metavar="USER[:GROUP]",
                   help="run the command as this user (not root, not group 0, not postfix; default nobody:nogroup)")
    p.add_argument("--pipe-flags", default="Rq", metavar="FLAGS",
                   help="pipe(8) flags (default Rq, as in commsd mailgate's master.cf line: R prepends "
                        "Return-Path:, q quotes odd local parts in ${sender}/${recipient}; "
                        "'' for the message exactly as queued)")
    p.add_argument("--pipe-env", action="append", default=[], metavar="NAME=VALUE",
                   help="extra environment variable for the command (repeatable; no whitespace, no $)")
    p.add_argument("--pipe-time-limit", type=int, default=120, metavar="SECONDS",
                   help="kill the command after this long; Postfix then bounces the mail (default 120)")
    p.add_argument("--retry-delay", type=int, default=1, metavar="SECONDS",
                   help="deferred mail is retried after SECONDS to 2*SECONDS (default 1; "
                        "a large value leaves retries to --flush)")
    p.add_argument("--domain", action="append", default=[],
                   help="mail domain piped to the command (repeatable; default kommune.example)")
    p.add_argument("--start-timeout", type=float, default=30.0, metavar="SECONDS",
                   help="give up if the SMTP banner does not appear within this time (default 30)")
    p.add_argument("--print", dest="print_", action="store_true",
                   help="after the PORT line, print the queue commands and follow DIR/maillog on stdout")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--list-queue", action="store_true",
                      help="print the running instance's queue (postqueue -j, one JSON object a line) and exit")
    mode.add_argument("--flush", action="store_true",
                      help="ask the running instance to retry all queued mail now (postqueue -f) and exit")
    mode.add_argument("--wait-empty", type=float, metavar="SECONDS",
                      help="exit 0 as soon as the running instance's queue is empty, 1 after SECONDS")
    args = p.parse_args(argv)
    args.dir = os.path.abspath(args.dir)
    args.etc = os.path.join(args.dir, "etc")
    if args.list_queue or args.flush or args.wait_empty is not None:
        return args
    if not args.pipe_command:
        p.error("--pipe-command is required to start an instance")
    try:
        args.pipe_argv = shlex.split(args.pipe_command)
    except ValueError as e:
        p.error(f"--pipe-command: {e}")
    if not args.pipe_argv or not os.path.isabs(args.pipe_argv[0]):
        p.error("--pipe-command must start with an absolute path")
    for a in args.pipe_argv:
        if not balanced_braces(a) or "\n" in a or a != a.strip():
            p.error(f"--pipe-command: argument {a!r} cannot be written to master.cf "
                    "(unbalanced braces, a newline, or leading/trailing whitespace)")
    for e in args.pipe_env:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=[^\s$,]*", e):
            p.error(f"--pipe-env {e!r}: expected NAME=VALUE without whitespace, commas or $")
    if not re.fullmatch(r"[A-Za-z.>]*", args.pipe_flags):
        p.error(f"--pipe-flags {args.pipe_flags!r}: expected pipe(8) flag letters")
    args.domain = args.domain or ["kommune.example"]
    for d in args.domain:
        if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", d):
            p.error(f"--domain {d!r}: not a domain name")
    if args.pipe_time_limit < 1 or args.start_timeout <= 0 or args.retry_delay < 1:
        p.error("--pipe-time-limit, --retry-delay and --start-timeout must be positive")
    return args


def balanced_braces(arg: str) -> bool:
    depth = 0
    for ch in arg:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


# --------------------------------------------------------------------------
# Configuration


def resolve_pipe_user(spec: str) -> tuple[str, str, int, int]:
    user, _, group = spec.partition(":")
    try:
        pw = pwd.getpwnam(user)
    except KeyError:
        die(f"--pipe-user: no such user {user!r}")
    if group:
        try:
            gid = grp.getgrnam(group).gr_gid
        except KeyError:
            die(f"--pipe-user: no such group {group!r}")
    else:
        gid, group = pw.pw_gid, grp.getgrgid(pw.pw_gid).gr_name
    # pipe(8) refuses these at delivery time ("user= command-line attribute
    # specifies root privileges" / "... privileged group"), deferring every mail.
    if pw.pw_uid == 0:
        die("--pipe-user: pipe(8) refuses to run commands as root")
    if gid == 0:
        die("--pipe-user: pipe(8) refuses to run commands with group id 0")
    if user == "postfix":
        die("--pipe-user: pipe(8) refuses to run commands as the mail system owner (postfix)")
    return user, group, pw.pw_uid, gid


def master_cf_arg(arg: str) -> str:
    # master.cf splits on whitespace; Postfix 3.0+ groups with { ... } (whitespace
    # right after "{" and before "}" is dropped, so keep it off the edges).
    if arg == "" or re.search(r"\s", arg) or arg.startswith("{"):
        return "{" + arg + "}"
    return arg


def main_cf(args: argparse.Namespace) -> str:
    d = args.dir
    domains = ", ".join(args.domain)
    export_env = " ".join(["TZ", "MAIL_CONFIG", "LANG"] + args.pipe_env)
    return f"""\
# Written by Tests/Receivers/postfix_instance.py -- a throw-away test instance.
compatibility_level = 3.6
# (config_directory comes from "-c DIR/etc" / MAIL_CONFIG; not repeated here.)
queue_directory = {d}/queue
data_directory = {d}/data
mail_owner = postfix
setgid_group = postdrop

# Logging: no syslog; postlogd (master.cf "postlog") writes this file.
maillog_file = {d}/maillog
maillog_file_prefixes = {d}
syslog_name = postfix-test

# Loopback only, IPv4, no DNS.
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = postfix-test.localhost
mydomain = localhost
myorigin = $myhostname
mynetworks_style = host
mynetworks = 127.0.0.0/8
smtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native
smtpd_peername_lookup = no
biff = no
append_dot_mydomain = no

# Nothing local, nothing relayed: only {domains} is accepted (any local part,
# extensions after "+"), and it goes to the pipe transport "{TRANSPORT}".
mydestination =
local_recipient_maps =
local_transport = error:5.1.1 local delivery is disabled in this test instance
alias_maps =
alias_database =
relay_domains = {domains}
# Exactly these domains, not their subdomains (the built-in default still
# lists relay_domains here).
parent_domain_matches_subdomains = debug_peer_list, fast_flush_domains, mynetworks, smtpd_access_maps
relay_recipient_maps =
relay_transport = {TRANSPORT}
transport_maps =
# Only internally generated mail (bounces to senders outside the domain,
# postmaster notices) can reach the default transport: throw it away.
default_transport = discard:not a test domain
notify_classes =
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions =
recipient_delimiter = +
# Pass the message on as the client sent it (no header address rewriting).
local_header_rewrite_clients =

# One command run per recipient, so each gets its own exit status.
{TRANSPORT}_destination_recipient_limit = 1
{TRANSPORT}_time_limit = {args.pipe_time_limit}s
export_environment = {export_env}

# Retry deferred mail within seconds (and "postqueue -f" at once).
queue_run_delay = {args.retry_delay}s
minimal_backoff_time = {args.retry_delay}s
maximal_backoff_time = {2 * args.retry_delay}s
# Tests send in bursts: no throttling, no tarpit.
in_flow_delay = 0
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 1000
smtpd_client_connection_count_limit = 0
smtpd_banner = $myhostname ESMTP postfix-test
"""


def master_cf(args: argparse.Namespace, port: int, pipe_user: str) -> str:
    argv = " ".join(master_cf_arg(a) for a in args.pipe_argv)
    flags = f"flags={args.pipe_flags} " if args.pipe_flags else ""
    # No chroot anywhere (a jail would need copies of libraries and files).
    return f"""\
# Written by Tests/Receivers/postfix_instance.py -- a throw-away test instance.
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
{TRANSPORT} unix - n n - - pipe
  {flags}null_sender= user={pipe_user} argv={argv}
"""


QUEUE_DIRS = {  # name: (owner is mail_owner?, group is setgid_group?, mode)
    "active": (True, False, 0o700), "bounce": (True, False, 0o700), "corrupt": (True, False, 0o700),
    "defer": (True, False, 0o700), "deferred": (True, False, 0o700), "flush": (True, False, 0o700),
    "hold": (True, False, 0o700), "incoming": (True, False, 0o700), "private": (True, False, 0o700),
    "saved": (True, False, 0o700), "trace": (True, False, 0o700),
    "maildrop": (True, True, 0o730), "public": (True, True, 0o710), "pid": (False, False, 0o755),
}


def make_dirs(args: argparse.Namespace) -> None:
    """The layout that "post-install create-missing" would make, done here so
    that nothing outside --dir is consulted for it."""
    postfix = pwd.getpwnam("postfix")
    postdrop = grp.getgrnam("postdrop").gr_gid
    os.makedirs(args.dir, exist_ok=True)
    # Postfix checks that its directories are not group/world writable; the
    # pipe user needs to traverse DIR (the command's working directory is
    # DIR/queue), so make it 0755.
    os.chmod(args.dir, 0o755)
    for path, uid, gid, mode in [(args.etc, 0, 0, 0o755), (os.path.join(args.dir, "queue"), 0, 0, 0o755),
                                 (os.path.join(args.dir, "data"), postfix.pw_uid, postfix.pw_gid, 0o700)]:
        os.makedirs(path, exist_ok=True)
        os.chown(path, uid, gid)
        os.chmod(path, mode)
    for name, (owned, setgid, mode) in QUEUE_DIRS.items():
        path = os.path.join(args.dir, "queue", name)
        os.makedirs(path, exist_ok=True)
        os.chown(path, postfix.pw_uid if owned else 0, postdrop if setgid else (postfix.pw_gid if owned else 0))
        os.chmod(path, mode)


def write_file(path: str, text: str) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def write_port_file(path: str, port: int) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_access(args: argparse.Namespace, uid: int, gid: int) -> None:
    """Fail early, with a clear message, where Postfix would fail silently (its
    daemons run as postfix and log through postlogd, which then never starts)
    or the pipe user could not run the command."""
    postfix = pwd.getpwnam("postfix")
    r = subprocess.run(["/usr/bin/test", "-x", os.path.join(args.dir, "data")], user=postfix.pw_uid,
                       group=postfix.pw_gid, extra_groups=[], cwd="/", capture_output=True, timeout=10)
    if r.returncode != 0:
        die(f"the postfix user cannot reach {args.dir}: every parent directory must be searchable "
            "by others (a 0700 tempfile.mkdtemp() directory is not; chmod it 0755)")
    r = subprocess.run(["/usr/bin/test", "-x", args.pipe_argv[0]], user=uid, group=gid, extra_groups=[],
                       cwd="/", capture_output=True, timeout=10)
    if r.returncode != 0:
        die(f"{args.pipe_argv[0]} is not executable by --pipe-user {args.pipe_user} "
            "(check the file mode and that every parent directory is searchable)")
    r = subprocess.run(["/usr/bin/test", "-x", os.path.join(args.dir, "queue")], user=uid, group=gid,
                       extra_groups=[], cwd="/", capture_output=True, timeout=10)
    if r.returncode != 0:
        sys.stderr.write(f"postfix_instance.py: warning: --pipe-user {args.pipe_user} cannot enter "
                         f"{args.dir}/queue, the command's working directory (is a parent directory 0700?)\n")


# --------------------------------------------------------------------------
# Running


def postfix_env(args: argparse.Namespace) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "TZ", "LANG")}
    env.setdefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
    env["MAIL_CONFIG"] = args.etc
    return env


def master_running(args: argparse.Namespace) -> bool:
    # "master -t" exits 0 when no master holds DIR/data/master.lock.
    r = subprocess.run([MASTER, "-c", args.etc, "-t"], env=postfix_env(args),
                       capture_output=True, timeout=10)
    return r.returncode != 0


def log_tail(args: argparse.Namespace, lines: int = 25) -> str:
    out = []
    for name in ("maillog", "master.out"):
        try:
            with open(os.path.join(args.dir, name), encoding="utf-8", errors="replace") as f:
                text = f.read().splitlines()[-lines:]
        except OSError:
            continue
        if text:
            out.append(f"--- {args.dir}/{name} (tail)\n" + "\n".join(text))
    return "\n".join(out)


def smtp_banner(port: int, timeout: float) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            data = b""
            while b"\n" not in data and len(data) < 1024:
                chunk = s.recv(1024)
                if not chunk:
                    break
                data += chunk
            if data.startswith(b"220"):
                try:
                    s.sendall(b"QUIT\r\n")
                    s.recv(1024)
                except OSError:
                    pass
                return True
    except OSError:
        pass
    return False


def instance_pids(args: argparse.Namespace, master_pid: int | None) -> list[int]:
    """Processes of this instance: in the master's process group, or with this
    instance's MAIL_CONFIG in their environment (Postfix daemons and pipe
    commands inherit it; export_environment keeps it)."""
    marker = f"MAIL_CONFIG={args.etc}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        pid = int(entry)
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
            pgrp = int(stat[stat.rindex(b")") + 2:].split()[2])
            in_group = master_pid is not None and pgrp == master_pid
            if not in_group:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    if marker not in f.read().split(b"\0"):
                        continue
            if stat[stat.rindex(b")") + 2:stat.rindex(b")") + 3] == b"Z":
                continue
            found.append(pid)
        except (OSError, ValueError):
            continue
    return found


class Instance:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.master: subprocess.Popen | None = None
        self.port = 0
        self.owned = False  # set once we start a master: only then is DIR's instance ours to stop
        self.watchdog: subprocess.Popen | None = None

    def start(self) -> int:
        args = self.args
        user, group, uid, gid = resolve_pipe_user(args.pipe_user)
        pipe_user = f"{user}:{group}"
        if os.geteuid() != 0:
            die("must run as root (Postfix's master and pipe(8) need it)")
        if os.path.isdir(os.path.join(args.dir, "data")) and os.path.exists(os.path.join(args.etc, "main.cf")) \
                and master_running(args):
            die(f"a Postfix instance is already running in {args.dir}")
        make_dirs(args)
        # postlogd creates the log 0600; made here first, tests need not be root to read it.
        os.close(os.open(os.path.join(args.dir, "maillog"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644))
        check_access(args, uid, gid)
        write_file(os.path.join(args.etc, "main.cf"), main_cf(args))
        env = postfix_env(args)
        deadline = time.monotonic() + args.start_timeout
        for attempt in range(5):
            self.port = free_port()
            write_file(os.path.join(args.etc, "master.cf"), master_cf(args, self.port, pipe_user))
            if attempt == 0:
                # What "postfix start" checks first: configuration, queue layout
                # and queue file names (postsuper); warnings go to check.out.
                with open(os.path.join(args.dir, "check.out"), "wb") as out:
                    r = subprocess.run([POSTFIX, "-c", args.etc, "check"], env=env, stdout=out,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       timeout=max(5.0, deadline - time.monotonic()))
                if r.returncode != 0:
                    with open(os.path.join(args.dir, "check.out"), encoding="utf-8", errors="replace") as f:
                        sys.stderr.write(f.read())
                    die(f"postfix -c {args.etc} check failed", 1)
            out = open(os.path.join(args.dir, "master.out"), "ab")
            # master calls setsid() itself; a new session here as well, so that
            # its "kill the process group" on shutdown can never reach us.
            self.owned = True
            self.master = subprocess.Popen(
                [MASTER, "-c", args.etc, "-s"], env=env, stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=unblock_signals)
            if self.watchdog is None:
                self.watchdog = subprocess.Popen(
                    [sys.executable, "-c", WATCHDOG, POSTFIX, args.etc, MASTER],
                    env={k: v for k, v in env.items() if k != "MAIL_CONFIG"},  # not one to sweep
                    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    start_new_session=True, preexec_fn=unblock_signals)
            out.close()
            while time.monotonic() < deadline:
                if signal.sigtimedwait(STOP_SIGNALS, 0) is not None:
                    raise Interrupted()
                if self.master.poll() is not None:
                    break
                if smtp_banner(self.port, timeout=2.0):
                    return self.port
                time.sleep(0.1)
            if self.master.poll() is None:  # timed out
                self.stop()
                die(f"no SMTP banner on 127.0.0.1:{self.port} within {args.start_timeout:g} s\n"
                    + log_tail(args), 1)
            # master died; most likely the free port was taken in between.
            dead, self.master = self.master.pid, None
            self.sweep(dead)
            if time.monotonic() >= deadline:
                break
        die("Postfix master did not start\n" + log_tail(args), 1)
        return 0

    def stop(self, grace: float = 10.0) -> None:
        if not self.owned:  # e.g. refused to start because DIR's instance runs already
            return
        m = self.master
        if m is not None and m.poll() is None:
            # What "postfix stop" does: SIGTERM the master, which terminates
            # its process group (all daemons and running pipe commands).
            try:
                m.send_signal(signal.SIGTERM)
                m.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(m.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                m.wait(timeout=5)
        self.sweep(m.pid if m is not None else None)
        w, self.watchdog = self.watchdog, None
        if w is not None:
            try:
                w.stdin.write(b"done")
                w.stdin.close()
            except OSError:
                pass
            try:
                w.wait(timeout=5)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()

    def sweep(self, master_pid: int | None = None) -> None:
        """Anything of this instance still alive a moment after the master
        exited (e.g. a pipe command ignoring SIGTERM) is killed."""
        deadline = time.monotonic() + 3.0
        while True:
            pids = instance_pids(self.args, master_pid)
            if not pids:
                return
            if time.monotonic() >= deadline:
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.2)
                left = instance_pids(self.args, master_pid)
                if left:
                    sys.stderr.write(f"postfix_instance.py: processes left behind: {left}\n")
                return
            time.sleep(0.1)


def become_subreaper() -> None:
    """Postfix daemons outlive the master by a moment when it stops; as a
    child subreaper we inherit and reap them (see reap_orphans) instead of
    leaving <defunct> postfix processes for init."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def reap_orphans(timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if time.monotonic() >= deadline:
                return
            time.sleep(0.05)


def postqueue(args: argparse.Namespace, flag: str) -> subprocess.CompletedProcess:
    return subprocess.run([POSTQUEUE, "-c", args.etc, flag], env=postfix_env(args), capture_output=True,
                          text=True, timeout=30)


def queue_mode(args: argparse.Namespace) -> int:
    if not os.path.exists(os.path.join(args.etc, "main.cf")):
        die(f"no instance in {args.dir}")
    if args.flush:
        r = postqueue(args, "-f")
        sys.stdout.write(r.stdout)
        sys.stderr.write(r.stderr)
        return r.returncode
    if args.list_queue:
        r = postqueue(args, "-j")
        sys.stdout.write(r.stdout)
        sys.stderr.write(r.stderr)
        return r.returncode
    deadline = time.monotonic() + args.wait_empty
    while True:
        r = postqueue(args, "-j")
        if r.returncode == 0 and not r.stdout.strip():
            return 0
        if time.monotonic() >= deadline:
            sys.stdout.write(r.stdout)
            sys.stderr.write(r.stderr)
            return 1
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    # A test may start this from a thread whose signal mask blocks SIGTERM, and
    # the mask is inherited (by Postfix's master too): start from an empty one.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    args = parse_args(argv)
    if args.list_queue or args.flush or args.wait_empty is not None:
        return queue_mode(args)
    for tool in (POSTFIX, POSTQUEUE, MASTER, "/usr/lib/postfix/sbin/pipe"):
        if not os.path.exists(tool):
            die(f"{tool} not found (Debian package postfix)")

    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)  # handled by sigtimedwait
    become_subreaper()
    instance = Instance(args)
    try:
        port = instance.start()
    except Interrupted:
        instance.stop()
        reap_orphans()
        return 0
    except BaseException:
        instance.stop()
        raise
    if args.port_file:
        write_port_file(args.port_file, port)
    try:
        print(f"PORT {port}", flush=True)
        if args.print_:
            print(f"# log:   {args.dir}/maillog\n"
                  f"# queue: postqueue -c {args.etc} -p   (or -j)\n"
                  f"# flush: postqueue -c {args.etc} -f", flush=True)
    except BrokenPipeError:
        pass

    log_pos = 0
    code = 0
    while True:
        if signal.sigtimedwait(STOP_SIGNALS, 0.25) is not None:
            break
        if instance.master is not None and instance.master.poll() is not None:
            sys.stderr.write(f"postfix_instance.py: Postfix master exited ({instance.master.returncode})\n"
                             + log_tail(args) + "\n")
            code = 1
            break
        if args.print_:
            log_pos = follow_log(args, log_pos)
    instance.stop()
    reap_orphans()
    if args.print_:
        follow_log(args, log_pos)
    return code


def follow_log(args: argparse.Namespace, pos: int) -> int:
    try:
        with open(os.path.join(args.dir, "maillog"), "rb") as f:
            f.seek(pos)
            data = f.read()
    except OSError:
        return pos
    end = data.rfind(b"\n") + 1
    if end:
        try:
            sys.stdout.write(data[:end].decode("utf-8", "replace"))
            sys.stdout.flush()
        except BrokenPipeError:
            pass
    return pos + end


if __name__ == "__main__":
    sys.exit(main())
