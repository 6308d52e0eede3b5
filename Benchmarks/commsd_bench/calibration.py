"""Calibration: one real commsd webhook and one email, to the project's test receivers
(Tests/Receivers). Their sizes set the C references' sizes, so both sides send the same bytes, and
the receivers check the signature and the message independently."""

from __future__ import annotations

import json
import textwrap

from .config import SECRET, Group, write_config
from .daemon import Daemon
from .harness import say
from .paths import RECEIVER, SMTP_RECEIVER
from .sinks import start_receiver


def calibrate(ctx) -> dict:
    """The sizes of a real webhook body and email, and whether the receivers accepted them."""
    say("calibration: one commsd webhook and one email to the test receivers")
    d = ctx.work / "calibration"
    d.mkdir(parents=True, exist_ok=True)
    procs = []
    try:
        ports = {}
        for name, script, extra in (("http", RECEIVER, ["--secret", SECRET]), ("smtp", SMTP_RECEIVER, [])):
            record = d / f"{name}.jsonl"
            record.write_text("")
            proc, ports[name] = start_receiver(f"{name} receiver", script, d / f"{name}.port", d / f"{name}.log",
                                               "--record", str(record), *extra)
            procs.append(proc)
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
            daemon.cleanup(ctx.args.keep)
    finally:
        for proc in procs:
            proc.stop()
    hook = json.loads((d / "http.jsonl").read_text().splitlines()[0])
    mail = json.loads((d / "smtp.jsonl").read_text().splitlines()[0])
    found = dict(webhook_bytes=len(hook["body"].encode()), signature_valid=hook["signature_valid"],
                 headers=sorted(hook["headers"]), email_bytes=len(mail["raw"].encode()), states=states)
    ctx.results.note("calibration", f"a real commsd webhook body is {found['webhook_bytes']} bytes "
                                    f"(signature valid: {hook['signature_valid']}; headers "
                                    f"{', '.join(found['headers'])}); a real commsd email is "
                                    f"{found['email_bytes']} bytes; the C references send the same sizes")
    if hook["signature_valid"] is not True or states.get("delivered") != 2:
        raise RuntimeError(f"calibration delivery not right: states {states}, signature {hook['signature_valid']}")
    return found


def how(counts, args) -> str:
    """The bullet(s) of "How each figure is measured" in BENCHMARKS.md."""
    return textwrap.dedent(f"""\
        - Calibration: first, one real commsd webhook goes to `Tests/Receivers/http_receiver.py --secret` (which
          checks the signature) and one email to `Tests/Receivers/smtp_receiver.py`; their sizes are given to
          the C references, so both sides send the same bytes.
        """).rstrip("\n")
