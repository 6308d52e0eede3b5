"""Benchmark 6, peers: Apprise (one notify to many URLs) and Prometheus Alertmanager (alerts in,
webhooks out), against the same nginx and smtp-sink."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import textwrap
import time
import urllib.request

from .config import BODY, SUBJECT
from .harness import Proc, free_port, proc_status, run, say
from .paths import BENCH, PYTHON
from .prepare import has_apprise
from .results import fmt_rate


def measure(ctx) -> None:
    """Apprise, then Alertmanager."""
    apprise(ctx)
    alertmanager(ctx)


def apprise(ctx) -> None:
    """Apprise: one notify() to many json:// URLs on nginx, and to many mailto:// on smtp-sink."""
    if not has_apprise():
        raise RuntimeError("Apprise is not installed")
    script = BENCH / "peers" / "apprise_bench.py"
    version = run([PYTHON, "-c", "import apprise; print(apprise.__version__)"], timeout=60).stdout.strip()
    ctx.results.raw.setdefault("versions", {})["apprise"] = version
    for kind, n, url in (("webhooks", ctx.counts.apprise_webhooks, f"{ctx.sinks.http}/apprise"),
                         ("emails", ctx.counts.apprise_emails, ctx.sinks.smtp_url)):
        say(f"6. Apprise {version}: {n:,} {kind}")
        log = ctx.sinks.log_path("apprise")
        lines_before = sum(1 for _ in open(log))
        r = run([PYTHON, str(script), kind, url, str(n)], timeout=max(120, n / 5))
        result = json.loads(r.stdout.strip().splitlines()[-1])
        if kind == "webhooks":
            result["at_nginx"] = sum(1 for _ in open(log)) - lines_before
        ctx.results.raw[f"apprise_{kind}"] = result
        ctx.results.add("6 peers", f"Apprise {version} {kind} ({n:,}, one notify to {n:,} URLs)",
                        fmt_rate(result["rate"]))
        ctx.results.note("peers", f"Apprise {kind}: {result}")
        say(f"   {result['rate']:,.0f}/s")


def alertmanager(ctx) -> None:
    """Alertmanager: unique alerts posted in batches, one webhook per group, counted at nginx."""
    n = ctx.counts.alertmanager
    binary = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
    if not os.path.exists(binary):
        raise RuntimeError("prometheus-alertmanager is not installed")
    version = run([binary, "--version"], timeout=30, check=False)
    version = re.search(r"version (\S+)", (version.stdout or "") + (version.stderr or ""))
    version = version.group(1) if version else "?"
    ctx.results.raw.setdefault("versions", {})["alertmanager"] = version
    say(f"6. Alertmanager {version}: {n:,} alerts, each its own group → one webhook each")
    d = ctx.work / "alertmanager"
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
              - url: {ctx.sinks.http}/alertmanager
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
        log = ctx.sinks.log_path("alertmanager")
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
        deadline = time.monotonic() + ctx.args.timeout
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
    ctx.results.raw["alertmanager"] = dict(count=n, received=len(stamps), posted_s=posted, rate=rate, hwm_kb=hwm)
    ctx.results.add("6 peers", f"Alertmanager {version} webhooks ({n:,} alerts, counted at nginx)", fmt_rate(rate))
    ctx.results.note("peers", f"Alertmanager: {len(stamps):,} of {n:,} webhooks at nginx, {max(stamps) - t0:.2f} s "
                               f"from the first POST of alerts to the last webhook (alerts posted in {posted:.2f} s, "
                               f"batches of 1000 on one connection); its VmHWM {hwm / 1024 if hwm else 0:.0f} MB")
    if max(stamps) - t0 < posted * 1.1:
        ctx.results.note("peers", "Alertmanager's webhooks kept pace with its alert intake (each POST returns once "
                                  "Alertmanager has taken the batch): the rate is its intake-to-webhook throughput")
    say(f"   {rate:,.0f}/s")


def how(counts, args) -> str:
    """The bullet(s) of "How each figure is measured" in BENCHMARKS.md."""
    return textwrap.dedent(f"""\
        - **6 Peers**: Apprise (PyPI) with one `notify()` to {counts.apprise_webhooks:,} `json://` URLs on nginx
          and to {counts.apprise_emails:,} `mailto://` URLs on smtp-sink (one URL per recipient: reusing one
          email URL makes Apprise sleep 5.5 s between emails by design); Prometheus Alertmanager (Debian) with
          `group_by: ['id']`, `group_wait: 0s` and a webhook receiver on nginx, fed {counts.alertmanager:,} alerts
          with unique `id` labels through `/api/v2/alerts` in batches of 1,000; its rate counts the webhooks in
          nginx's access log, first alert POST to last webhook.
        """).rstrip("\n")
