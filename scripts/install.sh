#!/usr/bin/env bash
# Installs commsd as a systemd service (README, "Run as a service"):
#   - the system user and group `commsd`;
#   - the binary as /usr/local/bin/commsd;
#   - the unit as /etc/systemd/system/commsd.service;
#   - /etc/commsd/commsd.toml and /etc/commsd/recipients/ from the example,
#     only if there is no configuration yet (an existing one is never
#     overwritten), with data_dir = /var/lib/commsd, the public demo token and
#     hook taken out, a new random secret for each endpoint, and STARTTLS
#     required of the relay.
# Run as root: `sudo make install`. BIN=path installs that binary instead of
# building one; DESTDIR=dir installs under dir without touching users or
# systemd (for packaging and the test suite).
set -euo pipefail
cd "$(dirname "$0")/.."
root=${DESTDIR:-}
bin=${BIN:-}

if [[ -z "$root" && $(id -u) -ne 0 ]]; then
  echo "install: run as root (sudo make install), or set DESTDIR" >&2
  exit 1
fi
if [[ -z "$bin" ]]; then
  scripts/build-release.sh
  bin=$(scripts/build-release.sh --show-bin-path)/commsd
fi

if [[ -z "$root" ]]; then
  if ! getent group commsd >/dev/null; then groupadd --system commsd; fi
  if ! getent passwd commsd >/dev/null; then
    useradd --system --gid commsd --home-dir /var/lib/commsd --no-create-home \
      --shell /usr/sbin/nologin --comment "commsd crisis communication daemon" commsd
  fi
fi

install -d "$root/usr/local/bin" "$root/etc/systemd/system"
install -m 0755 "$bin" "$root/usr/local/bin/commsd"
install -m 0644 config/commsd.service "$root/etc/systemd/system/commsd.service"

config="$root/etc/commsd/commsd.toml"
if [[ -e "$config" ]]; then
  echo "install: $config exists; left as it is"
else
  install -d -m 0750 "$root/etc/commsd" "$root/etc/commsd/recipients"
  for list in config/example/recipients/*.csv; do
    install -m 0640 "$list" "$root/etc/commsd/recipients/"
  done
  python3 - config/example/commsd.toml "$config" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
text = re.sub(r'(?m)^data_dir = .*$', 'data_dir = "/var/lib/commsd"', text)
# The demo token's text and the demo hook secret are public (README):
# never install them. Tokens and hook sources are added by the operator.
text, count = re.subn(
    r'(?ms)^# `commsd token create NAME.*?(?=^# Personal data)',
    "# Bearer tokens: add the [[api.tokens]] lines `commsd token create` prints.\n"
    "# Inbound webhooks: add [hooks.NAME] sections (README, \"Integrating\").\n\n", text)
assert count == 1, "the example's demo token block was not found"
text = text.replace("# Copy it to /etc/commsd/commsd.toml", "# Installed from the example;")
# The example's endpoint secrets are public too: each endpoint gets a new
# random one (32 bytes), to be given to its receiver.
import base64, secrets
text, count = re.subn(
    r'(?m)^secret = "whsec_[^"]*"',
    lambda _: 'secret = "whsec_%s"' % base64.b64encode(secrets.token_bytes(32)).decode(), text)
assert count >= 1, "the example's endpoint secrets were not found"
# The demo relay is plain SMTP on loopback; an installed one requires
# STARTTLS (the default) until the operator says otherwise for a local relay.
text, count = re.subn(r'(?m)^tls = "none".*$', 'tls = "starttls"       # required; "tls" for smtps://, "none" only for a relay on this machine', text)
assert count == 1, "the example relay's tls line was not found"
open(sys.argv[2], "w", encoding="utf-8").write(text)
PY
  chmod 0640 "$config"
  echo "install: wrote $config from the example; replace the relay, endpoints, secrets and recipients"
fi

if [[ -z "$root" ]]; then
  chown -R root:commsd /etc/commsd
  if [[ -d /run/systemd/system ]]; then systemctl daemon-reload; fi
  cat <<MSG
install: done. Next:
  sudo -u commsd commsd config check --config /etc/commsd/commsd.toml
  sudo systemctl enable --now commsd
  journalctl -u commsd -f
MSG
fi
