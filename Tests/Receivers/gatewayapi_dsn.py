#!/usr/bin/env python3
"""GatewayAPI's delivery status callbacks, as its REST documentation shows
them (docs/providers/REFERENCE.md §1.8-1.9), for the SMS a fake GatewayAPI
(http_receiver.py) recorded.

For each recorded POST to /rest/mtsms whose recipient's number has a plan,
posts one DSN per planned status to the request's `callback_url`: a JSON body
with `id`, `msisdn`, `time`, `status`, `userref` (and `code`/`error` for a
failure), and `X-Gwapi-Signature`, a JWT (HS256) over the same claims made
with the webhook's authentication token. Written with the standard library
only, independently of commsd's Swift code.

    gatewayapi_dsn.py --record FILE --secret TOKEN \
        --plan 4520000001=DELIVERED --plan 4520000002=UNDELIVERABLE,UNDELIVERABLE

Prints one line per callback: `MSISDN STATUS -> HTTP CODE BODY`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwt(claims: dict, secret: str) -> str:
    header = b64url(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    mac = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(mac)}"


def post(url: str, body: str, signature: str) -> tuple[int, str]:
    """POSTs a JSON `body` with `X-Gwapi-Signature`; returns the status and answer."""
    call = urllib.request.Request(
        url, data=body.encode(), method="POST",
        headers={"Content-Type": "application/json", "X-Gwapi-Signature": signature})
    try:
        with urllib.request.urlopen(call, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--record", required=True, help="http_receiver.py's record file")
    p.add_argument("--secret", required=True, help="the webhook's authentication token")
    p.add_argument("--plan", action="append", default=[], metavar="MSISDN=STATUS[,STATUS]")
    p.add_argument("--bad-signature", action="store_true", help="sign with a wrong token")
    p.add_argument("--to", metavar="BASE",
                   help="post to this scheme://host:port instead of the callback_url's (another node)")
    args = p.parse_args()
    plan = {}
    for entry in args.plan:
        msisdn, _, statuses = entry.partition("=")
        plan[int(msisdn)] = statuses.split(",")
    next_id = 421332671
    with open(args.record, encoding="utf-8") as f:
        requests = [json.loads(line) for line in f if line.strip()]
    for request in requests:
        if not request["path"].endswith("/rest/mtsms") or request["status"] >= 300:
            continue
        sms = json.loads(request["body"])
        for recipient in sms["recipients"]:
            msisdn = recipient["msisdn"]
            next_id += 1
            for status in plan.get(msisdn, []):
                claims = {"id": next_id, "msisdn": msisdn, "time": int(time.time()),
                          "status": status, "userref": sms.get("userref"), "api": 4,
                          "callback_url": sms["callback_url"], "error": None, "code": None}
                if status != "DELIVERED":
                    claims.update({"error": "Unknown subscriber", "code": "0x1010"})
                secret = "not-the-token" if args.bad_signature else args.secret
                body = json.dumps({k: v for k, v in claims.items() if k not in ("api", "callback_url")})
                url = sms["callback_url"]
                if args.to:
                    parts = urllib.parse.urlsplit(url)
                    url = args.to.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
                code, text = post(url, body, jwt(claims, secret))
                print(f"{msisdn} {status} -> HTTP {code} {text}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
