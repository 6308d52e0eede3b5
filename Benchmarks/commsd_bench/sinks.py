"""The sinks on loopback: nginx answering 204 (with access logs on the paths whose arrivals a
benchmark times) and Postfix's smtp-sink, and the project's own test receivers
(Tests/Receivers), which check what they are sent."""

from __future__ import annotations

import os
import shutil
import textwrap
import time
from pathlib import Path

from .harness import Proc, children, free_port, wait_port
from .paths import PYTHON, SCRATCH


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
              # /audit (benchmark 7): 1 % of the requests are refused, so some deliveries are retried.
              split_clients "${{request_id}}" $audit_answer {{ 1% 503; * 204; }}
              server {{
                listen 127.0.0.1:{self.http_port} backlog=4096;
                location / {{ return 204; }}
                location /apprise {{ access_log {self.log_path('apprise')} stamp; return 204; }}
                location /alertmanager {{ access_log {self.log_path('alertmanager')} stamp; return 204; }}
                location /flash {{ access_log {self.log_path('flash')} arrival; return 204; }}
                location /scaleout {{ access_log {self.log_path('scaleout')} arrival buffer=256k flush=1s; return 204; }}
                location /keyboard {{ access_log {self.log_path('keyboard')} arrival; return 204; }}
                location /audit {{ if ($audit_answer = 503) {{ return 503; }} return 204; }}
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


def start_receiver(name: str, script: Path, port_file: Path, log: Path, *extra: str) -> tuple[Proc, int]:
    """Starts one of Tests/Receivers on a free port (it writes the port to `port_file`); returns the
    process and the port."""
    port_file.unlink(missing_ok=True)
    proc = Proc(name, [PYTHON, str(script), "--port", "0", "--port-file", str(port_file), *extra], log)
    deadline = time.monotonic() + 20
    while not port_file.exists():
        if time.monotonic() > deadline or not proc.alive():
            proc.stop()
            raise RuntimeError(f"{script.name} ({name}) did not start; see {log}")
        time.sleep(0.05)
    return proc, int(port_file.read_text().strip())


def how(counts, args) -> str:
    """The bullet(s) of "How each figure is measured" in BENCHMARKS.md."""
    return textwrap.dedent(f"""\
        - Sinks: nginx (one worker, `return 204`, keep-alive, `keepalive_requests 1000000`) and Postfix's
          `smtp-sink`, both started by the script on 127.0.0.1 and stopped by PID. commsd is built with
          `scripts/build-release.sh --scratch-path {SCRATCH}` (`swift build -c release --static-swift-stdlib`); its store is on the same disk as the
          work tree (WAL, `synchronous = FULL`).
        """).rstrip("\n")
