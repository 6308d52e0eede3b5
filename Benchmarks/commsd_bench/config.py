"""commsd configurations for the benchmarks: recipients in CSV lists beside the file (as a
municipality's registry export would be given), endpoints and a relay on the loopback sinks, and
an optional [api] section whose tokens `commsd token create` makes (the package does not hash
tokens itself)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .paths import COMMSD

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SUBJECT = "Benchmark webhook throughput"
BODY = "Benchmark delivery: the quick brown fox jumps over the lazy dog, and the crisis staff are told at once."


def toml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


@dataclass
class Group:
    """A block of generated recipients: audience, count, contact pattern ({i})."""
    audience: str
    count: int
    contact: str
    prefix: str


def write_config(path: Path, groups: list[Group], endpoints: dict[str, dict] | None = None,
                 relay: dict | None = None, max_in_flight: int = 64, extra_audiences: list[str] = (),
                 inline: bool = False, api: dict | None = None, store: str | None = None) -> dict[str, str]:
    """A configuration; groups of 100 or more recipients go to CSV recipient lists
    beside it (as a municipality's registry export would), unless `inline`. `api`
    adds an [api] section: {"port": N, "tokens": [{"name", "audiences", "max_priority"}]};
    each token is made by `commsd token create` on the configuration written without it, and
    configured by the hash commsd printed. Returns the tokens by name (empty without `api`).
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
    rest = []
    audiences = list(dict.fromkeys([g.audience for g in groups] + list(extra_audiences)))
    for audience in audiences:
        rest += ["", f"[audiences.{audience}]", f"display_name = {toml_str(audience.capitalize())}",
                 # The benchmarks measure dispatch, not dosing: a run at night
                 # would otherwise hold every normal delivery until 07:00.
                 "", f"[audiences.{audience}.dosing]", 'quiet_hours = "none"']
    for g in groups:
        if g in lists:
            continue
        for i in range(g.count):
            contact = g.contact.format(i=i)
            rest.append(f'\n[[recipients]]\nid = "{g.prefix}{i}"\nname = "Recipient {i}"\n'
                        f'audiences = ["{g.audience}"]\ncontacts = ["{contact}"]')
    path.write_text("\n".join(lines + rest) + "\n")
    if not api:
        return {}
    listen = f"127.0.0.1:{api['port']}"  # loopback only
    section = ["", "[api]", f"listen = {toml_str(listen)}"]
    tokens = {}
    for t in api.get("tokens", []):
        made = create_token(path, t["name"], t["audiences"], t.get("max_priority", "normal"))
        tokens[t["name"]] = made["token"]
        section += ["", "[[api.tokens]]", f"name = {toml_str(made['name'])}", f"hash = {toml_str(made['hash'])}",
                    "audiences = [" + ", ".join(toml_str(a) for a in made["audiences"].split(",")) + "]",
                    f"max_priority = {toml_str(made['max_priority'])}"]
    path.write_text("\n".join(lines + section + rest) + "\n")
    return tokens


def create_token(config: Path, name: str, audiences: list[str], max_priority: str) -> dict[str, str]:
    """A new API token from `commsd token create --json` (the token, its configured hash, the
    audiences and priority it may use), made on the configuration `config`."""
    argv = [str(COMMSD), "token", "create", name, "--config", str(config), "--audiences", ",".join(audiences),
            "--max-priority", max_priority, "--json"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise RuntimeError(f"commsd token create exited {r.returncode}: {r.stderr.strip()[-800:]}")
    made = json.loads(r.stdout)
    if not made.get("token") or not str(made.get("hash", "")).startswith("sha256:"):
        raise RuntimeError(f"commsd token create printed {r.stdout.strip()!r}")
    return made
