#!/usr/bin/env python3
"""GatewayAPI's MO SMS callbacks (an SMS a reader sent back), as its REST
documentation shows them (rest.rst "MO SMS (Receiving SMS'es)"): a JSON POST
with `id`, `msisdn` (integer), `receiver`, `message`, `senttime` (UNIX
seconds) and `webhook_label`, and `X-Gwapi-Signature`, a JWT (HS256) over
the same fields made with the webhook's authentication token. Written with
the standard library only, independently of commsd's Swift code.

    gatewayapi_mo.py --to http://127.0.0.1:PORT/v1/inbound/gw --secret TOKEN \
        --reply 4520000001=OK --reply "4520000002=Må vi komme på søndag?"

Prints one line per callback: `MSISDN -> HTTP CODE BODY`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from gatewayapi_dsn import jwt, post


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--to", required=True, help="the webhook's URL (commsd's /v1/inbound/NAME)")
    p.add_argument("--secret", required=True, help="the webhook's authentication token")
    p.add_argument("--reply", action="append", default=[], metavar="MSISDN=TEXT")
    p.add_argument("--keyword", default="", help="a leased keyword put before each text")
    p.add_argument("--first-id", type=int, default=1000001,
                   help="the gateway's id of the first SMS (ids are unique per gateway: the same id twice is the same SMS sent again)")
    args = p.parse_args()
    if not args.to.startswith("http://127.0.0.1:"):
        print("only loopback addresses", file=sys.stderr)
        return 1
    next_id = args.first_id
    for entry in args.reply:
        msisdn, _, text = entry.partition("=")
        fields = {"id": next_id, "msisdn": int(msisdn), "receiver": 451204,
                  "message": (args.keyword + " " + text) if args.keyword else text,
                  "senttime": int(time.time()), "webhook_label": "commsd"}
        next_id += 1
        code, body = post(args.to, json.dumps(fields), jwt(fields, args.secret))
        print(f"{msisdn} -> HTTP {code} {body}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
