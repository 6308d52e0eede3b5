#!/usr/bin/env python3
"""Apprise as a peer: one notification to N recipients, webhooks or emails.

    apprise_bench.py webhooks http://127.0.0.1:PORT/apprise N
    apprise_bench.py emails smtp://127.0.0.1:PORT N

One Apprise object holds one URL per recipient (json://…/rN or
mailto://…?to=rN@…) and a single notify() sends to all of them, the way an
Apprise user reaches many people with one message. (Reusing one mailto URL
for many emails would make Apprise wait 5.5 s between them: its email plugin
throttles each URL by design.) Prints one JSON line with the rate.
"""
import json
import sys
import time

import apprise


def main() -> int:
    kind, target, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    host_port = target.split("://", 1)[1].rstrip("/")
    host_port, _, path = host_port.partition("/")
    notifier = apprise.Apprise()
    for i in range(count):
        if kind == "webhooks":
            url = f"json://{host_port}/{path}/r{i}"
        else:
            url = (f"mailto://{host_port}?from=krisestab@kommune.example&to=r{i}@bench.example"
                   f"&mode=insecure&name=Krisestaben")
        if not notifier.add(url):
            print(f"apprise_bench: Apprise refused {url}", file=sys.stderr)
            return 2
    started = time.monotonic()
    result = notifier.notify(
        title="Benchmark webhook throughput",
        body="Benchmark delivery: the quick brown fox jumps over the lazy dog, and the crisis staff are told at once.")
    seconds = time.monotonic() - started
    print(json.dumps({"kind": kind, "count": count, "ok": bool(result), "seconds": round(seconds, 3),
                      "rate": round(count / seconds, 1)}))
    return 0 if result else 1


if __name__ == "__main__":
    sys.exit(main())
