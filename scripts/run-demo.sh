#!/usr/bin/env bash
# Runs commsd in the foreground with local demo receivers that print what
# they receive: SMTP on 127.0.0.1:2525 and webhooks on 127.0.0.1:8099 (the
# example configuration's relay and endpoints). Ctrl-C stops everything.
set -euo pipefail
config=${1:-config/example/commsd.toml}
cd "$(dirname "$0")/.."
bin=.build/debug/commsd

# The example endpoints' secrets, so the demo receiver checks each signature.
secrets=()
while IFS= read -r line; do secrets+=("$line"); done < <(python3 - "$config" <<'PY'
import sys, tomllib, urllib.parse
with open(sys.argv[1], "rb") as f:
    config = tomllib.load(f)
for endpoint in config.get("endpoints", {}).values():
    if "secret" in endpoint:
        print("--secret")
        print(urllib.parse.urlsplit(endpoint["url"]).path + "=" + endpoint["secret"])
PY
)

pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

python3 Tests/Receivers/smtp_receiver.py --port 2525 --print &
pids+=($!)
python3 Tests/Receivers/http_receiver.py --port 8099 --print "${secrets[@]}" &
pids+=($!)
sleep 1
for pid in "${pids[@]}"; do
  kill -0 "$pid" 2>/dev/null || { echo "run-demo: a demo receiver did not start (ports 2525 and 8099 must be free)" >&2; exit 1; }
done

# A console account for the demo, with a fresh password each time it is made.
console_note="the web console: http://127.0.0.1:8470/console (account demo; set a password with: $bin user passwd demo --config $config)"
if password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(12))') \
  && printf '%s\n' "$password" | "$bin" user add demo --name "Demo" --password-stdin --config "$config" >/dev/null 2>&1; then
  console_note="the web console: http://127.0.0.1:8470/console — sign in as demo with password $password"
fi

cat <<MSG

commsd is starting with $config.
Open $console_note
From a second terminal, send a first message:

  $bin send --config $config --audience staff,relatives,council,police \\
      --priority urgent --subject "Besøgsforbud på plejehjem" --body "Fra i dag er der besøgsforbud."

and follow it with:  $bin status --config $config MESSAGE-ID

or over HTTP (the example's public demo token; README, "Integrating"):

  curl -s -X POST http://127.0.0.1:8470/v1/messages \\
      -H "Authorization: Bearer cmsd_GFKBsN6lHHL4HCjVSR_UV9I6QyyB4cihiNixO6rwkzE" \\
      -d '{"audiences":["staff"],"subject":"Vagtplan","body":"Ny vagtplan fra mandag."}'

MSG
"$bin" serve --config "$config" &
pids+=($!)
wait "${pids[-1]}"
