#!/usr/bin/env bash
# Installs what commsd needs to build and test on Debian 12, idempotently.
#
#   scripts/install-deps.sh                 # build deps + test tools (aiosmtpd, schemathesis, openapi-spec-validator, selenium)
#   scripts/install-deps.sh postfix nginx   # ... plus extra Debian packages
#
# Prints one line per thing it installs and nothing when all is present.
# Runs as root; as another user it uses sudo for apt when sudo exists.
set -euo pipefail

BASE_PACKAGES=(libcurl4-openssl-dev libsqlite3-dev libpq-dev pkg-config libxml2-utils)
PYTHON=${PYTHON:-python3}

die() { printf 'install-deps: %s\n' "$*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  fi
fi
can_root() { [ "$(id -u)" -eq 0 ] || [ ${#SUDO[@]} -gt 0 ]; }
need_root() {
  can_root || die "need root to install $* (run as root, or install sudo)"
}
as_root() {
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive "$@"
}

LOG=$(mktemp "${TMPDIR:-/tmp}/install-deps.XXXXXX")
trap 'rm -f "$LOG"' EXIT
# run_quiet CMD...: runs CMD with its output in $LOG (shown by the caller on failure).
run_quiet() { "$@" >"$LOG" 2>&1; }

is_installed() {
  # No pipe into `grep -q`: under pipefail, dpkg's broken pipe when grep
  # exits early would make an installed package look missing.
  local status
  status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)
  [ "$status" = "install ok installed" ]
}

apt_updated=false
apt_install() { # apt_install PKG...: installs, running apt-get update once per run
  if ! $apt_updated; then
    run_quiet as_root apt-get update || return 1
    apt_updated=true
  fi
  run_quiet as_root apt-get install -y --no-install-recommends "$@"
}

# --- Debian packages --------------------------------------------------------

command -v dpkg >/dev/null 2>&1 || die "dpkg not found: this script is for Debian 12"

wanted=("${BASE_PACKAGES[@]}" "$@")
command -v "$PYTHON" >/dev/null 2>&1 || wanted+=(python3)

missing=()
for pkg in "${wanted[@]}"; do
  is_installed "$pkg" && continue
  case " ${missing[*]-} " in *" $pkg "*) continue ;; esac
  missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  need_root "${missing[@]}"
  for pkg in "${missing[@]}"; do
    if [ "$pkg" = postfix ]; then
      # No interactive "General type of mail configuration" dialog.
      echo "postfix postfix/main_mailer_type select No configuration" | as_root debconf-set-selections
    fi
  done
  apt_install "${missing[@]}" || { cat "$LOG" >&2; die "apt-get install ${missing[*]} failed (output above)"; }
  for pkg in "${missing[@]}"; do
    is_installed "$pkg" || die "$pkg is still not installed after apt-get install"
    echo "installed $pkg (apt)"
  done
fi

# --- Python: aiosmtpd for Tests/Receivers/smtp_receiver.py -------------------

has_aiosmtpd() { "$PYTHON" -c 'import aiosmtpd' >/dev/null 2>&1; }

if ! has_aiosmtpd; then
  # Each attempt is quiet; if all fail, the last one's output is shown.
  how=""
  if run_quiet "$PYTHON" -m pip install --quiet aiosmtpd && has_aiosmtpd; then
    how="pip"
  elif run_quiet "$PYTHON" -m pip install --quiet --break-system-packages aiosmtpd && has_aiosmtpd; then
    how="pip --break-system-packages"
  elif can_root && apt_install python3-aiosmtpd && has_aiosmtpd; then
    how="apt python3-aiosmtpd"
  fi
  if [ -z "$how" ]; then
    cat "$LOG" >&2
    apt_note="apt-get install python3-aiosmtpd"
    can_root || apt_note="not apt-get (not root and no sudo)"
    die "could not install the Python package aiosmtpd for $(command -v "$PYTHON") (tried: pip install, pip install --break-system-packages, $apt_note)"
  fi
  echo "installed aiosmtpd ($how)"
fi

# --- Python: schemathesis, openapi-spec-validator for Tests/Support/api-contract.sh;
# selenium for Tests/Browser (it drives Debian's chromium through Debian's
# chromedriver, which `make test` installs: nothing is downloaded); Django
# and django-oidc-provider for the console's identity provider on loopback
# (Tests/Receivers/oidc_provider.py)

# Pinned, so a new release cannot change what the tests check. (selenium
# 4.52 wants a certifi newer than the registry has.)
PY_TOOLS=(schemathesis==4.32.5 openapi-spec-validator==0.9.0 selenium==4.51.0 django==5.2.19
  django-oidc-provider==0.9.0)

has_py_tools() {
  "$PYTHON" - "${PY_TOOLS[@]}" >/dev/null 2>&1 <<'PY'
import sys
from importlib.metadata import version
for pin in sys.argv[1:]:
    name, wanted = pin.split("==")
    if version(name) != wanted:
        sys.exit(1)
PY
}

if ! has_py_tools; then
  if ! "$PYTHON" -m pip --version >/dev/null 2>&1 && can_root; then
    apt_install python3-pip || true
  fi
  how=""
  if run_quiet "$PYTHON" -m pip install --quiet "${PY_TOOLS[@]}" && has_py_tools; then
    how="pip"
  elif run_quiet "$PYTHON" -m pip install --quiet --break-system-packages "${PY_TOOLS[@]}" \
    && has_py_tools; then
    how="pip --break-system-packages"
  fi
  if [ -z "$how" ]; then
    cat "$LOG" >&2
    die "could not install ${PY_TOOLS[*]} for $(command -v "$PYTHON") (tried: pip install, pip install --break-system-packages)"
  fi
  echo "installed ${PY_TOOLS[*]} ($how)"
fi

# --- Swift --------------------------------------------------------------------

if ! command -v swift >/dev/null 2>&1; then
  die "swift is not on PATH: install Swift 6.3 from swift.org first (https://www.swift.org/install/linux/)"
fi
